package io.spillway.proof;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The JVM options {@code bin/spillway} runs a service with ({@code bin/jvm/<service>.options}), so harnesses measure what users run. */
final class ServiceJvm {
  private ServiceJvm() {}

  static List<String> options(String service) {
    Path file = Path.of("").toAbsolutePath().getParent().resolve("bin").resolve("jvm").resolve(service + ".options");
    if (!Files.isRegularFile(file)) throw new IllegalStateException("no " + file);
    List<String> out = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(file)) {
        String l = line.strip();
        if (l.isEmpty() || l.startsWith("#")) continue;
        for (String t : l.split("\\s+")) out.add(t);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
