package io.spillway.launcher;

import io.spillway.runtime.status.GroupLag;
import io.spillway.runtime.status.PipelineStatus;
import io.spillway.runtime.status.StatusSnapshot;
import io.spillway.schemas.config.SpillwayConfig;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code spillway status}: the status page in the terminal, from the same scrape of the three
 * services' admin ports. One shot takes two scrapes a second apart so the rates are real.
 * Exit code 0 when every service is up, 1 otherwise (usable in scripts).
 */
@Command(name = "status", description = {"One screen: Redis backlog, Kafka lag, rates, upstreams (held until), service readiness;",
    "at a central site (mirror.sources) the mirror's lag and gaps per datacenter and delivery's lag per source topic.",
    "Shows and checks the services the config runs: central = mirror + delivery, datacenter (no delivery section) =",
    "edge + bridge, otherwise edge + bridge + delivery."})
final class StatusCommand implements Callable<Integer> {
  @CommandLine.Mixin Spillway.ConfigOption options;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = {"-w", "--watch"}, description = "redraw every --interval seconds until Ctrl-C")
  boolean watch;

  @Option(names = "--interval", description = "seconds between redraws with --watch (default: ${DEFAULT-VALUE})", defaultValue = "2")
  int interval;

  @Override
  public Integer call() throws InterruptedException {
    if (interval < 1) throw new IllegalArgumentException("--interval must be at least 1");
    SpillwayConfig config = options.load();
    spec.commandLine().getOut().printf("%s config (%s): %s%n", config.role().label(), Spillway.CheckConfig.roleReason(config),
        String.join(" + ", config.role().services()));
    try (KafkaGroupLag lag = new KafkaGroupLag(config)) {
      return show(PipelineStatus.forConfig(config).groupLag(lag));
    }
  }

  private int show(PipelineStatus status) throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    status.refresh();
    Thread.sleep(1000);
    StatusSnapshot s = status.refresh();
    if (!watch) {
      out.print(s.text());
      out.flush();
      return allUp(s) ? 0 : 1;
    }
    while (true) {
      out.print("\033[H\033[2J"); // home + clear: redraw in place
      out.print(s.text());
      out.println("\n(every " + interval + " s; Ctrl-C to stop)");
      out.flush();
      Thread.sleep(interval * 1000L);
      s = status.refresh();
    }
  }



  static boolean allUp(StatusSnapshot s) {
    return s.services().stream().allMatch(x -> x.readiness() == StatusSnapshot.Readiness.UP);
  }
}
