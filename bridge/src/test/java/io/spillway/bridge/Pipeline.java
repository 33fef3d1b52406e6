package io.spillway.bridge;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.spillway.runtime.SpillwayMetric;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.RedisForm;
import io.spillway.schemas.Route;
import io.spillway.schemas.SpillwayId;
import io.spillway.schemas.config.SpillwayConfig;
import io.spillway.testkit.PrometheusText;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Test side of the pipeline: what the edge writes into Redis, and what ends up in Kafka. */
final class Pipeline {
  static final List<Route> ROUTES = List.of(Route.parse("wow/vod_be"), Route.parse("wow/shop"), Route.parse("acme/api"),
      Route.parse("acme/web"), Route.parse("acme/jobs"), Route.parse("ops/cron"));

  private Pipeline() {}

  static SpillwayConfig config(String redisUri, String stream, String bootstrap, String topic, int partitions, int rf,
      int minIsr, String extraBridge) {
    String yaml = """
        redis: { uri: "%s", stream: "%s" }
        kafka: { bootstrap_servers: "%s", topic: "%s", partitions: %d, replication_factor: %d, min_insync_replicas: %d }
        bridge: { admin: "127.0.0.1:0", claim_idle: 2s, block: 100ms %s }
        """.formatted(redisUri, stream, bootstrap, topic, partitions, rf, minIsr, extraBridge);
    return SpillwayConfig.parse(yaml, Map.of(), "test");
  }

  /** Events like the edge's: unique id, one of a few routes, a random body of 100–1100 bytes. */
  static List<BufferedEvent> events(int n, long seed) {
    Random random = new Random(seed);
    SpillwayId ids = new SpillwayId();
    List<BufferedEvent> out = new ArrayList<>(n);
    long now = System.currentTimeMillis();
    for (int i = 0; i < n; i++) {
      byte[] body = new byte[100 + random.nextInt(1000)];
      random.nextBytes(body);
      out.add(BufferedEvent.builder().id(ids.next(now)).receivedAt(now).edge("edge-t").datacenter("dc1")
          .route(ROUTES.get(random.nextInt(ROUTES.size()))).kind(EndpointKind.ENVELOPE).method("POST")
          .path("/api/20/envelope/").contentType("application/x-sentry-envelope").body(body).build());
    }
    return out;
  }

  /** XADDs (pipelined) what the edge would write; returns the stream ids. */
  static List<String> xadd(String redisUri, String stream, List<Map<String, byte[]>> entries) {
    RedisClient client = RedisClient.create(redisUri);
    try (StatefulRedisConnection<String, byte[]> c = client.connect(StreamWorker.CODEC)) {
      RedisAsyncCommands<String, byte[]> async = c.async();
      List<RedisFuture<String>> futures = new ArrayList<>(entries.size());
      for (Map<String, byte[]> e : entries) futures.add(async.xadd(stream, e));
      List<String> ids = new ArrayList<>();
      for (RedisFuture<String> f : futures) ids.add(f.get(30, TimeUnit.SECONDS));
      return ids;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      client.shutdown();
    }
  }

  static List<String> xaddEvents(String redisUri, String stream, List<BufferedEvent> events) {
    return xadd(redisUri, stream, events.stream().map(RedisForm::encode).toList());
  }

  /** Every record of a topic, from the beginning, until {@code distinctIds} distinct spillway ids were seen. */
  static List<ConsumerRecord<byte[], byte[]>> consume(String bootstrap, String topic, int distinctIds, Duration timeout) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (seen.size() < distinctIds && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          out.add(r);
          seen.add(id(r));
        }
      }
      // anything beyond (duplicates) that is already there
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(1000))) out.add(r);
    }
    return out;
  }

  static String id(ConsumerRecord<byte[], byte[]> r) {
    Header h = r.headers().lastHeader("spillway.id");
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  /** Spillway id → how many times it is in Kafka. */
  static Map<String, Integer> counts(List<ConsumerRecord<byte[], byte[]>> records) {
    Map<String, Integer> out = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : records) out.merge(id(r), 1, Integer::sum);
    return out;
  }

  /** Asserts every event is in Kafka at least once, byte-identical; returns the number of duplicates. */
  static int assertAllArrived(List<BufferedEvent> events, List<ConsumerRecord<byte[], byte[]>> records) {
    Map<String, ConsumerRecord<byte[], byte[]>> byId = new LinkedHashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : records) byId.putIfAbsent(id(r), r);
    List<String> missing = new ArrayList<>();
    for (BufferedEvent e : events) {
      ConsumerRecord<byte[], byte[]> r = byId.get(e.id());
      if (r == null) {
        missing.add(e.id());
        continue;
      }
      assertThat(r.key()).isEqualTo(e.route().toBytes());
      assertThat(r.value()).isEqualTo(e.body());
      assertThat(r.timestamp()).isEqualTo(e.receivedAt());
    }
    assertThat(missing).as("events missing from Kafka (of %d)", events.size()).isEmpty();
    return records.size() - byId.size();
  }

  static HttpResponse<String> get(int port, String path) {
    try {
      return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A metric's value from the Prometheus text, summed over its series that contain {@code labelPart}. */
  static double metric(int port, SpillwayMetric metric, String labelPart) {
    return metric(port, metric.exportedName(), labelPart);
  }

  /** As above for one sample name of a series ({@code <exported name>_count} of a timer …). */
  static double metric(int port, String name, String labelPart) {
    return PrometheusText.sumOrZero(get(port, "/metrics").body(), name, labelPart);
  }

  /** Polls until {@code condition} holds; fails with {@code what} after {@code timeout}. */
  static void await(String what, Duration timeout, java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
