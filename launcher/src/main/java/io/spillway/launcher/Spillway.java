package io.spillway.launcher;

import io.spillway.schemas.Route;
import io.spillway.schemas.config.ConfigException;
import io.spillway.schemas.config.SpillwayConfig;
import io.spillway.schemas.config.UpstreamConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bin/spillway}: one CLI for every service and tool. */
@Command(name = "spillway", mixinStandardHelpOptions = true, version = "spillway 0.1.0",
    description = "A buffering relay for Sentry.",
    subcommands = {
        Spillway.CheckConfig.class,
        Spillway.DsnCommand.class,
    })
public final class Spillway implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs a command line and returns the exit code (tests call this). */
  static int run(String... args) {
    CommandLine cl = new CommandLine(new Spillway());
    cl.setExecutionExceptionHandler((e, line, parse) -> {
      if (e instanceof ConfigException ce) {
        line.getErr().println(ce.getMessage());
        return 2;
      }
      if (e instanceof IllegalArgumentException) {
        line.getErr().println("spillway: " + e.getMessage());
        return 2;
      }
      throw e;
    });
    return cl.execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Options every service command shares. */
  static class ConfigOption {
    @Option(names = {"-c", "--config"}, description = "the spillway.yml file", required = true, paramLabel = "FILE")
    Path config;

    SpillwayConfig load() {
      return SpillwayConfig.load(config);
    }
  }

  @Command(name = "check-config", description = "Validate a config file; lists every problem with its key.")
  static final class CheckConfig implements Callable<Integer> {
    @CommandLine.Mixin ConfigOption options;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      SpillwayConfig c = options.load();
      PrintWriter out = spec.commandLine().getOut();
      out.printf("%s: ok%n", options.config);
      out.printf("  edge      listen %s, admin %s%n", c.edge().listen(), c.edge().admin());
      out.printf("  redis     %s, stream %s x%d%n", c.redis().redactedUri(), c.redis().stream(), c.redis().shards());
      out.printf("  kafka     %s, topic %s (%d partitions, rf %d), dlq %s%n", c.kafka().bootstrapServers(),
          c.kafka().topic(), c.kafka().partitions(), c.kafka().replicationFactor(), c.kafka().dlqTopic());
      for (UpstreamConfig u : c.upstreams().values()) {
        String limit = u.rateLimit() == null ? "unlimited" : u.rateLimit().eventsPerSecond() + " events/s, burst " + u.rateLimit().burst();
        out.printf("  upstream  %s %s (%s, max_in_flight %d)%n", u.name(), u.url(), limit, u.maxInFlight());
        u.projects().values().forEach(p -> out.printf("    route   %s/%s -> project %d%s%n", u.name(), p.name(), p.id(),
            p.alias() == null ? "" : ", alias " + p.alias()));
      }
      if (c.defaultRoute() != null) out.printf("  default_route %s%n", c.defaultRoute());
      out.flush();
      return 0;
    }
  }

  @Command(name = "dsn", description = "Print the DSN an app should use for a route (never the real key).")
  static final class DsnCommand implements Callable<Integer> {
    @CommandLine.Mixin ConfigOption options;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = {"-r", "--route"}, description = "upstream/project; all routes if omitted", paramLabel = "ROUTE")
    String route;

    @Override
    public Integer call() {
      SpillwayConfig c = options.load();
      PrintWriter out = spec.commandLine().getOut();
      if (route != null) {
        out.println(Dsn.forRoute(c, Route.parse(route)));
      } else {
        c.upstreams().values().forEach(u -> u.projects().values().forEach(p -> {
          Route r = new Route(u.name(), p.name());
          out.printf("%-30s %s%n", r, Dsn.forRoute(c, r));
        }));
      }
      out.flush();
      return 0;
    }
  }
}
