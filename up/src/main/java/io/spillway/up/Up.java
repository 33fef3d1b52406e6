package io.spillway.up;

import io.spillway.bridge.KafkaBridge;
import io.spillway.delivery.DeliveryService;
import io.spillway.edge.EdgeServer;
import io.spillway.launcher.Dsn;
import io.spillway.launcher.KafkaGroupLag;
import io.spillway.runtime.AdminServer;
import io.spillway.runtime.Metrics;
import io.spillway.runtime.status.PipelineStatus;
import io.spillway.runtime.status.StatusPage;
import io.spillway.schemas.Route;
import io.spillway.schemas.config.HostPort;
import io.spillway.schemas.config.ProjectConfig;
import io.spillway.schemas.config.SpillwayConfig;
import io.spillway.schemas.config.UpstreamConfig;
import io.spillway.testkit.KafkaCluster;
import io.spillway.testkit.RedisServer;
import io.spillway.testkit.SentryUpstream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code spillway up}: the whole pipeline in one process for a laptop or a demo. An embedded
 * redis-server (AOF everysec) and a single-node KRaft Kafka run as child processes with their data
 * in the data directory, so a restart finds the backlog where it was; then edge, bridge and
 * delivery start in this JVM. Without a config, the only upstream is the built-in inspector: it
 * accepts events like Sentry and the up page lists them.
 */
final class Up implements AutoCloseable {
  static final String SAMPLE = "up-sample.yml";
  static final int PAGE_PORT = 9190;

  private final Deque<AutoCloseable> started = new ArrayDeque<>();
  final SpillwayConfig config;
  SentryUpstream inspector;
  EdgeServer edge;
  AdminServer page;

  private Up(SpillwayConfig config) {
    this.config = config;
  }

  /** Starts everything; on failure stops what had started and rethrows. */
  static Up start(Path configFile, Path dataDir, int pagePort) {
    Path data = dataDir.toAbsolutePath();
    SpillwayConfig config = configFile != null ? SpillwayConfig.load(configFile) : sampleConfig(data);
    Up up = new Up(config);
    try {
      up.startAll(data, configFile == null, pagePort);
      return up;
    } catch (RuntimeException e) {
      up.close();
      throw e;
    }
  }

  static SpillwayConfig sampleConfig(Path data) {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.put("SPILLWAY_UP_DATA", data.toString());
    try (InputStream in = Up.class.getResourceAsStream(SAMPLE)) {
      return SpillwayConfig.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), env, SAMPLE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void startAll(Path data, boolean withInspector, int pagePort) {
    URI redisUri = URI.create(config.redis().uri());
    HostPort kafkaAddr = HostPort.parse(config.kafka().bootstrapServers().split(",")[0].trim());
    RedisServer redis = RedisServer.launchPersistent(data.resolve("redis"), redisUri.getPort(), RedisServer.Fsync.EVERYSEC);
    started.push(redis::stop);
    KafkaCluster kafka = KafkaCluster.startPersistent(data.resolve("kafka"), kafkaAddr.port(), kafkaAddr.port() + 1);
    started.push(kafka);
    if (withInspector) {
      UpstreamConfig u = config.upstreams().get("inspector");
      // The page shows the last 50: what it keeps must not grow with what it received (up runs for days).
      inspector = SentryUpstream.startOn(u.url().getPort()).keepLast(1000);
      u.projects().values().forEach(p -> inspector.project(p.id(), p.key(), p.secret()));
      started.push(inspector);
    }
    DeliveryService delivery = DeliveryService.start(config);
    started.push(delivery);
    KafkaBridge bridge = KafkaBridge.start(config);
    started.push(bridge);
    edge = EdgeServer.start(config);
    started.push(edge);
    // The status page scrapes the services' real admin ports (a config may bind them to port 0).
    PipelineStatus status = new PipelineStatus(Map.of(
        "edge", PipelineStatus.adminUri(new HostPort(config.edge().admin().host(), edge.adminPort())),
        "bridge", PipelineStatus.adminUri(new HostPort(config.bridge().admin().host(), bridge.adminPort())),
        "delivery", PipelineStatus.adminUri(new HostPort(config.delivery().admin().host(), delivery.adminPort()))),
        config.kafka().topic(), Duration.ofSeconds(1));
    KafkaGroupLag groupLag = new KafkaGroupLag(config);
    started.push(groupLag);
    status.groupLag(groupLag);
    page = new AdminServer(new HostPort("127.0.0.1", pagePort), Metrics.registry("up", "up"))
        .route("/", new UpPage(this))
        .route("/status", new StatusPage(status))
        .start();
    started.push(page);
  }

  String pageUrl() {
    return "http://127.0.0.1:" + page.port() + "/";
  }

  /** What {@code up} prints once everything runs. */
  String banner() {
    StringBuilder b = new StringBuilder();
    b.append("Spillway is up.\n\n");
    b.append("  DSNs (give these to your apps):\n");
    config.upstreams().values().forEach(u -> u.projects().values().forEach(p -> {
      Route r = new Route(u.name(), p.name());
      b.append(String.format("    %-24s %s%n", r, Dsn.forRoute(config, r)));
    }));
    b.append("\n  Status page:  ").append(pageUrl()).append('\n');
    b.append("  Pipeline:     ").append(pageUrl()).append("status (backlog, lag, upstreams)\n");
    b.append("  Metrics:      http://").append(config.edge().admin()).append("/metrics (edge), ")
        .append(config.bridge().admin()).append(" (bridge), ").append(config.delivery().admin()).append(" (delivery)\n");
    if (inspector != null) {
      ProjectConfig demo = config.upstreams().get("inspector").projects().values().iterator().next();
      String dsn = Dsn.forRoute(config, new Route("inspector", demo.name()));
      URI d = URI.create(dsn);
      b.append("\n  Try it:\n    curl -s -X POST '").append(d.getScheme()).append("://").append(d.getHost()).append(':').append(d.getPort())
          .append("/api/").append(demo.id()).append("/store/?sentry_key=").append(demo.alias() != null ? demo.alias() : "inspector")
          .append("&sentry_version=7' -H 'Content-Type: application/json' -d '{\"message\":\"hello from curl\"}'\n")
          .append("    then open the status page: the event shows up under the inspector.\n");
    }
    b.append("\n  Ctrl-C stops everything; data stays in the data directory.\n");
    return b.toString();
  }

  /** Stops in reverse order of start: edge first (no new events), infrastructure last. */
  @Override
  public void close() {
    while (!started.isEmpty()) {
      try {
        started.pop().close();
      } catch (Exception e) {
        System.err.println("spillway up: error while stopping: " + e);
      }
    }
  }
}
