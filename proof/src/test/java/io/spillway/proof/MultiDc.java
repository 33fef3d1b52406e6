package io.spillway.proof;

import static io.spillway.runtime.SpillwayMetric.DELIVERY_DUPLICATES_DROPPED;

import io.spillway.runtime.SpillwayMetric;
import io.spillway.testkit.JavaProcess;
import io.spillway.testkit.KafkaCluster;
import io.spillway.testkit.NetworkNamespace;
import io.spillway.testkit.PrometheusText;
import io.spillway.testkit.RedisServer;
import io.spillway.testkit.SentryUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Two datacenters and a central site, every part its own process: per datacenter a Redis (AOF
 * always), a KRaft Kafka, an edge and {@code bridges} bridges; centrally a Kafka of
 * {@code centralBrokers} nodes (RF 3 with 3), the mirror (MirrorMaker 2, {@code MirrorService}),
 * {@code deliveries} delivery instances and a Redis for their fleet-wide limits; two Sentry-like
 * upstreams. When network namespaces can be made, dc1's Kafka runs in one with two links — its LAN
 * (edge side: bridges, tools) and its WAN (the mirror) — so the WAN can be cut while dc1 keeps
 * working. Every port is fixed at start so restarted processes come back where the others expect.
 */
final class MultiDc implements AutoCloseable {
  /** Routes: two projects on each of two upstreams; B has a fleet-wide rate limit. */
  record RouteSpec(String upstream, String project, String alias, long id, String key) {}

  static final List<RouteSpec> ROUTES = List.of(
      new RouteSpec("a", "web", "aweb", 71, "a071a071a071a071a071a071a071a071"),
      new RouteSpec("a", "api", "aapi", 72, "a072a072a072a072a072a072a072a072"),
      new RouteSpec("b", "shop", "bshop", 81, "b081b081b081b081b081b081b081b081"),
      new RouteSpec("b", "jobs", "bjobs", 82, "b082b082b082b082b082b082b082b082"));
  static final String TOPIC = "spillway.events";

  /** One datacenter's processes. */
  static final class Dc implements AutoCloseable {
    final String name;
    final RedisServer redis;
    final KafkaCluster kafka;
    final NetworkNamespace ns;
    final String lan;
    final String wan;
    final int edgePort;
    final int edgeAdmin;
    final JavaProcess edge;
    final List<JavaProcess> bridges = new ArrayList<>();
    final List<Integer> bridgeAdmins = new ArrayList<>();

    Dc(String name, RedisServer redis, KafkaCluster kafka, NetworkNamespace ns, Path dir, int bridges) throws Exception {
      this.name = name;
      this.redis = redis;
      this.kafka = kafka;
      this.ns = ns;
      this.lan = ns == null ? kafka.bootstrapServers() : kafka.bootstrapServers(0);
      this.wan = ns == null ? kafka.bootstrapServers() : kafka.bootstrapServers(1);
      this.edgePort = RedisServer.freePort();
      this.edgeAdmin = RedisServer.freePort();
      for (int i = 0; i < bridges; i++) bridgeAdmins.add(RedisServer.freePort());
      Path config = dir.resolve(name + ".yml");
      Files.writeString(config, """
          edge:   { listen: "127.0.0.1:%d", admin: "127.0.0.1:%d", instance: "edge-%s", datacenter: "%s" }
          bridge: { admin: "127.0.0.1:%d", block: "50ms", claim_idle: "10s" }
          redis:  { uri: "%s" }
          kafka:  { bootstrap_servers: "%s", topic: "%s", partitions: 4, replication_factor: 1 }
          %s""".formatted(edgePort, edgeAdmin, name, name, bridgeAdmins.get(0), redis.uri(), lan, TOPIC, upstreamsYaml(null, null)));
      this.edge = JavaProcess.start("io.spillway.edge.EdgeServer", List.of("-Xmx192m", "-XX:+UseSerialGC"), "--config", config.toString());
      for (int i = 0; i < bridges; i++) {
        Path own = dir.resolve(name + "-bridge" + i + ".yml");
        Files.writeString(own, Files.readString(config).replace("admin: \"127.0.0.1:" + bridgeAdmins.get(0) + "\", block",
            "admin: \"127.0.0.1:" + bridgeAdmins.get(i) + "\", consumer: \"" + name + "-bridge" + i + "\", block"));
        this.bridges.add(JavaProcess.start("io.spillway.bridge.KafkaBridge", List.of("-Xmx192m", "-XX:+UseSerialGC"), "--config", own.toString()));
      }
    }

    URI edgeUri(String path) {
      return URI.create("http://127.0.0.1:" + edgePort + path);
    }

    /** Its edge and bridges (Redis and Kafka are closed by whoever started them). */
    @Override
    public void close() {
      edge.close();
      bridges.forEach(JavaProcess::close);
    }
  }

  final Dc dc1;
  final Dc dc2;
  final KafkaCluster central;
  final RedisServer limits;
  final SentryUpstream upstreamA;
  final SentryUpstream upstreamB;
  final JavaProcess mirror;
  final int mirrorAdmin;
  final List<JavaProcess> deliveries = new ArrayList<>();
  final List<Integer> deliveryAdmins = new ArrayList<>();
  final Path dir;
  final double limitB;
  final int burstB;
  private final Path centralConfig;
  private final HttpClient probe = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private MultiDc(Path dir, Dc dc1, Dc dc2, KafkaCluster central, RedisServer limits, SentryUpstream a, SentryUpstream b,
      int deliveries, double limitB, int burstB) throws Exception {
    this.dir = dir;
    this.dc1 = dc1;
    this.dc2 = dc2;
    this.central = central;
    this.limits = limits;
    this.upstreamA = a;
    this.upstreamB = b;
    this.limitB = limitB;
    this.burstB = burstB;
    this.mirrorAdmin = RedisServer.freePort();
    for (int i = 0; i < deliveries; i++) deliveryAdmins.add(RedisServer.freePort());
    this.centralConfig = dir.resolve("central.yml");
    Files.writeString(centralConfig, centralYaml("1h", 0));
    // Started one stage at a time (datacenters, then the mirror, then delivery): a 2-core host starting a dozen JVMs at once
    // starves them all, and the mirror gives up on a central cluster that does not answer within its start timeout.
    awaitDcReady(Duration.ofSeconds(180));
    this.mirror = JavaProcess.start("io.spillway.mirror.MirrorService", List.of("-Xmx384m", "-XX:+UseSerialGC"),
        "--config", centralConfig.toString());
    try {
      awaitMirrorReady();
      for (int i = 0; i < deliveries; i++) this.deliveries.add(startDelivery(i, "1h"));
    } catch (Exception | Error e) {
      mirror.close();
      this.deliveries.forEach(JavaProcess::close);
      throw e;
    }
  }

  String centralYaml(String dedup, int instance) {
    int rf = central.size() >= 3 ? 3 : 1;
    return """
        mirror:
          admin: "127.0.0.1:%d"
          sources:
            dc1: { bootstrap_servers: "%s" }
            dc2: { bootstrap_servers: "%s" }
        delivery: { admin: "127.0.0.1:%d", state_dir: "%s", retry_max: "10s", dedup_window: %s }
        redis:    { uri: "%s" }
        kafka:    { bootstrap_servers: "%s", topic: "%s", partitions: 4, replication_factor: %d, min_insync_replicas: %d,
                    properties: { "session.timeout.ms": "6000", "heartbeat.interval.ms": "1000" } }
        %s""".formatted(mirrorAdmin, dc1.wan, dc2.wan, deliveryAdmins.isEmpty() ? 0 : deliveryAdmins.get(instance),
        dir.resolve("delivery-state-" + instance), dedup, limits.uri(), central.bootstrapServers(), TOPIC, rf, rf == 3 ? 2 : 0,
        upstreamsYaml(upstreamA, upstreamB).replace("RATE", Double.toString(limitB)).replace("BURST", Integer.toString(burstB)));
  }

  /** The route table; with upstreams given (central) also their URLs and B's fleet-wide limit. */
  static String upstreamsYaml(SentryUpstream a, SentryUpstream b) {
    StringBuilder y = new StringBuilder("upstreams:\n");
    for (String u : List.of("a", "b")) {
      SentryUpstream up = u.equals("a") ? a : b;
      y.append("  ").append(u).append(":\n    url: \"").append(up == null ? "http://127.0.0.1:9" : up.url()).append("\"\n");
      if (u.equals("b") && up != null) y.append("    rate_limit: { events_per_second: RATE, burst: BURST }\n");
      y.append("    max_in_flight: 64\n    projects:\n");
      for (RouteSpec r : ROUTES) {
        if (r.upstream().equals(u)) {
          y.append("      ").append(r.project()).append(": { alias: \"").append(r.alias()).append("\", id: ").append(r.id())
              .append(", key: \"").append(r.key()).append("\" }\n");
        }
      }
    }
    return y.toString();
  }

  /** Starts everything and waits until every service is ready. {@code namespace}: dc1's Kafka behind a cuttable WAN link. */
  static MultiDc start(int centralBrokers, int bridgesPerDc, int deliveries, boolean namespace, double limitB, int burstB)
      throws Exception {
    Pipeline.snapshotClasspath();
    Path dir = Files.createTempDirectory("spillway-multidc-");
    List<AutoCloseable> started = new ArrayList<>();
    try {
      NetworkNamespace ns = namespace ? track(started, NetworkNamespace.create(2)) : null;
      KafkaCluster k1 = track(started, ns != null ? KafkaCluster.startIn(ns) : KafkaCluster.start(1));
      KafkaCluster k2 = track(started, KafkaCluster.start(1));
      KafkaCluster central = track(started, KafkaCluster.start(centralBrokers));
      RedisServer r1 = track(started, RedisServer.launch(RedisServer.Fsync.ALWAYS));
      RedisServer r2 = track(started, RedisServer.launch(RedisServer.Fsync.ALWAYS));
      RedisServer limits = track(started, RedisServer.launch());
      SentryUpstream a = track(started, SentryUpstream.start().keepBodies(false));
      SentryUpstream b = track(started, SentryUpstream.start().keepBodies(false));
      for (RouteSpec r : ROUTES) (r.upstream().equals("a") ? a : b).project(r.id(), r.key(), null);
      Dc dc1 = track(started, new Dc("dc1", r1, k1, ns, dir, bridgesPerDc));
      Dc dc2 = track(started, new Dc("dc2", r2, k2, null, dir, bridgesPerDc));
      MultiDc m = new MultiDc(dir, dc1, dc2, central, limits, a, b, deliveries, limitB, burstB);
      try {
        m.awaitReady(Duration.ofSeconds(180));
        return m;
      } catch (RuntimeException e) {
        m.close();
        throw e;
      }
    } catch (Exception e) {
      for (int i = started.size() - 1; i >= 0; i--) {
        try {
          started.get(i).close();
        } catch (Exception ignored) {
          // keep closing
        }
      }
      throw e;
    }
  }

  private static <T extends AutoCloseable> T track(List<AutoCloseable> started, T c) {
    started.add(c);
    return c;
  }

  JavaProcess startDelivery(int i, String dedup) throws Exception {
    Path file = dir.resolve("central-delivery" + i + "-" + dedup.replace(' ', '_') + ".yml");
    Files.writeString(file, centralYaml(dedup, i));
    return JavaProcess.start("io.spillway.delivery.DeliveryService", List.of("-Xmx384m", "-XX:+UseSerialGC"), "--config", file.toString());
  }

  /** Replaces every delivery instance with one running {@code dedup_window: dedup} (graceful stop first). */
  void restartDeliveries(String dedup) throws Exception {
    for (JavaProcess d : deliveries) d.stop();
    for (int i = 0; i < deliveries.size(); i++) {
      deliveries.get(i).close();
      deliveries.set(i, startDelivery(i, dedup));
    }
    awaitDeliveriesReady();
  }

  void awaitReady(Duration timeout) {
    awaitDcReady(timeout);
    awaitReady("mirror", mirror, mirrorAdmin, timeout);
    awaitDeliveriesReady();
  }

  void awaitDcReady(Duration timeout) {
    awaitReady("dc1 edge", dc1.edge, dc1.edgeAdmin, timeout);
    awaitReady("dc2 edge", dc2.edge, dc2.edgeAdmin, timeout);
    for (Dc dc : List.of(dc1, dc2)) {
      for (int i = 0; i < dc.bridges.size(); i++) awaitReady(dc.name + " bridge" + i, dc.bridges.get(i), dc.bridgeAdmins.get(i), timeout);
    }
  }

  void awaitDeliveriesReady() {
    for (int i = 0; i < deliveries.size(); i++) awaitReady("delivery" + i, deliveries.get(i), deliveryAdmins.get(i), Duration.ofSeconds(180));
  }

  void awaitMirrorReady() {
    awaitReady("mirror", mirror, mirrorAdmin, Duration.ofSeconds(180));
  }

  void awaitReady(String name, JavaProcess process, int adminPort, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) throw new IllegalStateException(name + " exited:\n" + Pipeline.tail(process.output()));
      HttpResponse<String> r = get(adminPort, "/readyz");
      if (r != null && r.statusCode() == 200) return;
      last = r == null ? "no answer" : r.statusCode() + " " + r.body();
      Pipeline.sleep(250);
    }
    throw new IllegalStateException(name + " not ready within " + timeout + " (" + last + "):\n" + Pipeline.tail(process.output()));
  }

  HttpResponse<String> get(int port, String path) {
    try {
      return probe.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(3)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      return null;
    }
  }

  /** A metric of one admin port (sum over matching series), NaN when absent or unreachable. */
  double metric(int port, SpillwayMetric metric, String labels) {
    HttpResponse<String> r = get(port, "/metrics");
    return r == null || r.statusCode() != 200 ? Double.NaN : PrometheusText.sum(r.body(), metric.exportedName(), labels);
  }

  /** Duplicates each delivery instance dropped since it started (0 when it has not dropped any, NaN when it does not answer). */
  double[] duplicatesDroppedPerInstance() {
    double[] out = new double[deliveryAdmins.size()];
    for (int i = 0; i < out.length; i++) {
      double v = metric(deliveryAdmins.get(i), DELIVERY_DUPLICATES_DROPPED, null);
      HttpResponse<String> up = Double.isNaN(v) ? get(deliveryAdmins.get(i), "/healthz") : null;
      out[i] = !Double.isNaN(v) ? v : up != null && up.statusCode() == 200 ? 0 : Double.NaN;
    }
    return out;
  }

  /** Dropped between two readings, over the instances; an instance whose counter went down restarted (count from 0). */
  static double delta(double[] before, double[] after) {
    double sum = 0;
    for (int i = 0; i < after.length; i++) {
      double b = Double.isNaN(before[i]) ? 0 : before[i];
      double a = Double.isNaN(after[i]) ? b : after[i];
      sum += a >= b ? a - b : a;
    }
    return sum;
  }

  String liveness() {
    StringBuilder b = new StringBuilder();
    b.append("dc1 edge=").append(dc1.edge.isAlive()).append(" dc2 edge=").append(dc2.edge.isAlive()).append(" mirror=").append(mirror.isAlive());
    for (int i = 0; i < deliveries.size(); i++) b.append(" delivery").append(i).append('=').append(deliveries.get(i).isAlive());
    b.append(" logs: mirror ").append(mirror.log());
    for (JavaProcess d : deliveries) b.append(" delivery ").append(d.log());
    return b.toString();
  }

  @Override
  public void close() {
    List<AutoCloseable> all = new ArrayList<>();
    all.add(dc1.edge);
    all.add(dc2.edge);
    all.addAll(dc1.bridges);
    all.addAll(dc2.bridges);
    all.add(mirror);
    all.addAll(deliveries);
    all.addAll(List.of(upstreamA, upstreamB, central, dc1.kafka, dc2.kafka, dc1.redis, dc2.redis, limits));
    if (dc1.ns != null) all.add(dc1.ns);
    for (AutoCloseable c : all) {
      try {
        if (c != null) c.close();
      } catch (Exception ignored) {
        // keep closing the rest
      }
    }
  }
}
