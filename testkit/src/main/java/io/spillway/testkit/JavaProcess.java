package io.spillway.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A main class run in a child JVM with the test's own classpath, so a test can kill it with
 * SIGKILL (a crash, not a {@code close()}). Output goes to a log file the test can show on failure.
 */
public final class JavaProcess implements AutoCloseable {
  private final List<String> command;
  private final Path log;
  private Process process;

  private JavaProcess(List<String> command, Path log) {
    this.command = command;
    this.log = log;
  }

  /** Starts {@code mainClass args…} with {@code -Xmx} and the current classpath. */
  public static JavaProcess start(String mainClass, List<String> jvmArgs, String... args) {
    return start(List.of(), mainClass, jvmArgs, args);
  }

  /**
   * The same, behind a command prefix such as {@code ip netns exec NAME} (which execs the JVM, so
   * {@link #kill()} still reaches it).
   */
  public static JavaProcess start(List<String> prefix, String mainClass, List<String> jvmArgs, String... args) {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(List.of(args));
    try {
      Path log = Files.createTempFile("spillway-" + mainClass.substring(mainClass.lastIndexOf('.') + 1) + "-", ".log");
      JavaProcess p = new JavaProcess(List.copyOf(cmd), log);
      p.start();
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** (Re)starts the same command; output is appended to the same log. */
  public synchronized void start() {
    if (process != null && process.isAlive()) return;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  public synchronized long pid() {
    return process.pid();
  }

  /** SIGKILL and wait for the process to be gone. */
  public synchronized void kill() {
    if (process == null) return;
    process.destroyForcibly();
    await();
  }

  /** SIGTERM (runs shutdown hooks) and wait. */
  public synchronized void stop() {
    if (process == null) return;
    process.destroy();
    await();
  }

  public Path log() {
    return log;
  }

  /** The log's content, for assertion messages. */
  public String output() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(cannot read " + log + ")";
    }
  }

  @Override
  public void close() {
    kill();
  }

  private void await() {
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

}
