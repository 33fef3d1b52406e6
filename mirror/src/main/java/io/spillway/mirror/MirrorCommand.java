package io.spillway.mirror;

import io.spillway.launcher.Spillway;
import io.spillway.runtime.ServiceMain;
import io.spillway.schemas.config.SpillwayConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code spillway mirror}: found by the launcher when this module is on the classpath (bin/spillway
 * puts it there for this command only). Public only because the launcher's ServiceLoader needs it.
 */
@Command(name = "mirror", mixinStandardHelpOptions = true,
    description = "Run the mirror (central site): Kafka MirrorMaker 2 copies each datacenter's kafka.topic under "
        + "mirror.sources to <dc>.<topic> on this config's cluster; admin on mirror.admin.")
public final class MirrorCommand implements Callable<Integer>, Spillway.Plugin {
  @Option(names = {"-c", "--config"}, description = "the central config (it has mirror.sources)", required = true, paramLabel = "FILE")
  Path config;

  @Override
  public Integer call() throws InterruptedException {
    MirrorService mirror;
    try {
      mirror = MirrorService.start(SpillwayConfig.load(config));
    } catch (IllegalStateException e) {
      throw new IllegalArgumentException(e.getMessage(), e); // the central cluster did not answer: named by key, exit 2
    }
    System.err.printf("spillway mirror: running, admin on port %d%n", mirror.adminPort());
    // A datacenter that cannot be reached or has no topic yet is reported, not fatal: the others are copied meanwhile.
    for (String problem : mirror.firstLook(Duration.ofSeconds(10))) System.err.println("spillway mirror: " + problem);
    return ServiceMain.serve("mirror", mirror);
  }
}
