package io.spillway.runtime;

import io.spillway.schemas.config.SpillwayConfig;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one way a service runs as a process: {@code bin/spillway edge|bridge|delivery|mirror|up}, and each
 * service's own {@code main} (what the tests that kill a service with SIGKILL start). It serves until
 * SIGTERM or Ctrl-C; a shutdown hook then closes the service gracefully before the JVM exits.
 */
public final class ServiceMain {
  private ServiceMain() {}

  /** The config named by {@code --config FILE} in a service's own arguments; a usage error (exit 2) without it. */
  public static SpillwayConfig config(String service, String[] args) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals("--config")) return SpillwayConfig.load(Path.of(args[i + 1]));
    }
    System.err.println("usage: " + service + " --config FILE");
    System.exit(2);
    throw new AssertionError("unreachable");
  }

  /** Blocks until the JVM is asked to stop and the service has been closed; returns 0. */
  public static int serve(String service, AutoCloseable running) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        running.close();
      } catch (Exception e) {
        System.err.println("spillway " + service + ": error while stopping: " + e);
      } finally {
        stopped.countDown();
      }
    }, "spillway-" + service + "-shutdown"));
    stopped.await();
    return 0;
  }

  /** Daemon threads named {@code name-1}, {@code name-2}, …: a service's helpers never keep the JVM up. */
  public static ThreadFactory daemonThreads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
