package io.spillway.proof;

import io.spillway.testkit.JavaProcess;
import io.spillway.testkit.KafkaCluster;
import io.spillway.testkit.RedisServer;
import io.spillway.testkit.SentryUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The whole pipeline as separate processes: Redis ({@link RedisServer}), Kafka brokers
 * ({@link KafkaCluster}), and the edge, bridge and delivery apps each in its own child JVM run
 * from its {@code main --config FILE}, so a scenario can SIGKILL any of them. The upstreams are two
 * {@link SentryUpstream}s in the test JVM: {@code main}, and {@code copy}, where the copied routes'
 * copies go. Every port is fixed at start so a restarted process comes back where the others expect it.
 */
final class Pipeline implements AutoCloseable {
  /** The app's DSN key (an alias) and the real project the upstream knows. */
  static final String APP_ALIAS = "proofalias";
  static final long APP_ID = 42;
  static final String APP_KEY = "a42a42a42a42a42a42a42a42a42a42a4";
  /** A route the edge accepts but the upstream does not know: its events end up dead-lettered (401). */
  static final String GHOST_ALIAS = "ghostalias";
  /**
   * The copied route (issue 12): {@code main/shop} (alias, project 44 on the main upstream) is copied
   * to {@code copy/shop}, another project (4501234) with its own key on the second upstream.
   */
  static final String SHOP_ALIAS = "proofshop";
  static final long SHOP_ID = 44;
  static final String SHOP_KEY = "c44c44c44c44c44c44c44c44c44c44c4";
  static final long COPY_SHOP_ID = 4501234;
  static final String COPY_SHOP_KEY = "d45d45d45d45d45d45d45d45d45d45d4";
  /** {@code main/bulk} (project 45) is copied to {@code copy/sampled} (4501235), which takes {@link #SAMPLE_RATE} of its events by event id. */
  static final String BULK_ALIAS = "proofbulk";
  static final long BULK_ID = 45;
  static final String BULK_KEY = "e46e46e46e46e46e46e46e46e46e46e4";
  static final long SAMPLED_ID = 4501235;
  static final String SAMPLED_KEY = "f47f47f47f47f47f47f47f47f47f47f4";
  static final double SAMPLE_RATE = 0.1;

  final RedisServer redis;
  final KafkaCluster kafka;
  final SentryUpstream upstream;
  /** The second upstream, where the copied routes' copies go. */
  final SentryUpstream copy;
  final int edgePort;
  final String dlqTopic = "spillway.events.dlq";
  final JavaProcess edge;
  final JavaProcess bridge;
  final JavaProcess delivery;
  /** The large-event sender of the scenario that has one (joined by its undo action). */
  volatile Thread largeLoad;
  private final int edgeAdmin;
  private final int bridgeAdmin;
  private final int deliveryAdmin;
  private final Path dir;
  private final HttpClient probe = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private Pipeline(RedisServer redis, KafkaCluster kafka, SentryUpstream upstream, SentryUpstream copy, int brokers,
      boolean privacy) throws Exception {
    this.redis = redis;
    this.kafka = kafka;
    this.upstream = upstream;
    this.copy = copy;
    this.dir = Files.createTempDirectory("spillway-proof-");
    this.edgePort = RedisServer.freePort();
    this.edgeAdmin = RedisServer.freePort();
    this.bridgeAdmin = RedisServer.freePort();
    this.deliveryAdmin = RedisServer.freePort();
    int rf = brokers >= 3 ? 3 : 1;
    int minIsr = rf == 3 ? 2 : 0;
    // retry_max 10s (default 60s): after an upstream outage the drain starts within ~10 s instead
    // of ~60 s, which keeps the suite's wall time bounded; the at-least-once logic is the same.
    // session.timeout.ms 6s: a SIGKILLed delivery's partitions come back to its restart after 6 s
    // instead of 45 s (delivery/README "Known limits").
    String yaml = """
        edge:     { listen: "127.0.0.1:%d", admin: "127.0.0.1:%d", instance: "edge-proof", datacenter: "dc-proof" }
        bridge:   { admin: "127.0.0.1:%d", consumer: "bridge-proof", block: "50ms", claim_idle: "10s" }
        delivery: { admin: "127.0.0.1:%d", state_dir: "%s", retry_max: "10s" }
        redis:    { uri: "%s" }
        kafka:    { bootstrap_servers: "%s", partitions: 4, replication_factor: %d, min_insync_replicas: %d, properties: { "session.timeout.ms": "6000", "heartbeat.interval.ms": "1000" } }
        %s
        upstreams:
          main:
            url: "%s"
            projects:
              app:   { alias: "%s", id: %d, key: "%s" }
              ghost: { alias: "%s", id: 43, key: "b43b43b43b43b43b43b43b43b43b43b4" }
              shop:  { alias: "%s", id: %d, key: "%s", copy_to: ["copy/shop"] }
              bulk:  { alias: "%s", id: %d, key: "%s", copy_to: ["copy/sampled"] }
          copy:
            url: "%s"
            projects:
              shop:    { id: %d, key: "%s" }
              sampled: { id: %d, key: "%s", copy_to_sample_rate: %s }
        """.formatted(edgePort, edgeAdmin, bridgeAdmin, deliveryAdmin, dir.resolve("delivery-state"), redis.uri(),
        kafka.bootstrapServers(), rf, minIsr, privacy ? "privacy:  { scrub_defaults: true, scrub_ip_addresses: true }" : "",
        upstream.url(), APP_ALIAS, APP_ID, APP_KEY, GHOST_ALIAS,
        SHOP_ALIAS, SHOP_ID, SHOP_KEY, BULK_ALIAS, BULK_ID, BULK_KEY,
        copy.url(), COPY_SHOP_ID, COPY_SHOP_KEY, SAMPLED_ID, SAMPLED_KEY, SAMPLE_RATE);
    Path config = dir.resolve("spillway.yml");
    Files.writeString(config, yaml);
    // The JVM options bin/spillway and the image run each service with: the suite proves those.
    this.edge = JavaProcess.start("io.spillway.edge.EdgeServer", ServiceJvm.options("edge"), "--config", config.toString());
    this.bridge = JavaProcess.start("io.spillway.bridge.KafkaBridge", ServiceJvm.options("bridge"), "--config", config.toString());
    this.delivery = JavaProcess.start("io.spillway.delivery.DeliveryService", ServiceJvm.options("delivery"),
        "--config", config.toString());
  }

  /** Starts Redis (AOF {@code always}), {@code brokers} Kafka nodes, the upstream and the three apps; waits until all are ready. */
  static Pipeline start(int brokers) throws Exception {
    return start(brokers, true);
  }

  /** {@code privacy}: with data scrubbing at the edge (the suites' default), or with the default config's none. */
  static Pipeline start(int brokers, boolean privacy) throws Exception {
    snapshotClasspath();
    RedisServer redis = null;
    KafkaCluster kafka = null;
    SentryUpstream upstream = null;
    SentryUpstream copy = null;
    try {
      redis = RedisServer.launch(RedisServer.Fsync.ALWAYS);
      kafka = KafkaCluster.start(brokers);
      // Ids, statuses and times are all the ledger needs; a million kept bodies would fill this JVM's heap.
      upstream = SentryUpstream.start().project(APP_ID, APP_KEY, null).project(SHOP_ID, SHOP_KEY, null)
          .project(BULK_ID, BULK_KEY, null).keepBodies(false);
      copy = SentryUpstream.start().project(COPY_SHOP_ID, COPY_SHOP_KEY, null).project(SAMPLED_ID, SAMPLED_KEY, null)
          .keepBodies(false);
      // Load every testkit class now: other engineers re-install the testkit jar in ~/.m2 while a
      // long run is going, and a class first loaded after that fails (NoClassDefFoundError, seen).
      upstream.rateLimit(Duration.ZERO, "1", null).reset();
      for (Class<?> c : List.of(SentryUpstream.class, KafkaCluster.class, RedisServer.class, JavaProcess.class)) {
        for (Class<?> inner : c.getDeclaredClasses()) Class.forName(inner.getName(), true, c.getClassLoader());
      }
      Pipeline p = new Pipeline(redis, kafka, upstream, copy, brokers, privacy);
      try {
        p.awaitReady(Duration.ofSeconds(120));
        return p;
      } catch (RuntimeException e) {
        p.close();
        throw e;
      }
    } catch (Exception e) {
      for (AutoCloseable c : new AutoCloseable[] {upstream, copy, kafka, redis}) {
        if (c != null) c.close();
      }
      throw e;
    }
  }

  /**
   * Child JVMs get the test's classpath ({@code java.class.path}, read by {@link JavaProcess}). The
   * Spillway jars on it live in {@code ~/.m2}, which other engineers re-install while a run is going
   * (seen: a child died with NoClassDefFoundError mid-install). So those jars are copied once, and
   * every child — restarts included — runs the same snapshot.
   */
  static synchronized void snapshotClasspath() throws java.io.IOException {
    String cp = System.getProperty("java.class.path");
    if (cp.contains("spillway-proof-cp-")) return;
    Path dir = Files.createTempDirectory("spillway-proof-cp-");
    List<String> out = new java.util.ArrayList<>();
    for (String entry : cp.split(java.io.File.pathSeparator)) {
      Path p = Path.of(entry);
      if (entry.endsWith(".jar") && entry.contains("/io/spillway/") && Files.isRegularFile(p)) {
        Path copy = dir.resolve(p.getFileName());
        Files.copy(p, copy);
        out.add(copy.toString());
      } else {
        out.add(entry);
      }
    }
    System.setProperty("java.class.path", String.join(java.io.File.pathSeparator, out));
  }

  URI edgeUri(String path) {
    return URI.create("http://127.0.0.1:" + edgePort + path);
  }

  void awaitReady(Duration timeout) {
    awaitReady("edge", edge, edgeAdmin, timeout);
    awaitReady("bridge", bridge, bridgeAdmin, timeout);
    awaitReady("delivery", delivery, deliveryAdmin, timeout);
  }

  void awaitEdgeReady() {
    awaitReady("edge", edge, edgeAdmin, Duration.ofSeconds(60));
  }

  void awaitBridgeReady() {
    awaitReady("bridge", bridge, bridgeAdmin, Duration.ofSeconds(60));
  }

  void awaitDeliveryReady() {
    awaitReady("delivery", delivery, deliveryAdmin, Duration.ofSeconds(90));
  }

  private void awaitReady(String name, JavaProcess process, int adminPort, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) throw new IllegalStateException(name + " exited:\n" + tail(process.output()));
      try {
        HttpResponse<String> r = probe.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/readyz"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) return;
        last = r.statusCode() + " " + r.body();
      } catch (Exception e) {
        last = e.toString();
      }
      sleep(250);
    }
    throw new IllegalStateException(name + " not ready within " + timeout + " (" + last + "):\n" + tail(process.output()));
  }

  /** Which processes are alive, for the report and assertion messages. */
  String liveness() {
    return "edge=" + edge.isAlive() + " bridge=" + bridge.isAlive() + " delivery=" + delivery.isAlive()
        + " redis=" + redis.isRunning() + " logs: " + edge.log() + " " + bridge.log() + " " + delivery.log();
  }

  static String tail(String s) {
    return s.length() <= 4000 ? s : s.substring(s.length() - 4000);
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    // delivery first with SIGTERM is not needed: the suite's accounting is done before close.
    for (AutoCloseable c : new AutoCloseable[] {edge, bridge, delivery, upstream, copy, kafka, redis}) {
      try {
        if (c != null) c.close();
      } catch (Exception ignored) {
        // keep closing the rest
      }
    }
  }
}
