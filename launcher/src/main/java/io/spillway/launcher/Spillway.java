package io.spillway.launcher;

import io.spillway.runtime.ServiceMain;
import io.spillway.schemas.Route;
import io.spillway.schemas.config.ConfigException;
import io.spillway.schemas.config.PrivacyConfig;
import io.spillway.schemas.config.Role;
import io.spillway.schemas.config.SpillwayConfig;
import io.spillway.schemas.config.UpstreamConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bin/spillway}: one CLI for every service and tool. */
@Command(name = "spillway", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "spillway 0.1.0",
    description = "A buffering relay for Sentry.",
    subcommands = {
        Spillway.Edge.class,
        Spillway.Bridge.class,
        Spillway.Delivery.class,
        Spillway.CheckConfig.class,
        Spillway.DsnCommand.class,
        StatusCommand.class,
        ToolCommands.ReplayCommand.class, ToolCommands.DlqCommand.class,
    })
public final class Spillway implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /**
   * A command that lives in a module of its own and is on the classpath only when it runs
   * ({@code up} brings an embedded Redis and Kafka broker, {@code mirror} MirrorMaker 2): the
   * services' classpath stays free of them. Found with {@link ServiceLoader}; {@code bin/spillway}
   * puts the module's classpath in front for its command.
   */
  public interface Plugin {}

  /** Exit codes: 0 done, 1 failed while running, 2 bad usage or config. */
  static final int FAILED = 1;
  static final int USAGE = 2;

  /**
   * Runs a command line and returns the exit code (tests call this). Errors are one line naming
   * what is wrong ({@code SPILLWAY_DEBUG=1} adds the stack trace of a failure).
   */
  static int run(String... args) {
    CommandLine cl = new CommandLine(new Spillway());
    for (Plugin p : ServiceLoader.load(Plugin.class)) cl.addSubcommand(p);
    cl.setParameterExceptionHandler((e, a) -> {
      CommandLine line = e.getCommandLine();
      line.getErr().println(prefix(line) + e.getMessage());
      line.getErr().println("See '" + line.getCommandSpec().qualifiedName() + " --help'.");
      return USAGE;
    });
    cl.setExecutionExceptionHandler((e, line, parse) -> {
      if (e instanceof ConfigException ce) {
        line.getErr().println(ce.getMessage());
        return USAGE;
      }
      if (e instanceof IllegalArgumentException) {
        line.getErr().println(prefix(line) + e.getMessage());
        return USAGE;
      }
      line.getErr().println(prefix(line) + describe(e));
      if (System.getenv("SPILLWAY_DEBUG") != null) e.printStackTrace(line.getErr());
      return FAILED;
    });
    cl.setExecutionStrategy(parse -> {
      CommandLine.ParseResult last = parse;
      while (last.hasSubcommand()) last = last.subcommand();
      Object command = last.commandSpec().userObject();
      if (!(command instanceof ServiceCommand) && !(command instanceof Plugin)) {
        ToolLogging.quiet(); // a tool prints its own words only; services (and up, mirror) keep their logs
      }
      return new CommandLine.RunLast().execute(parse);
    });
    return cl.execute(args);
  }

  private static String prefix(CommandLine line) {
    return line.getCommandSpec().qualifiedName() + ": ";
  }

  /** A failure in words: its message, and the cause's when that says more. */
  static String describe(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    Throwable c = e.getCause();
    if (c != null && c.getMessage() != null && !m.contains(c.getMessage())) m += " (" + c.getMessage() + ")";
    return m;
  }

  @Override
  public Integer call() {
    return missingCommand(spec);
  }

  /** A command that only groups others, run alone: its usage on stderr, a usage error. */
  static int missingCommand(CommandLine.Model.CommandSpec spec) {
    spec.commandLine().usage(spec.commandLine().getErr());
    spec.commandLine().getErr().println(spec.qualifiedName() + ": choose a command.");
    return USAGE;
  }

  /** Options every service command shares. */
  static class ConfigOption {
    @Option(names = {"-c", "--config"}, description = "the spillway.yml file", required = true, paramLabel = "FILE")
    Path config;

    SpillwayConfig load() {
      return SpillwayConfig.load(config);
    }
  }

  /** A long-running service: start it from the config, print where it listens, serve until stopped. */
  abstract static class ServiceCommand implements Callable<Integer> {
    @CommandLine.Mixin ConfigOption options;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    abstract AutoCloseable start(SpillwayConfig config);

    abstract int adminPort(AutoCloseable service);

    @Override
    public Integer call() throws InterruptedException {
      String name = spec.name();
      AutoCloseable service = start(options.load());
      System.err.printf("spillway %s: running, admin on port %d%n", name, adminPort(service));
      return ServiceMain.serve(name, service);
    }
  }

  @Command(name = "edge", description = "Run the HTTP edge: SDKs send here; events go into Redis.")
  static final class Edge extends ServiceCommand {
    @Override
    AutoCloseable start(SpillwayConfig config) {
      return io.spillway.edge.EdgeServer.start(config);
    }

    @Override
    int adminPort(AutoCloseable s) {
      return ((io.spillway.edge.EdgeServer) s).adminPort();
    }
  }

  @Command(name = "bridge", description = "Run the bridge: Redis stream to the Kafka topic.")
  static final class Bridge extends ServiceCommand {
    @Override
    AutoCloseable start(SpillwayConfig config) {
      return io.spillway.bridge.KafkaBridge.start(config);
    }

    @Override
    int adminPort(AutoCloseable s) {
      return ((io.spillway.bridge.KafkaBridge) s).adminPort();
    }
  }

  @Command(name = "delivery", description = "Run delivery: Kafka topic to the Sentry upstreams.")
  static final class Delivery extends ServiceCommand {
    @Override
    AutoCloseable start(SpillwayConfig config) {
      return io.spillway.delivery.DeliveryService.start(config);
    }

    @Override
    int adminPort(AutoCloseable s) {
      return ((io.spillway.delivery.DeliveryService) s).adminPort();
    }
  }

  @Command(name = "check-config", description = "Validate a config file; lists every problem with its key.")
  static final class CheckConfig implements Callable<Integer> {
    @CommandLine.Mixin ConfigOption options;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      SpillwayConfig c = options.load();
      // The files the config names (tls PEM files): checked here, and again when delivery starts.
      java.util.List<String> files = c.fileProblems();
      if (!files.isEmpty()) throw new ConfigException(options.config.toString(), files);
      PrintWriter out = spec.commandLine().getOut();
      out.printf("%s: ok%n", options.config);
      out.printf("  role      %s (%s): runs %s%n", c.role().label(), roleReason(c), String.join(", ", c.role().services()));
      if (c.role() != Role.CENTRAL) {
        out.printf("  edge      listen %s, admin %s, datacenter %s%n", c.edge().listen(), c.edge().admin(), c.edge().datacenter());
        out.printf("  redis     %s, stream %s x%d%n", c.redis().redactedUri(), c.redis().stream(), c.redis().shards());
        out.printf("  bridge    admin %s%n", c.bridge().admin());
      }
      if (c.role() == Role.CENTRAL) {
        out.printf("  mirror    admin %s%n", c.mirror().admin());
        c.mirror().sources().values().forEach(src -> out.printf("    source  %s: %s%s -> %s%n", src.name(), src.bootstrapServers(),
            src.properties().isEmpty() ? "" : " (properties: " + String.join(", ", src.properties().keySet()) + ")",
            io.spillway.schemas.config.MirrorConfig.remoteTopic(src.name(), c.kafka().topic())));
        if (!c.mirror().properties().isEmpty()) out.printf("    extra   MirrorMaker 2 settings: %s%n", String.join(", ", c.mirror().properties().keySet()));
      }
      out.printf("  kafka     %s, topic %s (%d partitions, rf %d), dlq %s%n", c.kafka().bootstrapServers(),
          c.kafka().topic(), c.kafka().partitions(), c.kafka().replicationFactor(), c.kafka().dlqTopic());
      if (c.role() != Role.DATACENTER) {
        out.printf("  delivery  admin %s, reads %s, dedup window %s%n", c.delivery().admin(), String.join(", ", c.deliveryTopics()),
            c.delivery().dedupWindow().isZero() ? "off" : c.delivery().dedupWindow());
      }
      for (UpstreamConfig u : c.upstreams().values()) {
        String limit = u.rateLimit() == null ? "unlimited" : u.rateLimit().eventsPerSecond() + " events/s, burst " + u.rateLimit().burst();
        out.printf("  upstream  %s %s (%s, max_in_flight %d%s%s%s)%n", u.name(), u.url(), limit, u.maxInFlight(),
            u.proxy() == null ? "" : ", proxy " + u.proxy().redacted(),
            u.tls().caFile() == null ? "" : ", ca " + u.tls().caFile(),
            u.tls().clientCertFile() == null ? "" : ", client certificate " + u.tls().clientCertFile());
        u.projects().values().forEach(p -> {
          out.printf("    route   %s/%s -> project %d%s%n", u.name(), p.name(), p.id(),
              p.alias() == null ? "" : ", alias " + p.alias());
          PrivacyConfig privacy = p.privacy() != null ? p.privacy() : c.privacy();
          if (privacy != null && !privacy.isOff()) out.printf("      privacy %s%n", describe(privacy));
        });
      }
      if (c.defaultRoute() != null) out.printf("  default_route %s%n", c.defaultRoute());
      out.flush();
      return 0;
    }

    static String roleReason(SpillwayConfig c) {
      return switch (c.role()) {
        case CENTRAL -> "mirror.sources lists " + String.join(", ", c.mirror().sources().keySet());
        case DATACENTER -> "edge.datacenter " + c.edge().datacenter() + ", no delivery section";
        case SINGLE_SITE -> "no mirror.sources";
      };
    }
  }

  /** One line: what a route's data scrubbing does (no values: the settings only). */
  static String describe(PrivacyConfig p) {
    List<String> parts = new ArrayList<>();
    if (p.scrubData()) parts.add(p.scrubDefaults() ? "data scrubber with Sentry's defaults" : "data scrubber without defaults");
    if (p.scrubIpAddresses()) parts.add("IP addresses removed");
    if (p.scrubData() && !p.sensitiveFields().isEmpty()) parts.add(p.sensitiveFields().size() + " sensitive fields");
    if (!p.safeFields().isEmpty()) parts.add(p.safeFields().size() + " safe fields");
    if (p.rules() != null) {
      parts.add("rules " + p.rulesFile() + " (" + p.rules().rules().size() + " rules, " + p.rules().applications().size()
          + " applications)");
    }
    parts.add("attachments " + p.attachments().name().toLowerCase(Locale.ROOT));
    return String.join(", ", parts);
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
