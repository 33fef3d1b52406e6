package io.spillway.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real JavaScript SDKs for tests, from the npm registry with the machine's {@code npm}: installed
 * once into a directory (under {@code target/}, kept between runs). Needs node and npm ({@code .ci/run}
 * installs them when missing) and, on first use, the registry; without them the test fails and says so.
 */
public final class Npm {
  private Npm() {}

  /** Installs {@code packages} ({@code name@version}) into {@code dir} unless it already holds exactly these; returns {@code dir}. */
  public static synchronized Path install(Path dir, String... packages) {
    Path marker = dir.resolve(".spillway-installed");
    String want = String.join("\n", packages);
    try {
      if (Files.isRegularFile(marker) && Files.readString(marker).equals(want)) return dir;
      Files.createDirectories(dir);
      List<String> cmd = new java.util.ArrayList<>(List.of("npm", "install", "--no-audit", "--no-fund", "--silent"));
      cmd.addAll(List.of(packages));
      run(dir, cmd.toArray(String[]::new));
      Files.writeString(marker, want);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs {@code cmd} in {@code dir}; fails with its output when it exits non-zero or takes over 5 minutes. */
  public static void run(Path dir, String... cmd) {
    try {
      Path log = Files.createTempFile("spillway-npm-", ".log");
      try {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
          p.destroyForcibly();
          throw new IllegalStateException(String.join(" ", cmd) + " failed (node, npm and the npm registry are needed for this test): "
              + Files.readString(log));
        }
      } finally {
        Files.deleteIfExists(log);
      }
    } catch (IOException e) {
      throw new IllegalStateException(String.join(" ", cmd) + " could not run (node and npm are needed for this test: "
          + ".ci/run installs them): " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
