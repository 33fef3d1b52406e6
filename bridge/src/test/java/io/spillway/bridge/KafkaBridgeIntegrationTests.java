package io.spillway.bridge;

import static io.spillway.bridge.Pipeline.await;
import static io.spillway.runtime.SpillwayMetric.BRIDGE_DEAD_LETTERED;
import static io.spillway.runtime.SpillwayMetric.BRIDGE_ENTRIES_MOVED;
import static io.spillway.runtime.SpillwayMetric.BRIDGE_ERRORS;
import static io.spillway.runtime.SpillwayMetric.BRIDGE_PRODUCE_LATENCY;
import static io.spillway.runtime.SpillwayMetric.BRIDGE_REDIS_BACKLOG_LENGTH;
import static io.spillway.runtime.SpillwayMetric.BRIDGE_REDIS_BACKLOG_OLDEST_AGE;
import static io.spillway.runtime.SpillwayMetric.BRIDGE_REDIS_BACKLOG_PENDING;
import static org.assertj.core.api.Assertions.assertThat;

import io.sentry.Sentry;
import io.spillway.edge.EdgeServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.zip.GZIPInputStream;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.GoldenVectors;
import io.spillway.schemas.KafkaForm;
import io.spillway.schemas.config.SpillwayConfig;
import io.spillway.testkit.KafkaCluster;
import io.spillway.testkit.RedisServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The bridge in-process against a real single-broker Kafka (shared by the tests) and a real Redis per test. */
class KafkaBridgeIntegrationTests {
  private static KafkaCluster kafka;

  @BeforeAll
  static void startKafka() {
    kafka = KafkaCluster.start(1);
  }

  @AfterAll
  static void stopKafka() {
    if (kafka != null) kafka.close();
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void movesTenThousandEventsOnceKeyedByRouteAndEmptiesTheStream() {
    try (RedisServer redis = RedisServer.launch()) {
      SpillwayConfig config = Pipeline.config(redis.uri(), "s1", kafka.bootstrapServers(), "t1", 6, 1, 0, "");
      // the golden vectors were received in 2024: with the default 7-day retention the broker's
      // retention check deletes a partition that holds only such a record (other/payments-api)
      kafka.createTopic("t1", 6, (short) 1, Map.of("retention.ms", "-1"));
      List<GoldenVectors.Valid> golden = GoldenVectors.valid();
      Pipeline.xadd(redis.uri(), "s1", golden.stream().map(GoldenVectors.Valid::redisFields).toList());
      List<BufferedEvent> events = Pipeline.events(10_000, 1);
      Pipeline.xaddEvents(redis.uri(), "s1", events);
      int total = events.size() + golden.size();

      try (KafkaBridge bridge = KafkaBridge.start(config)) {
        await("all entries moved", Duration.ofSeconds(90),
            () -> Pipeline.metric(bridge.adminPort(), BRIDGE_ENTRIES_MOVED, "stream=\"s1\"") >= total);
        assertThat(Pipeline.get(bridge.adminPort(), "/readyz").statusCode()).isEqualTo(200);
        await("backlog gauge at 0", Duration.ofSeconds(10),
            () -> Pipeline.metric(bridge.adminPort(), BRIDGE_REDIS_BACKLOG_LENGTH, "stream=\"s1\"") == 0);
        assertThat(Pipeline.metric(bridge.adminPort(), BRIDGE_PRODUCE_LATENCY.exportedName() + "_count", "")).isGreaterThanOrEqualTo(total);
      }

      List<ConsumerRecord<byte[], byte[]>> records = Pipeline.consume(kafka.bootstrapServers(), "t1", total, Duration.ofSeconds(60));
      int duplicates = Pipeline.assertAllArrived(events, records);
      System.out.printf("moved %d entries, %d records in Kafka, %d duplicates%n", total, records.size(), duplicates);
      assertThat(records).hasSize(total); // no fault injected: each exactly once
      assertThat(duplicates).isZero();

      // keyed by route: one route, one partition; the routes spread over several partitions
      Map<String, Set<Integer>> partitionsByRoute = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> r : records) {
        partitionsByRoute.computeIfAbsent(new String(r.key(), StandardCharsets.UTF_8), k -> new HashSet<>()).add(r.partition());
      }
      assertThat(partitionsByRoute.values()).allSatisfy(p -> assertThat(p).hasSize(1));
      assertThat(partitionsByRoute.values().stream().flatMap(Set::stream).distinct().count()).isGreaterThan(1);

      // the Kafka form is exactly the golden one
      for (GoldenVectors.Valid v : golden) {
        ConsumerRecord<byte[], byte[]> r = records.stream().filter(x -> v.event().id().equals(Pipeline.id(x))).findFirst().orElseThrow();
        assertThat(r.key()).isEqualTo(v.kafka().key());
        assertThat(r.value()).isEqualTo(v.kafka().value());
        assertThat(r.timestamp()).isEqualTo(v.kafka().timestamp());
        List<String> got = new ArrayList<>();
        for (Header h : r.headers()) got.add(h.key() + "=" + new String(h.value(), StandardCharsets.UTF_8));
        List<String> want = new ArrayList<>();
        for (KafkaForm.Header h : v.kafka().headers()) want.add(h.name() + "=" + new String(h.value(), StandardCharsets.UTF_8));
        assertThat(got).as(v.name()).isEqualTo(want);
      }

      assertThat(redis.xlen("s1")).isZero();
      assertThat(pendingCount(redis, "s1")).isZero();
    }
  }

  /**
   * A large event arrives in Kafka as chunks that join to the original, whether the edge wrote
   * chunks (version 2 entries) or one whole entry (as edges did before chunks): records stay small
   * and reads are bounded by bytes, not by entry count.
   */
  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void largeEventsTravelAsChunksThatJoinToTheOriginal() {
    try (RedisServer redis = RedisServer.launch()) {
      SpillwayConfig config = Pipeline.config(redis.uri(), "s9", kafka.bootstrapServers(), "t9", 3, 1, 0, "");
      List<BufferedEvent> small = Pipeline.events(50, 9);
      BufferedEvent template = Pipeline.events(2, 10).get(0);
      byte[] big = new byte[3 * 1024 * 1024 + 17];
      new java.util.Random(9).nextBytes(big);
      BufferedEvent wholeLarge = template.toBuilder().body(big).build();
      BufferedEvent other = Pipeline.events(2, 11).get(1);
      byte[] big2 = new byte[5 * io.spillway.schemas.Chunks.CHUNK_BYTES];
      new java.util.Random(10).nextBytes(big2);
      BufferedEvent chunkedLarge = other.toBuilder().body(big2).build();
      Pipeline.xaddEvents(redis.uri(), "s9", small);
      Pipeline.xaddEvents(redis.uri(), "s9", List.of(wholeLarge)); // one 3 MiB entry
      Pipeline.xaddEvents(redis.uri(), "s9", io.spillway.schemas.Chunks.split(chunkedLarge)); // five entries
      Pipeline.xaddEvents(redis.uri(), "s9", Pipeline.events(50, 12));
      try (KafkaBridge bridge = KafkaBridge.start(config)) {
        await("all entries moved", Duration.ofSeconds(60),
            () -> Pipeline.metric(bridge.adminPort(), BRIDGE_ENTRIES_MOVED, "stream=\"s9\"") >= 100 + 1 + 5);
      }
      List<ConsumerRecord<byte[], byte[]>> records = Pipeline.consume(kafka.bootstrapServers(), "t9", 102, Duration.ofSeconds(60));
      Map<String, List<BufferedEvent>> pieces = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> r : records) {
        assertThat(r.serializedValueSize()).isLessThanOrEqualTo(io.spillway.schemas.Chunks.CHUNK_BYTES);
        List<KafkaForm.Header> hs = new ArrayList<>();
        for (Header h : r.headers()) hs.add(new KafkaForm.Header(h.key(), h.value()));
        BufferedEvent e = KafkaForm.decode(r.key(), r.value(), hs);
        if (e.isChunk()) pieces.computeIfAbsent(e.id(), k -> new ArrayList<>()).add(e);
      }
      assertThat(pieces).containsOnlyKeys(wholeLarge.id(), chunkedLarge.id());
      assertThat(pieces.get(wholeLarge.id())).hasSize(7);
      assertThat(io.spillway.schemas.Chunks.join(pieces.get(wholeLarge.id()))).isEqualTo(wholeLarge);
      assertThat(io.spillway.schemas.Chunks.join(pieces.get(chunkedLarge.id()))).isEqualTo(chunkedLarge);
      assertThat(redis.xlen("s9")).isZero();
    }
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void corruptEntriesGoToTheDeadLetterStreamAndTheRestFlows() {
    try (RedisServer redis = RedisServer.launch()) {
      SpillwayConfig config = Pipeline.config(redis.uri(), "s2", kafka.bootstrapServers(), "t2", 3, 1, 0, "");
      List<BufferedEvent> before = Pipeline.events(300, 2);
      List<BufferedEvent> after = Pipeline.events(300, 3);
      List<GoldenVectors.Invalid> invalid = GoldenVectors.invalid();
      assertThat(invalid).isNotEmpty();
      Pipeline.xaddEvents(redis.uri(), "s2", before);
      List<String> badIds = Pipeline.xadd(redis.uri(), "s2", invalid.stream().map(GoldenVectors.Invalid::redisFields).toList());
      Pipeline.xaddEvents(redis.uri(), "s2", after);

      try (KafkaBridge bridge = KafkaBridge.start(config)) {
        await("stream drained", Duration.ofSeconds(60), () -> redis.xlen("s2") == 0);
        await("dead-letter metric", Duration.ofSeconds(10),
            () -> Pipeline.metric(bridge.adminPort(), BRIDGE_DEAD_LETTERED, "stream=\"s2\"") == invalid.size());
        assertThat(Pipeline.metric(bridge.adminPort(), BRIDGE_ERRORS, "kind=\"decode\"")).isEqualTo(invalid.size());
        assertThat(Pipeline.get(bridge.adminPort(), "/readyz").statusCode()).isEqualTo(200);
      }

      List<BufferedEvent> good = new ArrayList<>(before);
      good.addAll(after);
      List<ConsumerRecord<byte[], byte[]>> records = Pipeline.consume(kafka.bootstrapServers(), "t2", good.size(), Duration.ofSeconds(60));
      Pipeline.assertAllArrived(good, records);
      assertThat(records).hasSize(good.size());

      List<StreamMessage<String, byte[]>> dead = xrange(redis, "s2:dead");
      assertThat(dead).hasSize(invalid.size());
      for (int i = 0; i < invalid.size(); i++) {
        Map<String, byte[]> fields = dead.get(i).getBody();
        assertThat(new String(fields.get("reason"), StandardCharsets.UTF_8)).as(invalid.get(i).name()).startsWith("undecodable: ").hasSizeGreaterThan(15);
        assertThat(new String(fields.get("source_id"), StandardCharsets.UTF_8)).isEqualTo(badIds.get(i));
        for (Map.Entry<String, byte[]> original : invalid.get(i).redisFields().entrySet()) {
          assertThat(fields.get(original.getKey())).as(original.getKey()).isEqualTo(original.getValue());
        }
      }
    }
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void kafkaBrokerDownHoldsTheBacklogInRedisThenDrains() throws Exception {
    try (RedisServer redis = RedisServer.launch()) {
      SpillwayConfig config = Pipeline.config(redis.uri(), "s3", kafka.bootstrapServers(), "t3", 3, 1, 0, "");
      List<BufferedEvent> first = Pipeline.events(3_000, 4);
      List<BufferedEvent> during = Pipeline.events(5_000, 5);
      Pipeline.xaddEvents(redis.uri(), "s3", first);
      try (KafkaBridge bridge = KafkaBridge.start(config)) {
        await("first part moved", Duration.ofSeconds(60), () -> redis.xlen("s3") == 0);
        kafka.stopBroker(0);
        long stoppedAt = System.nanoTime();
        // the edge keeps writing while Kafka is away
        for (int i = 0; i < during.size(); i += 500) Pipeline.xaddEvents(redis.uri(), "s3", during.subList(i, i + 500));
        await("readyz reports kafka", Duration.ofSeconds(30), () -> {
          var r = Pipeline.get(bridge.adminPort(), "/readyz");
          return r.statusCode() == 503 && r.body().contains("\"kafka\":{\"ok\":false");
        });
        System.out.println("readyz while kafka is down: " + Pipeline.get(bridge.adminPort(), "/readyz").body().trim());
        // at least 30 s, and until a produce failed (no metadata within max.block.ms = 5 s, or
        // delivery.timeout.ms = 30 s), so the bridge must produce it again from its pending list
        while (System.nanoTime() - stoppedAt < TimeUnit.SECONDS.toNanos(30)) Thread.sleep(200);
        await("a produce failed", Duration.ofSeconds(60),
            () -> Pipeline.metric(bridge.adminPort(), BRIDGE_ERRORS, "kind=\"kafka\"") > 0);
        System.out.printf("kafka down for %d s%n", TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - stoppedAt));
        long backlog = redis.xlen("s3");
        System.out.println("redis backlog at the end of the outage: " + backlog);
        // XLEN counts entries read but not acknowledged too: nothing may leave Redis while Kafka is away
        assertThat(backlog).as("backlog held in Redis").isEqualTo(during.size());
        await("backlog gauges", Duration.ofSeconds(10),
            () -> Pipeline.metric(bridge.adminPort(), BRIDGE_REDIS_BACKLOG_LENGTH, "stream=\"s3\"") == during.size());
        assertThat(Pipeline.metric(bridge.adminPort(), BRIDGE_REDIS_BACKLOG_OLDEST_AGE, "stream=\"s3\""))
            .as("oldest entry waits since the outage began").isGreaterThan(20);
        assertThat(Pipeline.metric(bridge.adminPort(), BRIDGE_REDIS_BACKLOG_PENDING, "stream=\"s3\"")).isPositive();
        assertThat(Pipeline.get(bridge.adminPort(), "/readyz").body()).contains("kafka");
        kafka.startBroker(0);
        await("backlog drained", Duration.ofSeconds(90), () -> redis.xlen("s3") == 0);
        await("ready again", Duration.ofSeconds(30), () -> Pipeline.get(bridge.adminPort(), "/readyz").statusCode() == 200);
      }
      List<BufferedEvent> all = new ArrayList<>(first);
      all.addAll(during);
      List<ConsumerRecord<byte[], byte[]>> records = Pipeline.consume(kafka.bootstrapServers(), "t3", all.size(), Duration.ofSeconds(60));
      int duplicates = Pipeline.assertAllArrived(all, records);
      System.out.printf("kafka outage: %d events, %d records, %d duplicates%n", all.size(), records.size(), duplicates);
    } finally {
      if (!kafka.isRunning(0)) kafka.startBroker(0);
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void redisKilledAndRestartedWithAofLosesNothing() throws Exception {
    try (RedisServer redis = RedisServer.launch(RedisServer.Fsync.ALWAYS)) {
      SpillwayConfig config = Pipeline.config(redis.uri(), "s4", kafka.bootstrapServers(), "t4", 3, 1, 0, "");
      List<BufferedEvent> first = Pipeline.events(4_000, 6);
      List<BufferedEvent> later = Pipeline.events(4_000, 7);
      try (KafkaBridge bridge = KafkaBridge.start(config)) {
        AtomicBoolean sawUnready = new AtomicBoolean();
        Pipeline.xaddEvents(redis.uri(), "s4", first);
        redis.kill();
        await("readyz reports redis", Duration.ofSeconds(20), () -> {
          var r = Pipeline.get(bridge.adminPort(), "/readyz");
          return r.statusCode() == 503 && r.body().contains("\"redis\":{\"ok\":false");
        });
        sawUnready.set(true);
        Thread.sleep(3_000);
        redis.start();
        Pipeline.xaddEvents(redis.uri(), "s4", later);
        await("backlog drained", Duration.ofSeconds(60), () -> redis.xlen("s4") == 0);
        await("ready again", Duration.ofSeconds(30), () -> Pipeline.get(bridge.adminPort(), "/readyz").statusCode() == 200);
        assertThat(Pipeline.metric(bridge.adminPort(), BRIDGE_ERRORS, "kind=\"redis\"")).isPositive();
        assertThat(sawUnready).isTrue();
      }
      List<BufferedEvent> all = new ArrayList<>(first);
      all.addAll(later);
      List<ConsumerRecord<byte[], byte[]>> records = Pipeline.consume(kafka.bootstrapServers(), "t4", all.size(), Duration.ofSeconds(60));
      int duplicates = Pipeline.assertAllArrived(all, records);
      System.out.printf("redis restart: %d events, %d records, %d duplicates%n", all.size(), records.size(), duplicates);
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void startsWhileKafkaIsDownReadsNothingThenResumesByItself() throws Exception {
    try (RedisServer redis = RedisServer.launch()) {
      SpillwayConfig config = Pipeline.config(redis.uri(), "s5", kafka.bootstrapServers(), "t5", 3, 1, 0, "");
      List<BufferedEvent> events = Pipeline.events(2_000, 8);
      Pipeline.xaddEvents(redis.uri(), "s5", events);
      kafka.stopBroker(0);
      try (KafkaBridge bridge = KafkaBridge.start(config)) {
        await("readyz reports kafka", Duration.ofSeconds(30), () -> {
          var r = Pipeline.get(bridge.adminPort(), "/readyz");
          return r.statusCode() == 503 && r.body().contains("kafka unreachable");
        });
        Thread.sleep(2_000);
        // nothing taken out of Redis while there is no topic to put it in
        assertThat(redis.xlen("s5")).isEqualTo(events.size());
        assertThat(pendingCountOrZero(redis, "s5")).isZero();
        kafka.startBroker(0);
        await("stream drained", Duration.ofSeconds(60), () -> redis.xlen("s5") == 0);
        await("ready", Duration.ofSeconds(30), () -> Pipeline.get(bridge.adminPort(), "/readyz").statusCode() == 200);
      }
      Pipeline.assertAllArrived(events, Pipeline.consume(kafka.bootstrapServers(), "t5", events.size(), Duration.ofSeconds(60)));
    } finally {
      if (!kafka.isRunning(0)) kafka.startBroker(0);
    }
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void movesEveryShard() {
    try (RedisServer redis = RedisServer.launch()) {
      SpillwayConfig config = SpillwayConfig.parse("""
          redis: { uri: "%s", stream: "sh", shards: 3 }
          kafka: { bootstrap_servers: "%s", topic: "t6", partitions: 3, replication_factor: 1 }
          bridge: { admin: "127.0.0.1:0", block: 100ms }
          """.formatted(redis.uri(), kafka.bootstrapServers()), Map.of(), "test");
      assertThat(config.redis().streamKeys()).containsExactly("sh:0", "sh:1", "sh:2");
      List<BufferedEvent> events = Pipeline.events(3_000, 9);
      for (int shard = 0; shard < 3; shard++) {
        Pipeline.xaddEvents(redis.uri(), "sh:" + shard, events.subList(shard * 1_000, (shard + 1) * 1_000));
      }
      try (KafkaBridge bridge = KafkaBridge.start(config)) {
        await("every shard drained", Duration.ofSeconds(60),
            () -> redis.xlen("sh:0") == 0 && redis.xlen("sh:1") == 0 && redis.xlen("sh:2") == 0);
        for (int shard = 0; shard < 3; shard++) {
          String tag = "stream=\"sh:" + shard + "\"";
          await("moved metric of shard " + shard, Duration.ofSeconds(10),
              () -> Pipeline.metric(bridge.adminPort(), BRIDGE_ENTRIES_MOVED, tag) == 1_000);
        }
      }
      List<ConsumerRecord<byte[], byte[]>> records = Pipeline.consume(kafka.bootstrapServers(), "t6", events.size(), Duration.ofSeconds(60));
      Pipeline.assertAllArrived(events, records);
      assertThat(records).hasSize(events.size());
    }
  }

  @Test
  @Timeout(value = 90, unit = TimeUnit.SECONDS)
  void redisPasswordNeverShows() {
    String secret = "s3cr3t-redis-pw";
    try (RedisServer redis = RedisServer.launch()) {
      // set after start: RedisServer's own readiness check (PING) has no password
      assertThat(redis.command("CONFIG", "SET", "requirepass", secret)).isEqualTo("+OK");
      String uri = "redis://:" + secret + "@127.0.0.1:" + redis.port();
      SpillwayConfig config = Pipeline.config(uri, "s7", kafka.bootstrapServers(), "t7", 1, 1, 0, "");
      List<BufferedEvent> events = Pipeline.events(100, 12);
      Pipeline.xaddEvents(uri, "s7", events);
      try (KafkaBridge bridge = KafkaBridge.start(config)) {
        await("moved", Duration.ofSeconds(60),
            () -> Pipeline.metric(bridge.adminPort(), BRIDGE_ENTRIES_MOVED, "stream=\"s7\"") == events.size());
        redis.kill();
        await("readyz reports redis", Duration.ofSeconds(20), () -> Pipeline.get(bridge.adminPort(), "/readyz").body().contains("\"redis\":{\"ok\":false"));
        String readyz = Pipeline.get(bridge.adminPort(), "/readyz").body();
        assertThat(readyz).contains("redis://***@127.0.0.1").doesNotContain(secret);
        assertThat(Pipeline.get(bridge.adminPort(), "/metrics").body()).doesNotContain(secret);
      }
    }
  }

  private static final Map<String, String> ALIAS_TO_ROUTE = Map.of(
      "vodbe", "wow/vod_be", "shop", "wow/shop", "api", "acme/api", "jobs", "acme/jobs");
  private static final int PER_ROUTE = 2_500;

  /**
   * Acceptance 1 up to Kafka: the real Sentry Java SDK → the real edge → Redis → the bridge →
   * Kafka. 10,000 events over four routes arrive each exactly once, keyed by route, with the SDK's
   * event ids, bodies still the SDK's gzip'd envelopes; the stream is empty afterwards.
   */
  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void tenThousandSdkEventsThroughTheEdgeArriveInKafkaOnceKeyedByRoute() throws Exception {
    try (RedisServer redis = RedisServer.launch()) {
      SpillwayConfig config = SpillwayConfig.parse("""
          edge: { listen: "127.0.0.1:0", admin: "127.0.0.1:0", instance: "edge-t", datacenter: "dc1" }
          bridge: { admin: "127.0.0.1:0", block: 100ms }
          redis: { uri: "%s", stream: "e2e" }
          kafka: { bootstrap_servers: "%s", topic: "e2e", partitions: 6, replication_factor: 1 }
          upstreams:
            wow:
              url: "http://127.0.0.1:9"
              projects:
                vod_be: { alias: "vodbe", id: 20, key: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" }
                shop: { alias: "shop", id: 21, key: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" }
            acme:
              url: "http://127.0.0.1:9"
              projects:
                api: { alias: "api", id: 1, key: "cccccccccccccccccccccccccccccccc" }
                jobs: { alias: "jobs", id: 2, key: "dddddddddddddddddddddddddddddddd" }
          """.formatted(redis.uri(), kafka.bootstrapServers()), Map.of(), "test");
      Map<String, String> routeByEventId = new HashMap<>();
      try (EdgeServer edge = EdgeServer.start(config); KafkaBridge bridge = KafkaBridge.start(config)) {
        for (Map.Entry<String, String> alias : ALIAS_TO_ROUTE.entrySet()) {
          Sentry.init(o -> {
            o.setDsn("http://" + alias.getKey() + "@127.0.0.1:" + edge.port() + "/99");
            o.setMaxQueueSize(PER_ROUTE + 100); // the default 30 drops most of a burst
            o.setSendClientReports(false);
            o.setEnableAutoSessionTracking(false);
            o.setEnableUncaughtExceptionHandler(false);
            o.setEnableShutdownHook(false);
            o.setEnableDeduplication(false);
            o.setEnableExternalConfiguration(false);
            o.setFlushTimeoutMillis(60_000);
            o.setShutdownTimeoutMillis(60_000);
          });
          try {
            for (int i = 0; i < PER_ROUTE; i++) {
              routeByEventId.put(Sentry.captureMessage("event " + i + " for " + alias.getKey()).toString(), alias.getValue());
            }
            Sentry.flush(60_000);
          } finally {
            Sentry.close();
          }
        }
        await("stream drained", Duration.ofSeconds(90), () -> redis.xlen("e2e") == 0
            && Pipeline.metric(bridge.adminPort(), BRIDGE_ENTRIES_MOVED, "") >= routeByEventId.size());
      }
      assertThat(routeByEventId).hasSize(4 * PER_ROUTE);

      List<ConsumerRecord<byte[], byte[]>> records = Pipeline.consume(kafka.bootstrapServers(), "e2e", routeByEventId.size(), Duration.ofSeconds(60));
      assertThat(records).hasSize(routeByEventId.size());
      Set<String> seen = new HashSet<>();
      Map<String, Set<Integer>> partitionsByRoute = new HashMap<>();
      for (ConsumerRecord<byte[], byte[]> r : records) {
        String eventId = new String(r.headers().lastHeader("event-id").value(), StandardCharsets.UTF_8);
        String route = new String(r.key(), StandardCharsets.UTF_8);
        assertThat(route).as(eventId).isEqualTo(routeByEventId.get(eventId));
        assertThat(seen.add(eventId)).as("once: " + eventId).isTrue();
        partitionsByRoute.computeIfAbsent(route, k -> new HashSet<>()).add(r.partition());
        // the body is still the SDK's gzip'd envelope, whose header names the event
        assertThat(new String(r.headers().lastHeader("content-encoding").value(), StandardCharsets.UTF_8)).isEqualTo("gzip");
        assertThat(gunzipFirstLine(r.value())).contains(eventId);
      }
      assertThat(seen).isEqualTo(routeByEventId.keySet());
      assertThat(partitionsByRoute.values()).allSatisfy(p -> assertThat(p).hasSize(1));
      assertThat(partitionsByRoute.values().stream().flatMap(Set::stream).distinct().count()).isGreaterThan(1);
      assertThat(redis.xlen("e2e")).isZero();
      System.out.printf("edge + bridge: %d SDK events, %d Kafka records, partitions by route %s%n",
          routeByEventId.size(), records.size(), partitionsByRoute);
    }
  }

  private static String gunzipFirstLine(byte[] gz) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
      StringBuilder line = new StringBuilder();
      for (int c; (c = in.read()) >= 0 && c != '\n'; ) line.append((char) c);
      return line.toString();
    }
  }

  static long pendingCountOrZero(RedisServer redis, String stream) {
    try {
      return pendingCount(redis, stream);
    } catch (io.lettuce.core.RedisCommandExecutionException e) {
      return 0; // NOGROUP
    }
  }

  static long pendingCount(RedisServer redis, String stream) {
    RedisClient client = RedisClient.create(redis.uri());
    try (StatefulRedisConnection<String, byte[]> c = client.connect(StreamWorker.CODEC)) {
      return c.sync().xpending(stream, "spillway-bridge").getCount();
    } finally {
      client.shutdown();
    }
  }

  static List<StreamMessage<String, byte[]>> xrange(RedisServer redis, String stream) {
    RedisClient client = RedisClient.create(redis.uri());
    try (StatefulRedisConnection<String, byte[]> c = client.connect(StreamWorker.CODEC)) {
      return c.sync().xrange(stream, Range.create("-", "+"));
    } finally {
      client.shutdown();
    }
  }
}
