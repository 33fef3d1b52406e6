package io.spillway.delivery;

import io.spillway.runtime.SpillwayMetric;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.KafkaForm;
import io.spillway.schemas.Route;
import io.spillway.schemas.SpillwayId;
import io.spillway.schemas.config.SpillwayConfig;
import io.spillway.testkit.KafkaCluster;
import io.spillway.testkit.PrometheusText;
import io.spillway.testkit.RedisServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Shared real infrastructure for delivery's integration tests: one KRaft broker and one Redis for
 * the whole JVM (started on first use), plus helpers to write records exactly as the bridge does
 * ({@link KafkaForm#encode}) and to read the DLQ.
 */
final class Pipeline {
  private static KafkaCluster kafka;
  private static RedisServer redis;
  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static final SpillwayId IDS = new SpillwayId();
  private static final java.net.http.HttpClient METRICS_CLIENT = java.net.http.HttpClient.newHttpClient();

  private Pipeline() {}

  static synchronized KafkaCluster kafka() {
    if (kafka == null) {
      kafka = KafkaCluster.start(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> kafka.close()));
    }
    return kafka;
  }

  static synchronized RedisServer redis() {
    if (redis == null) {
      redis = RedisServer.launch();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> redis.close()));
    }
    return redis;
  }

  /** A unique name per test (topic, application id). */
  static String unique(String prefix) {
    return prefix + "-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
  }

  /** The YAML of a delivery config on a fresh topic; {@code upstreams} is the upstreams: block body. */
  static String yaml(String topic, String appId, String upstreams) {
    Path state;
    try {
      state = Files.createTempDirectory("spillway-delivery-state-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return """
        delivery: { admin: "127.0.0.1:0", application_id: "%s", state_dir: "%s", retry_initial: 200ms, retry_max: 2s, punctuate_interval: 20ms }
        redis: { uri: "%s" }
        kafka: { bootstrap_servers: "%s", topic: "%s", partitions: 3, replication_factor: 1 }
        upstreams:
        %s
        """.formatted(appId, state, redis().uri(), kafka().bootstrapServers(), topic, upstreams.indent(2));
  }

  static SpillwayConfig config(String yaml) {
    return SpillwayConfig.parse(yaml, Map.of(), "test");
  }

  /** Same config with another state dir (a second instance on this machine). */
  static SpillwayConfig secondInstance(String yaml) {
    try {
      Path other = Files.createTempDirectory("spillway-delivery-state-");
      return config(yaml.replaceAll("state_dir: \"[^\"]*\"", "state_dir: \"" + other + "\""));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String eventId() {
    return String.format("%016x%016x", ThreadLocalRandom.current().nextLong(), ThreadLocalRandom.current().nextLong());
  }

  /** A sentry-java 8 style gzip envelope with one event item, received {@code receivedAt}, sent by the client at {@code sentAt}. */
  static BufferedEvent envelope(Route route, String eventId, long receivedAt, Instant sentAt) {
    return envelope(route, eventId, receivedAt, sentAt, "event");
  }

  static BufferedEvent envelope(Route route, String eventId, long receivedAt, Instant sentAt, String itemType) {
    String item = "{\"event_id\":\"" + eventId + "\",\"message\":{\"formatted\":\"test " + eventId + "\"},\"level\":\"error\"}";
    String env = "{\"event_id\":\"" + eventId + "\",\"sdk\":{\"name\":\"sentry.java\",\"version\":\"8.63.0\"}"
        + (sentAt == null ? "" : ",\"sent_at\":\"" + sentAt + "\"") + "}\n"
         + "{\"content_type\":\"application/json\",\"type\":\"" + itemType + "\",\"length\":" + item.getBytes(StandardCharsets.UTF_8).length + "}\n"
        + item + "\n";
    return BufferedEvent.builder().id(IDS.next(receivedAt)).receivedAt(receivedAt).route(route).kind(EndpointKind.ENVELOPE)
        .path("/api/42/envelope/").contentType("application/x-sentry-envelope").contentEncoding("gzip")
        .userAgent("sentry.java/8.63.0").sentryClient("sentry.java/8.63.0").sentryVersion("7").clientIp("198.51.100.7")
        .eventId(eventId).body(io.spillway.schemas.body.ContentEncoding.gzip(env.getBytes(StandardCharsets.UTF_8))).build();
  }

  /** Keys of {@link #copiedRoute}'s two projects. */
  static final String SELFHOSTED_KEY = "aaaa3333aaaa3333aaaa3333aaaa3333";
  static final String SAAS_KEY = "bbbb4545bbbb4545bbbb4545bbbb4545";

  /** An upstream answering for {@link #copiedRoute}'s selfhosted/shop (project 3). */
  static io.spillway.testkit.SentryUpstream selfhosted() {
    return io.spillway.testkit.SentryUpstream.start().project(3, SELFHOSTED_KEY, null);
  }

  /** An upstream answering for {@link #copiedRoute}'s saas/shop (project 45). */
  static io.spillway.testkit.SentryUpstream saas() {
    return io.spillway.testkit.SentryUpstream.start().project(45, SAAS_KEY, null);
  }

  /** The upstreams of a route copied to a second upstream (issue 12): selfhosted/shop, copy_to saas/shop. */
  static String copiedRoute(io.spillway.testkit.SentryUpstream selfhosted, io.spillway.testkit.SentryUpstream saas) {
    return """
        selfhosted:
          url: "%s"
          projects:
            shop: { id: 3, key: %s, copy_to: ["saas/shop"] }
        saas:
          url: "%s"
          projects:
            shop: { id: 45, key: %s }
        """.formatted(selfhosted.url(), SELFHOSTED_KEY, saas.url(), SAAS_KEY);
  }

  /** An envelope of {@code route} with an incompressible attachment: above two chunks, so three pieces. */
  static BufferedEvent largeEnvelope(Route route, String eventId, long seed) {
    byte[] attachment = new byte[2 * io.spillway.schemas.Chunks.CHUNK_BYTES];
    new java.util.Random(seed).nextBytes(attachment);
    long now = System.currentTimeMillis();
    return BufferedEvent.builder().id(IDS.next(now)).receivedAt(now).route(route).kind(EndpointKind.ENVELOPE)
        .path("/api/3/envelope/").contentType("application/x-sentry-envelope").eventId(eventId)
        .body(LargeEventIntegrationTests.envelopeBody(eventId, attachment)).build();
  }

  static BufferedEvent envelope(Route route, String eventId) {
    long now = System.currentTimeMillis();
    return envelope(route, eventId, now, Instant.ofEpochMilli(now));
  }

  static KafkaProducer<byte[], byte[]> producer() {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka().bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    // One request in flight: a batch sent right after the topic was created can be refused (partition not open
    // yet) while the next one is taken as that producer's first, and the first's retry is then out of order for
    // ever (OutOfOrderSequenceException until delivery.timeout.ms: a produce() that timed out after 30 s).
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Writes events as the bridge does and waits for the broker's acks. */
  static void produce(String topic, List<BufferedEvent> events) {
    try (KafkaProducer<byte[], byte[]> producer = producer()) {
      List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
      for (BufferedEvent e : events) acks.add(producer.send(record(topic, KafkaForm.encode(e))));
      for (var f : acks) f.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static ProducerRecord<byte[], byte[]> record(String topic, KafkaForm f) {
    RecordHeaders headers = new RecordHeaders();
    for (KafkaForm.Header h : f.headers()) headers.add(h.name(), h.value());
    return new ProducerRecord<>(topic, null, f.timestamp(), f.key(), f.value(), headers);
  }

  /** Everything in a topic right now (e.g. the DLQ), read from the beginning. */
  static List<ConsumerRecord<byte[], byte[]>> readAll(String topic, int atLeast, Duration timeout) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka().bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, unique("reader"));
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
        if (out.size() >= atLeast) {
          c.poll(Duration.ofMillis(500)).forEach(out::add); // anything more that is already there
          break;
        }
      }
    }
    return out;
  }

  static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    var h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  /** Counts how often each id appears. */
  static Map<String, Integer> counts(List<String> ids) {
    Map<String, Integer> m = new HashMap<>();
    for (String id : ids) m.merge(id, 1, Integer::sum);
    return m;
  }

  /** A metric's value summed over its series from an admin /metrics page (0 if absent). */
  static double metric(int adminPort, SpillwayMetric metric, String labelFilter) {
    String name = metric.exportedName();
    try {
      String text = METRICS_CLIENT.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + adminPort + "/metrics")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString()).body();
      return PrometheusText.sumOrZero(text, name, labelFilter);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static List<KafkaForm.Header> readHeaders(ConsumerRecord<byte[], byte[]> r) {
    List<KafkaForm.Header> out = new ArrayList<>();
    for (var h : r.headers()) out.add(new KafkaForm.Header(h.key(), h.value()));
    return out;
  }
}
