package io.spillway.proof.bench;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.spillway.bridge.KafkaBridge;
import io.spillway.delivery.DeliveryService;
import io.spillway.edge.EdgeServer;
import io.spillway.mirror.MirrorService;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.RedisForm;
import io.spillway.schemas.Route;
import io.spillway.schemas.SpillwayId;
import io.spillway.schemas.config.SpillwayConfig;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * The mirror's benchmark ({@code bench/mirror/run.sh}), beside single-site figures in the same run
 * on the same brokers:
 * <ol>
 *   <li><b>Throughput</b>: one bridge drains {@code N} prefilled 1 KiB events from Redis into the
 *       datacenter's Kafka (events/s from its first move to an empty stream, as BridgeBench); then
 *       the mirror (MirrorMaker 2, in this JVM) copies those {@code N} records to the central
 *       cluster (events/s from the first copy to the last). Target: the mirror ≥ 50 % of one bridge.</li>
 *   <li><b>Latency</b>: {@code RATE} events/s for {@code SECONDS} s into an edge, to an instant
 *       upstream: single site (edge → Redis → bridge → Kafka → delivery) and then multi-DC (… → the
 *       datacenter's Kafka → mirror → central Kafka → delivery). Per event: upstream arrival − send;
 *       p50/p99 after a warm-up, and what the mirror hop adds. Target: ≤ 2 s at p99.</li>
 * </ol>
 * Usage: {@code MirrorBench EVENTS RATE SECONDS WARMUP_SECONDS}. Machine-readable lines start with
 * {@code RESULT}. Not a test: on a shared 2-core machine the figures move with everything else.
 */
public final class MirrorBench {
  static final String KEY = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0";
  static final String TOPIC = "spillway.events";

  private MirrorBench() {}

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int rate = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 60;
    int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    System.out.printf("mirror bench: %d events of 1 KiB; latency at %d events/s for %d s (first %d s not counted); %d cores, load %s%n",
        events, rate, seconds, warmup, Runtime.getRuntime().availableProcessors(), load());
    Path dir = Files.createTempDirectory("spillway-mirror-bench-");
    try (KafkaCluster dc = KafkaCluster.start(1); KafkaCluster central = KafkaCluster.start(1); RedisServer redis = RedisServer.launch();
         RedisServer limits = RedisServer.launch(); SentryUpstream up = SentryUpstream.start().project(42, KEY, null).keepBodies(false)) {
      dc.createTopic(TOPIC, 4, (short) 1);
      throughput(dc, central, redis, limits, up, dir, events);
      latency(dc, central, redis, limits, up, dir, rate, seconds, warmup);
    }
    System.exit(0); // MirrorMaker 2 and the services leave non-daemon threads behind once closed
  }

  static String dcYaml(KafkaCluster dc, RedisServer redis, RedisServer limits, SentryUpstream up, Path dir, String extra) {
    return """
        edge:     { listen: "127.0.0.1:0", admin: "127.0.0.1:0", instance: "bench", datacenter: "dc1" }
        bridge:   { admin: "127.0.0.1:0", block: "50ms" }
        delivery: { admin: "127.0.0.1:0", application_id: "%s", state_dir: "%s" }
        redis:    { uri: "%s" }
        kafka:    { bootstrap_servers: "%s", topic: "%s", partitions: 4, replication_factor: 1 }
        upstreams:
          up:
            url: "%s"
            max_in_flight: 256
            projects:
              p: { alias: "benchalias", id: 42, key: "%s" }
        %s""".formatted("bench-" + UUID.randomUUID(), dir.resolve("state-" + UUID.randomUUID()), redis.uri(), dc.bootstrapServers(), TOPIC,
        up.url(), KEY, extra);
  }

  static String centralYaml(KafkaCluster dc, KafkaCluster central, RedisServer limits, SentryUpstream up, Path dir) {
    return dcYaml(central, limits, limits, up, dir, """
        mirror: { admin: "127.0.0.1:0", sources: { dc1: { bootstrap_servers: "%s" } } }
        """.formatted(dc.bootstrapServers()));
  }

  static void throughput(KafkaCluster dc, KafkaCluster central, RedisServer redis, RedisServer limits, SentryUpstream up, Path dir,
      int events) throws Exception {
    SpillwayConfig dcConfig = SpillwayConfig.parse(dcYaml(dc, redis, limits, up, dir, ""), Map.of(), "bench-dc");
    long before = total(dc.bootstrapServers(), TOPIC);
    xadd(redis.uri(), "spillway:events", events);
    long t0 = System.nanoTime();
    long firstMove = 0;
    try (KafkaBridge bridge = KafkaBridge.start(dcConfig)) {
      while (true) {
        long n = total(dc.bootstrapServers(), TOPIC) - before;
        if (n > 0 && firstMove == 0) firstMove = System.nanoTime();
        if (n >= events) break;
        if (System.nanoTime() - t0 > TimeUnit.MINUTES.toNanos(10)) throw new IllegalStateException("bridge did not finish: " + n);
        Thread.sleep(20);
      }
    }
    double bridgeRate = events / ((System.nanoTime() - firstMove) / 1e9);
    System.out.printf("bridge Redis->Kafka (dc1): %,.0f events/s from its first move to the last of %,d%n", bridgeRate, events);

    SpillwayConfig centralConfig = SpillwayConfig.parse(centralYaml(dc, central, limits, up, dir), Map.of(), "bench-central");
    long t1 = System.nanoTime();
    long firstCopy = 0;
    long copiedTarget = total(dc.bootstrapServers(), TOPIC);
    try (MirrorService mirror = MirrorService.start(centralConfig)) {
      while (true) {
        long n = total(central.bootstrapServers(), "dc1." + TOPIC);
        if (n > 0 && firstCopy == 0) firstCopy = System.nanoTime();
        if (n >= copiedTarget) break;
        if (System.nanoTime() - t1 > TimeUnit.MINUTES.toNanos(10)) throw new IllegalStateException("mirror did not finish: " + n);
        Thread.sleep(20);
      }
      double mirrorRate = copiedTarget / ((System.nanoTime() - firstCopy) / 1e9);
      System.out.printf("mirror dc1->central: %,.0f events/s from its first copy to the last of %,d (start-up to first copy %.1f s)%n",
          mirrorRate, copiedTarget, (firstCopy - t1) / 1e9);
      System.out.printf(Locale.ROOT, "RESULT throughput bridge=%.0f mirror=%.0f ratio=%.2f events=%d%n", bridgeRate, mirrorRate,
          mirrorRate / bridgeRate, copiedTarget);
    }
  }

  static void latency(KafkaCluster dc, KafkaCluster central, RedisServer redis, RedisServer limits, SentryUpstream up, Path dir,
      int rate, int seconds, int warmup) throws Exception {
    SpillwayConfig dcConfig = SpillwayConfig.parse(dcYaml(dc, redis, limits, up, dir, ""), Map.of(), "bench-dc");
    double[] single;
    double[] multi;
    try (EdgeServer edge = EdgeServer.start(dcConfig); KafkaBridge bridge = KafkaBridge.start(dcConfig)) {
      // single site: delivery reads the datacenter's own topic, from its end
      SpillwayConfig singleConfig = SpillwayConfig.parse(dcYaml(dc, redis, limits, up, dir, ""), Map.of(), "s");
      try (DeliveryService delivery = DeliveryService.start(singleConfig)) {
        waitRunning(delivery);
        caughtUp(dc, singleConfig, TOPIC);
        single = run(edge.port(), up, rate, seconds, warmup, "single site");
      }
      // multi-DC: the same edge and bridge; the mirror copies to the central cluster, where delivery reads dc1.<topic>
      SpillwayConfig centralConfig = SpillwayConfig.parse(centralYaml(dc, central, limits, up, dir), Map.of(), "bench-central");
      try (MirrorService mirror = MirrorService.start(centralConfig); DeliveryService delivery = DeliveryService.start(centralConfig)) {
        waitRunning(delivery);
        long want = total(dc.bootstrapServers(), TOPIC);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (total(central.bootstrapServers(), "dc1." + TOPIC) < want) {
          if (System.nanoTime() > deadline) throw new IllegalStateException("the mirror did not copy the earlier phases' records");
          Thread.sleep(200);
        }
        caughtUp(central, centralConfig, "dc1." + TOPIC);
        multi = run(edge.port(), up, rate, seconds, warmup, "multi-DC");
      }
    }
    System.out.printf(Locale.ROOT, "RESULT latency rate=%d single_p50=%.3f single_p99=%.3f multi_p50=%.3f multi_p99=%.3f added_p50=%.3f added_p99=%.3f%n",
        rate, single[0], single[1], multi[0], multi[1], multi[0] - single[0], multi[1] - single[1]);
  }

  static void waitRunning(DeliveryService d) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    for (int i = 0; i < 600; i++) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + d.adminPort() + "/readyz")).build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 200) return;
      Thread.sleep(100);
    }
    throw new IllegalStateException("delivery not ready");
  }

  /**
   * A new delivery starts at the beginning of its topic, where the throughput phase's records (and the
   * single-site run's) are: measuring starts once its group has committed every one of them (lag 0), so
   * that the measured events have nothing in front of them. (Waiting for the upstream to go quiet was not
   * enough: the throughput phase's records are not envelopes, the upstream refuses them, and delivery was
   * still dead-lettering them when the measured events came: a p50 of 59.6 s.)
   */
  static void caughtUp(KafkaCluster cluster, SpillwayConfig config, String topic) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    try (Admin a = Admin.create(p)) {
      while (true) {
        long end = total(cluster.bootstrapServers(), topic);
        long committed = a.listConsumerGroupOffsets(config.delivery().applicationId()).partitionsToOffsetAndMetadata()
            .get(10, TimeUnit.SECONDS).entrySet().stream().filter(e -> e.getKey().topic().equals(topic) && e.getValue() != null)
            .mapToLong(e -> e.getValue().offset()).sum();
        if (committed >= end) {
          System.out.printf("delivery caught up with %,d records of %s%n", end, topic);
          return;
        }
        if (System.nanoTime() > deadline) throw new IllegalStateException("delivery did not catch up: " + committed + " of " + end);
        Thread.sleep(500);
      }
    }
  }

  /** Sends {@code rate}/s for {@code seconds}; returns p50 and p99 (seconds) of send → upstream arrival after the warm-up. */
  static double[] run(int edgePort, SentryUpstream up, int rate, int seconds, int warmup, String label) throws Exception {
    up.clear();
    Map<String, Long> sentAt = new ConcurrentHashMap<>();
    java.util.concurrent.ExecutorService pool = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "mirror-bench-load");
      t.setDaemon(true);
      return t;
    });
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(pool)
        .connectTimeout(Duration.ofSeconds(2)).build();
    Semaphore inFlight = new Semaphore(256);
    long interval = 1_000_000_000L / rate;
    long start = System.nanoTime();
    long total = (long) rate * seconds;
    for (long i = 0; i < total; i++) {
      long wait = start + i * interval - System.nanoTime();
      if (wait > 0) LockSupport.parkNanos(wait);
      if (!inFlight.tryAcquire()) continue;
      String id = UUID.randomUUID().toString().replace("-", "");
      if (i >= (long) rate * warmup) sentAt.put(id, System.currentTimeMillis());
      String event = "{\"event_id\":\"" + id + "\",\"message\":\"" + "x".repeat(900) + "\"}";
      String body = "{\"event_id\":\"" + id + "\"}\n{\"type\":\"event\",\"length\":" + event.length() + "}\n" + event + "\n";
      client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edgePort + "/api/42/envelope/"))
              .header("X-Sentry-Auth", "Sentry sentry_version=7, sentry_key=benchalias")
              .header("Content-Type", "application/x-sentry-envelope").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
          HttpResponse.BodyHandlers.discarding()).whenComplete((r, e) -> inFlight.release());
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline) {
      long arrived = up.accepted().stream().filter(r -> r.eventId() != null && sentAt.containsKey(r.eventId())).count();
      if (arrived >= sentAt.size()) break;
      Thread.sleep(200);
    }
    pool.shutdownNow();
    List<Double> lat = new ArrayList<>();
    Map<String, Long> first = new HashMap<>();
    for (SentryUpstream.Received r : up.accepted()) {
      if (r.eventId() != null && sentAt.containsKey(r.eventId())) first.merge(r.eventId(), r.arrivedAt(), Math::min);
    }
    first.forEach((id, at) -> lat.add((at - sentAt.get(id)) / 1000.0));
    double[] sorted = lat.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    double p50 = pct(sorted, 0.50);
    double p99 = pct(sorted, 0.99);
    System.out.printf(Locale.ROOT, "%s: %d of %d measured events arrived; edge send -> upstream p50 %.3f s, p99 %.3f s, max %.3f s%n",
        label, sorted.length, sentAt.size(), p50, p99, sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1]);
    return new double[] {p50, p99};
  }

  static double pct(double[] sorted, double q) {
    if (sorted.length == 0) return Double.NaN;
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }

  static long total(String bootstrap, String topic) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin a = Admin.create(p)) {
      var d = a.describeTopics(List.of(topic)).allTopicNames();
      int parts;
      try {
        parts = d.get(10, TimeUnit.SECONDS).get(topic).partitions().size();
      } catch (java.util.concurrent.ExecutionException e) {
        return 0; // not created yet
      }
      Map<TopicPartition, OffsetSpec> q = new HashMap<>();
      for (int i = 0; i < parts; i++) q.put(new TopicPartition(topic, i), OffsetSpec.latest());
      return a.listOffsets(q).all().get(10, TimeUnit.SECONDS).values().stream().mapToLong(x -> x.offset()).sum();
    }
  }

  /** Prefills the stream with {@code n} 1 KiB envelopes in the edge's Redis form. */
  static void xadd(String uri, String stream, int n) throws Exception {
    SpillwayId ids = new SpillwayId();
    java.util.Random random = new java.util.Random(42);
    RedisClient client = RedisClient.create(uri);
    try (StatefulRedisConnection<String, byte[]> c = client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE))) {
      List<RedisFuture<String>> window = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        long now = System.currentTimeMillis();
        byte[] body = new byte[1024]; // random letters, as the bridge benchmark's: lz4 gets what it gets from real events
        for (int j = 0; j < body.length; j++) body[j] = (byte) ('A' + random.nextInt(26));
        BufferedEvent e = BufferedEvent.builder().id(ids.next(now)).receivedAt(now).edge("edge-bench").datacenter("dc1")
            .route(new Route("up", "p")).kind(EndpointKind.ENVELOPE).method("POST").path("/api/42/envelope/")
            .contentType("application/x-sentry-envelope").body(body).build();
        window.add(c.async().xadd(stream, RedisForm.encode(e)));
        if (window.size() >= 1000) {
          for (RedisFuture<String> f : window) f.get(30, TimeUnit.SECONDS);
          window.clear();
        }
      }
      for (RedisFuture<String> f : window) f.get(30, TimeUnit.SECONDS);
    } finally {
      client.shutdown();
    }
  }

  static String load() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim().split(" ")[0];
    } catch (Exception e) {
      return "?";
    }
  }
}
