package io.spillway.bench.bridge;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.spillway.bridge.KafkaBridge;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.RedisForm;
import io.spillway.schemas.Route;
import io.spillway.schemas.SpillwayId;
import io.spillway.schemas.config.SpillwayConfig;
import io.spillway.testkit.JavaProcess;
import io.spillway.testkit.KafkaCluster;
import io.spillway.testkit.RedisServer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Redis → Kafka events/s through the bridge, side by side with Kafka's own ProducerPerformance at
 * the same record size and acks=all (the ceiling of this machine with this broker). Starts its own
 * Redis (no persistence) and single KRaft broker, prefills the stream, times the drain.
 *
 * <p>Args: {@code [events=200000] [bodyBytes=1024] [rounds=2] [partitions=6] [batchSize=1000]}
 */
public final class BridgeBench {
  private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

  public static void main(String[] args) throws Exception {
    int events = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int bodyBytes = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    int partitions = args.length > 3 ? Integer.parseInt(args[3]) : 6;
    int batchSize = args.length > 4 ? Integer.parseInt(args[4]) : 1000;
    System.out.printf("bridge bench: %d events of %d body bytes, %d rounds, %d partitions, bridge batch_size %d, %d cores%n",
        events, bodyBytes, rounds, partitions, batchSize, Runtime.getRuntime().availableProcessors());
    System.out.println("load average at start: " + loadAverage());
    List<Double> ceiling = new ArrayList<>();
    List<Double> tuned = new ArrayList<>();
    List<Double> ratios = new ArrayList<>();
    List<Double> tunedRatios = new ArrayList<>();
    List<Double> bridge = new ArrayList<>();
    try (KafkaCluster kafka = KafkaCluster.start(1); RedisServer redis = RedisServer.launch()) {
      List<Map<String, byte[]>> entries = entries(events, bodyBytes);
      for (int round = 1; round <= rounds; round++) {
        String perfTopic = "perf-" + round;
        kafka.createTopic(perfTopic, partitions, (short) 1);
        double c = producerPerformance(kafka.bootstrapServers(), perfTopic, events, bodyBytes);
        ceiling.add(c);
        System.out.printf("round %d  ProducerPerformance acks=all (default producer settings): %,.0f records/s%n", round, c);
        kafka.createTopic(perfTopic + "-tuned", partitions, (short) 1);
        // the same producer settings as the bridge's (KafkaLink): lz4, linger 5 ms, 256 KiB batches, idempotent
        double t = producerPerformance(kafka.bootstrapServers(), perfTopic + "-tuned", events, bodyBytes,
            "compression.type=lz4", "linger.ms=5", "batch.size=262144", "enable.idempotence=true");
        tuned.add(t);
        System.out.printf("round %d  ProducerPerformance acks=all, bridge's producer settings: %,.0f records/s%n", round, t);

        String stream = "bench-" + round;
        String topic = "bridge-" + round;
        kafka.createTopic(topic, partitions, (short) 1);
        long fillStart = System.nanoTime();
        xadd(redis.uri(), stream, entries);
        double fillSecs = (System.nanoTime() - fillStart) / 1e9;
        SpillwayConfig config = SpillwayConfig.parse("""
            redis: { uri: "%s", stream: "%s" }
            kafka: { bootstrap_servers: "%s", topic: "%s", partitions: %d, replication_factor: 1 }
            bridge: { admin: "127.0.0.1:0", batch_size: %d }
            """.formatted(redis.uri(), stream, kafka.bootstrapServers(), topic, partitions, batchSize), Map.of(), "bench");
        double redisCpuBefore = redisCpuSeconds(redis.uri());
        long cpuBefore = ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
        long start = System.nanoTime();
        long firstMove = 0;
        try (KafkaBridge b = KafkaBridge.start(config)) {
          while (true) {
            long len = redis.xlen(stream);
            if (firstMove == 0 && len < events) firstMove = System.nanoTime();
            if (len == 0) break;
            if (System.nanoTime() - start > TimeUnit.MINUTES.toNanos(5)) throw new IllegalStateException("drain took > 5 min");
            Thread.sleep(5);
          }
        }
        long end = System.nanoTime();
        long cpuAfter = ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
        double redisCpu = redisCpuSeconds(redis.uri()) - redisCpuBefore;
        double total = events / ((end - start) / 1e9);
        double moving = events / ((end - firstMove) / 1e9);
        bridge.add(moving);
        System.out.printf("round %d  bridge Redis->Kafka: %,.0f events/s from first move to empty stream (%,.0f incl. start-up; prefill %,.0f XADD/s)%n",
            round, moving, total, events / fillSecs);
        System.out.printf("round %d  CPU per event: bridge JVM %.1f µs (incl. start-up), its redis-server %.1f µs; ProducerPerformance JVM, bridge's settings, %.1f µs (incl. JVM start-up)%n",
            round, (cpuAfter - cpuBefore) / 1e3 / events, redisCpu * 1e6 / events, lastPerfCpuSeconds * 1e6 / events);
        ratios.add(moving / c);
        tunedRatios.add(moving / t);
        System.out.printf("round %d  bridge / ProducerPerformance: %.0f%% (default settings), %.0f%% (bridge's settings); load %s%n",
            round, 100 * moving / c, 100 * moving / t, loadAverage());
      }
    }
    double c = median(ceiling);
    double t = median(tuned);
    double b = median(bridge);
    System.out.println("load average at end: " + loadAverage());
    System.out.printf("RESULT medians: ProducerPerformance %,.0f records/s (default settings), %,.0f records/s (bridge's settings); "
        + "bridge %,.0f events/s; median per-round ratio %.0f%% / %.0f%%%n", c, t, b, 100 * median(ratios), 100 * median(tunedRatios));
  }

  /** Bodies of random uppercase letters, like ProducerPerformance's payload, so both compress alike. */
  private static List<Map<String, byte[]>> entries(int n, int bodyBytes) {
    Random random = new Random(42);
    SpillwayId ids = new SpillwayId();
    List<Route> routes = List.of(Route.parse("wow/vod_be"), Route.parse("wow/shop"), Route.parse("acme/api"),
        Route.parse("acme/web"), Route.parse("acme/jobs"), Route.parse("ops/cron"), Route.parse("ops/batch"), Route.parse("x/y"));
    List<Map<String, byte[]>> out = new ArrayList<>(n);
    long now = System.currentTimeMillis();
    for (int i = 0; i < n; i++) {
      byte[] body = new byte[bodyBytes];
      for (int j = 0; j < bodyBytes; j++) body[j] = (byte) ('A' + random.nextInt(26));
      out.add(RedisForm.encode(BufferedEvent.builder().id(ids.next(now)).receivedAt(now).edge("edge-bench").datacenter("dc1")
          .route(routes.get(i % routes.size())).kind(EndpointKind.ENVELOPE).method("POST").path("/api/20/envelope/")
          .contentType("application/x-sentry-envelope").userAgent("sentry.java/8.63.0").body(body).build()));
    }
    return out;
  }

  private static void xadd(String uri, String stream, List<Map<String, byte[]>> entries) throws Exception {
    RedisClient client = RedisClient.create(uri);
    try (StatefulRedisConnection<String, byte[]> c = client.connect(CODEC)) {
      RedisAsyncCommands<String, byte[]> async = c.async();
      for (int i = 0; i < entries.size(); i += 1000) {
        List<RedisFuture<String>> window = new ArrayList<>();
        for (int j = i; j < Math.min(i + 1000, entries.size()); j++) window.add(async.xadd(stream, entries.get(j)));
        for (RedisFuture<String> f : window) f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      client.shutdown();
    }
  }

  /** Runs org.apache.kafka.tools.ProducerPerformance in its own JVM and parses its summary line. */
  private static double producerPerformance(String bootstrap, String topic, int records, int size, String... props) throws Exception {
    List<String> args = new ArrayList<>(List.of("--topic", topic, "--num-records", Integer.toString(records),
        "--record-size", Integer.toString(size), "--throughput", "-1", "--producer-props", "bootstrap.servers=" + bootstrap, "acks=all"));
    args.addAll(List.of(props));
    JavaProcess p = JavaProcess.start("org.apache.kafka.tools.ProducerPerformance", List.of("-Xmx512m"), args.toArray(String[]::new));
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    double cpu = 0;
    while (p.isAlive() && System.nanoTime() < deadline) {
      cpu = Math.max(cpu, procCpuSeconds(p.pid()));
      Thread.sleep(20);
    }
    lastPerfCpuSeconds = cpu;
    p.kill();
    String out = p.output();
    for (String line : out.split("\n")) {
      if (line.startsWith(records + " records sent,")) {
        String rate = line.substring(line.indexOf(',') + 1).trim();
        return Double.parseDouble(rate.substring(0, rate.indexOf(' ')));
      }
    }
    throw new IllegalStateException("no summary from ProducerPerformance:\n" + out);
  }

  private static double lastPerfCpuSeconds;

  /** utime + stime of a live process from /proc (clock ticks of 10 ms), 0 once it is gone. */
  private static double procCpuSeconds(long pid) {
    try {
      String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    } catch (Exception e) {
      return 0;
    }
  }

  /** used_cpu_user + used_cpu_sys of the redis-server. */
  private static double redisCpuSeconds(String uri) {
    RedisClient client = RedisClient.create(uri);
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      double sum = 0;
      for (String line : c.sync().info("cpu").split("\r?\n")) {
        if (line.startsWith("used_cpu_user:") || line.startsWith("used_cpu_sys:")) sum += Double.parseDouble(line.substring(line.indexOf(':') + 1));
      }
      return sum;
    } finally {
      client.shutdown();
    }
  }

  private static String loadAverage() {
    try {
      return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }

  private static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(null);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }
}
