package io.spillway.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sentry.Sentry;
import io.sentry.protocol.Request;
import io.spillway.bridge.KafkaBridge;
import io.spillway.delivery.DeliveryService;
import io.spillway.delivery.tools.Bound;
import io.spillway.delivery.tools.Replay;
import io.spillway.edge.EdgeServer;
import io.spillway.schemas.body.ContentEncoding;
import io.spillway.schemas.body.Envelope;
import io.spillway.schemas.config.SpillwayConfig;
import io.spillway.testkit.KafkaCluster;
import io.spillway.testkit.PrivacyCorpus;
import io.spillway.testkit.RedisServer;
import io.spillway.testkit.SentryUpstream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 13's acceptance, end to end with real parts: the SDK corpus (@sentry/node, @sentry/browser,
 * raven-node, raven-java) and sentry-java 8.63.0 itself, carrying e-mails, IPs, card numbers,
 * passwords and tokens in extra, contexts, request, breadcrumbs and frame vars, go through the edge
 * with Sentry's default scrubbers and IP scrubbing on. No secret reaches the upstream, any Kafka
 * topic (events, DLQ, delivery's changelogs: every record of every topic is read), or a replay; the
 * safe field survives; everything that was not scrubbed arrives JSON-equal.
 */
@Timeout(300)
class PrivacyPipelineIntegrationTests {
  static final ObjectMapper JSON = new ObjectMapper();
  static RedisServer redis;
  static KafkaCluster kafka;
  static SentryUpstream upstream;
  static EdgeServer edge;
  static KafkaBridge bridge;
  static DeliveryService delivery;
  static SpillwayConfig config;

  @BeforeAll
  static void startPipeline() throws Exception {
    redis = RedisServer.launch();
    kafka = KafkaCluster.start(1);
    upstream = SentryUpstream.start().project(11, "alphakey11", null);
    Path state = Files.createTempDirectory("spillway-privacy-");
    String yaml = """
        edge:     { listen: "127.0.0.1:0", admin: "127.0.0.1:0", instance: "edge-privacy" }
        bridge:   { admin: "127.0.0.1:0", block: "50ms" }
        delivery: { admin: "127.0.0.1:0", state_dir: "%s" }
        redis:    { uri: "%s" }
        kafka:    { bootstrap_servers: "%s", partitions: 2 }
        privacy:
          scrub_defaults: true
          scrub_ip_addresses: true
          safe_fields: ["order_id"]
        upstreams:
          alpha:
            url: "%s"
            projects:
              web: { alias: "webalias", id: 11, key: "alphakey11" }
              broken: { alias: "brokenalias", id: 12, key: "keyunknowntotheupstream" }
        """.formatted(state, redis.uri(), kafka.bootstrapServers(), upstream.url());
    config = SpillwayConfig.parse(yaml, Map.of(), "privacy-pipeline-test");
    edge = EdgeServer.start(config);
    bridge = KafkaBridge.start(config);
    delivery = DeliveryService.start(config);
  }

  @AfterAll
  static void stopPipeline() {
    for (AutoCloseable c : new AutoCloseable[] {edge, bridge, delivery, upstream, kafka, redis}) {
      try {
        if (c != null) c.close();
      } catch (Exception ignored) {
        // keep closing the rest
      }
    }
  }

  @Test
  void nothingSensitiveReachesTheUpstreamKafkaOrAReplay() throws Exception {
    Instant start = Instant.now().minusSeconds(5);
    String base = "http://127.0.0.1:" + edge.port();
    List<String> ids = new ArrayList<>();
    byte[] node = PrivacyCorpus.file(PrivacyCorpus.SENTRY_NODE);
    ids.add(post(base + "/api/11/envelope/", "webalias", gzip(node), "gzip", null));
    ids.add(post(base + "/api/11/envelope/", "webalias", PrivacyCorpus.file(PrivacyCorpus.SENTRY_BROWSER), null, "text/plain;charset=UTF-8"));
    ids.add(post(base + "/api/11/store/", "webalias", PrivacyCorpus.file(PrivacyCorpus.RAVEN_NODE), null, "application/octet-stream"));
    ids.add(post(base + "/api/11/store/", "webalias", PrivacyCorpus.file(PrivacyCorpus.RAVEN_JAVA), null, "application/octet-stream"));
    ids.addAll(PrivacyCorpus.sendWithSentryJava("http://webalias@127.0.0.1:" + edge.port() + "/11"));
    // One event to a route whose key the upstream refuses: it ends in the DLQ.
    post(base + "/api/12/envelope/", "brokenalias", gzip(node), "gzip", null);

    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      assertThat(upstream.acceptedEventIds()).containsAll(ids);
      assertThat(upstream.statusCounts().getOrDefault(401, 0) + upstream.statusCounts().getOrDefault(403, 0)).isPositive();
    });
    int before = upstream.requests().size();

    // A replay of everything: the copies come from Kafka, so they can only be what Kafka holds.
    Replay.Summary replay = Replay.run(config, Replay.Request.of(new Bound.At(start), new Bound.At(Instant.now().plusSeconds(1)),
        Replay.Selection.all()), line -> { });
    assertThat(replay.sent()).isGreaterThanOrEqualTo(ids.size());
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
        .untilAsserted(() -> assertThat(upstream.requests().size()).isGreaterThanOrEqualTo(before + ids.size()));

    // The upstream: every request, accepted or not, original or replayed.
    for (SentryUpstream.Received r : upstream.requests()) {
      assertThat(PrivacyCorpus.leaks(r.decodedText())).as(r.path() + " " + r.decodedText()).isEmpty();
      assertThat(PrivacyCorpus.leaks(r.body())).isEmpty();
      assertThat(r.header("X-Forwarded-For")).as("the client IP is not recorded with IP scrubbing").isNull();
    }
    List<String> texts = upstream.accepted().stream().map(SentryUpstream.Received::decodedText).toList();
    for (String kept : PrivacyCorpus.KEPT) assertThat(texts).anyMatch(t -> t.contains(kept));

    // What was not scrubbed arrives JSON-equal: the @sentry/node event, sent and received.
    JsonNode sent = JSON.readTree(Envelope.parse(node).items().get(0).payload());
    SentryUpstream.Received nodeAtUpstream = upstream.accepted().stream()
        .filter(r -> sent.get("event_id").asText().equals(r.eventId())).findFirst().orElseThrow();
    JsonNode received = JSON.readTree(Envelope.parse(nodeAtUpstream.decoded()).items().get(0).payload());
    sameExceptScrubbed(sent, received, "");
    assertThat(received.at("/extra/order_id").asText()).isEqualTo("ord_98231");

    // Kafka: every record of every topic (events, DLQ, delivery's changelogs, anything else).
    Map<String, Integer> recordsByTopic = new java.util.TreeMap<>();
    for (String topic : topics()) {
      for (ConsumerRecord<byte[], byte[]> rec : readAll(topic)) {
        recordsByTopic.merge(topic, 1, Integer::sum);
        if (rec.value() != null) assertThat(PrivacyCorpus.leaks(allText(rec.value()))).as(topic + " value").isEmpty();
        if (rec.key() != null) assertThat(PrivacyCorpus.leaks(allText(rec.key()))).as(topic + " key").isEmpty();
        for (Header h : rec.headers()) assertThat(PrivacyCorpus.leaks(h.value() == null ? new byte[0] : h.value())).as(topic + " " + h.key()).isEmpty();
      }
    }
    assertThat(recordsByTopic).containsKey(config.kafka().topic()).containsKey(config.kafka().dlqTopic());
    assertThat(recordsByTopic.keySet()).anyMatch(t -> t.contains("changelog"));
    System.out.println("privacy pipeline: read " + recordsByTopic + "; upstream requests " + upstream.requests().size());
  }

  static String post(String url, String key, byte[] body, String contentEncoding, String contentType) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url))
        .header("X-Sentry-Auth", "Sentry sentry_version=7, sentry_client=corpus/1.0, sentry_key=" + key)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentEncoding != null) r.header("Content-Encoding", contentEncoding);
    if (contentType != null) r.header("Content-Type", contentType);
    HttpResponse<String> resp = HttpClient.newHttpClient().send(r.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
    return JSON.readTree(resp.body()).get("id").asText();
  }

  static Set<String> topics() throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    try (Admin admin = Admin.create(p)) {
      return admin.listTopics().names().get();
    }
  }

  static List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      for (PartitionInfo i : c.partitionsFor(topic)) parts.add(new TopicPartition(topic, i.partition()));
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      long deadline = System.currentTimeMillis() + 30_000;
      while (System.currentTimeMillis() < deadline) {
        boolean done = true;
        for (TopicPartition tp : parts) done &= c.position(tp) >= end.get(tp);
        if (done) break;
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }

  /** The bytes as text, plus the text of every gzip stream inside them (stored bodies keep their encoding). */
  static String allText(byte[] b) {
    StringBuilder s = new StringBuilder(new String(b, StandardCharsets.ISO_8859_1));
    for (int i = 0; i + 2 < b.length; i++) {
      if ((b[i] & 0xff) != 0x1f || (b[i + 1] & 0xff) != 0x8b || b[i + 2] != 8) continue;
      try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(b, i, b.length - i))) {
        s.append('\n').append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      } catch (Exception notGzip) {
        // a match of the magic inside other data
      }
    }
    try {
      // A store body may also be base64(zlib(JSON)) (legacy SDKs); stored ones are JSON after scrubbing, but check.
      s.append('\n').append(new String(ContentEncoding.DEFLATE.decode(java.util.Base64.getMimeDecoder().decode(b), 1 << 24),
          StandardCharsets.UTF_8));
    } catch (Exception notBase64) {
      // not that form
    }
    return s.toString();
  }

  static byte[] gzip(byte[] b) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(b);
    }
    return out.toByteArray();
  }

  /** Same shape and values, except strings that became a redaction and values that became null. */
  static void sameExceptScrubbed(JsonNode in, JsonNode out, String where) {
    if (out.isNull() && !in.isNull()) return;
    if (in.isObject()) {
      assertThat(out.isObject()).as(where).isTrue();
      for (Iterator<String> it = in.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        assertThat(out.has(k)).as(where + "." + k).isTrue();
        sameExceptScrubbed(in.get(k), out.get(k), where + "." + k);
      }
      assertThat(out.size()).as(where).isEqualTo(in.size());
    } else if (in.isArray()) {
      assertThat(out.size()).as(where).isEqualTo(in.size());
      for (int i = 0; i < in.size(); i++) sameExceptScrubbed(in.get(i), out.get(i), where + "." + i);
    } else if (in.isTextual() && !out.equals(in)) {
      assertThat(out.asText()).as(where).matches("(?s).*(\\[Filtered]|\\[ip]|\\[email]|\\[creditcard]|\\[iban]|\\[us-ssn]|%5BFiltered%5D).*");
    } else {
      assertThat(out).as(where).isEqualTo(in);
    }
  }
}
