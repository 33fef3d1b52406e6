package io.spillway.up;

import io.spillway.launcher.Spillway;
import io.spillway.runtime.ServiceMain;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code spillway up}: found by the launcher when this module is on the classpath (bin/spillway puts it there). */
@Command(name = "up", mixinStandardHelpOptions = true,
    description = "Everything in one process: embedded Redis and Kafka, edge, bridge, delivery "
        + "(and, without --config, a built-in inspector upstream). Ctrl-C stops; data stays in --data-dir.")
public final class UpCommand implements Callable<Integer>, Spillway.Plugin {
  @Option(names = {"-c", "--config"}, description = "spillway.yml (default: a sample with the inspector upstream)", paramLabel = "FILE")
  Path config;

  @Option(names = "--data-dir", description = "where Redis, Kafka and delivery keep their data (default: ${DEFAULT-VALUE})",
      defaultValue = ".spillway", paramLabel = "DIR")
  Path dataDir;

  @Option(names = "--page-port", description = "port of the status page (default: ${DEFAULT-VALUE})", defaultValue = "9190")
  int pagePort;

  @Override
  public Integer call() throws InterruptedException {
    System.err.println("spillway up: starting Redis, Kafka, delivery, bridge, edge (data in " + dataDir.toAbsolutePath() + ") ...");
    Up up = Up.start(config, dataDir, pagePort);
    System.out.println(up.banner());
    System.out.flush();
    return ServiceMain.serve("up", up);
  }
}
