package io.spillway.edge;

import static io.spillway.runtime.SpillwayMetric.EDGE_REJECTED;
import static io.spillway.runtime.SpillwayMetric.EDGE_SCRUBBED;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sentry.Sentry;
import io.sentry.protocol.User;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.body.ContentEncoding;
import io.spillway.schemas.body.Envelope;
import io.spillway.schemas.body.StoreBody;
import io.spillway.testkit.PrivacyCorpus;
import io.spillway.testkit.RedisServer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Data scrubbing at the real edge, against a real Redis: what reaches Redis is scrubbed (the SDK
 * corpus and sentry-java 8 itself), a body that needs nothing stays byte for byte, the client IP is
 * not recorded with IP scrubbing on, what cannot be scrubbed is refused (never stored), attachments
 * are dropped where configured, a route without privacy settings is not touched, and the scrubbed
 * values never show in answers or metrics.
 */
class EdgePrivacyIntegrationTests {
  static final String VODBE = "Sentry sentry_version=7, sentry_client=test/1.0, sentry_key=vodbe";
  static final String OTHER1 = "Sentry sentry_version=7, sentry_client=test/1.0, sentry_key=other1";
  static final String OTHER2 = "Sentry sentry_version=7, sentry_client=test/1.0, sentry_key=other2";
  static final ObjectMapper JSON = new ObjectMapper();
  static EdgeFixture f;
  /** A second edge whose settings scrub nothing but drop attachments. */
  static EdgeFixture g;

  @BeforeAll
  static void start() {
    g = EdgeFixture.start(RedisServer.Fsync.NONE, "", "", "privacy: { scrub_data: false, attachments: drop }\n");
    // Global: Sentry's defaults and IP scrubbing, order_id safe; other/p1: off; other/p2: attachments dropped.
    f = EdgeFixture.start(RedisServer.Fsync.NONE, "max_event_bytes: 1048576\nmax_envelope_bytes: 4194304", "", """
        privacy:
          scrub_data: true
          scrub_defaults: true
          scrub_ip_addresses: true
          safe_fields: ["order_id"]
        """);
  }

  @AfterAll
  static void stop() {
    if (f != null) f.close();
    if (g != null) g.close();
  }

  @BeforeEach
  void clear() {
    f.clear();
    g.clear();
  }

  static HttpResponse<String> post(String auth, String path, byte[] body, String contentEncoding, String contentType) {
    return post(f, auth, path, body, contentEncoding, contentType);
  }

  static HttpResponse<String> post(EdgeFixture f, String auth, String path, byte[] body, String contentEncoding, String contentType) {
    HttpRequest.Builder r = HttpRequest.newBuilder(f.uri(path)).header("X-Sentry-Auth", auth)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentEncoding != null) r.header("Content-Encoding", contentEncoding);
    if (contentType != null) r.header("Content-Type", contentType);
    return f.send(r.build());
  }

  /** The stored body without its encodings (and base64/zlib for a store event). */
  static String decoded(BufferedEvent e) throws Exception {
    byte[] d = ContentEncoding.of(e.contentEncoding()).decode(e.body(), 64 << 20);
    if (e.kind().wireName().equals("store") && d.length > 0 && d[0] != '{') d = StoreBody.json(ContentEncoding.IDENTITY, d, 64 << 20);
    return new String(d, StandardCharsets.UTF_8);
  }

  @Test
  void theSdkCorpusIsScrubbedBeforeRedis() throws Exception {
    assertThat(post(VODBE, "/api/20/envelope/", EdgeFixture.gzip(PrivacyCorpus.file(PrivacyCorpus.SENTRY_NODE)), "gzip", null).statusCode())
        .isEqualTo(200);
    assertThat(post(VODBE, "/api/20/envelope/", PrivacyCorpus.file(PrivacyCorpus.SENTRY_BROWSER), null, "text/plain;charset=UTF-8").statusCode())
        .isEqualTo(200);
    assertThat(post(VODBE, "/api/20/store/", PrivacyCorpus.file(PrivacyCorpus.RAVEN_NODE), null, "application/octet-stream").statusCode())
        .isEqualTo(200);
    assertThat(post(VODBE, "/api/20/store/", PrivacyCorpus.file(PrivacyCorpus.RAVEN_JAVA), null, "application/octet-stream").statusCode())
        .isEqualTo(200);
    List<BufferedEvent> stored = f.events();
    assertThat(stored).hasSize(4);
    for (BufferedEvent e : stored) {
      String text = decoded(e);
      assertThat(PrivacyCorpus.leaks(text)).as(text).isEmpty();
      assertThat(PrivacyCorpus.leaks(e.body())).isEmpty();
      assertThat(e.clientIp()).as("client IP with scrub_ip_addresses").isNull();
    }
    String node = decoded(stored.get(0));
    assertThat(node).contains("ord_98231", "\"password\":\"[Filtered]\"", "[email]", "[ip]", "\"REMOTE_ADDR\":null")
        .contains("postgres://shop:[Filtered]@db.internal:5432/shop", "payment failed for order ord_98231");
    JsonNode event = JSON.readTree(Envelope.parse(ContentEncoding.GZIP.decode(stored.get(0).body(), 1 << 20)).items().get(0).payload());
    assertThat(event.at("/user/ip_address").isNull()).isTrue();
    assertThat(event.at("/user/username").asText()).isEqualTo("jdoe");
    assertThat(event.at("/request/headers/Authorization").asText()).isEqualTo("[Filtered]");
    assertThat(event.at("/request/headers/Cookie").asText()).isEqualTo("[Filtered]");
    assertThat(event.at("/request/headers/User-Agent").asText()).isEqualTo("Mozilla/5.0");
    String browser = decoded(stored.get(1));
    assertThat(browser).contains("\"did\":\"[email]\"", "\"ip_address\":null", "email=%5Bemail%5D", "ord_98231");
    assertThat(stored.get(2).contentType()).isEqualTo("application/json");
    assertThat(decoded(stored.get(3))).contains("\"sentry.interfaces.User\"", "\"ip_address\":null", "\"password\":\"[Filtered]\"");
    String metrics = f.metrics();
    assertThat(f.metric(EDGE_SCRUBBED, "route=\"wow/vod_be\"", "rule=\"@password:filter\"")).isPositive();
    assertThat(f.metric(EDGE_SCRUBBED, "rule=\"@anything:remove\"")).isPositive();
    assertThat(PrivacyCorpus.leaks(metrics)).isEmpty();
  }

  @Test
  void aCleanBodyIsStoredByteForByte() {
    byte[] gz = EdgeFixture.gzip(EdgeFixture.envelope("0123456789abcdef0123456789abcdef", "nothing personal here").getBytes(StandardCharsets.UTF_8));
    assertThat(post(VODBE, "/api/20/envelope/", gz, "gzip", null).statusCode()).isEqualTo(200);
    assertThat(f.events()).singleElement().satisfies(e -> {
      assertThat(e.body()).isEqualTo(gz);
      assertThat(e.contentEncoding()).isEqualTo("gzip");
    });
  }

  @Test
  void withScrubbingOffABodyIsNotTouched() {
    byte[] body = PrivacyCorpus.file(PrivacyCorpus.SENTRY_BROWSER);
    assertThat(post(g, OTHER1, "/api/1/envelope/", body, null, null).statusCode()).isEqualTo(200);
    assertThat(g.events()).singleElement().satisfies(e -> {
      assertThat(e.body()).isEqualTo(body);
      assertThat(e.clientIp()).isEqualTo("127.0.0.1");
    });
  }

  @Test
  void whatCannotBeScrubbedIsRefusedNotStored() {
    String env = "{\"event_id\":\"0123456789abcdef0123456789abcdef\"}\n{\"type\":\"event\"}\n{\"password\": hunter2}\n";
    HttpResponse<String> r = post(VODBE, "/api/20/envelope/", env.getBytes(StandardCharsets.UTF_8), null, null);
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).isEqualTo("{\"detail\":\"cannot be scrubbed: item 1 (event): not valid JSON\"}");
    assertThat(f.count()).isZero();
    HttpResponse<String> get = f.send(HttpRequest.newBuilder(f.uri("/api/20/store/?sentry_key=vodbe&sentry_version=7&sentry_data="
        + "%7B%22extra%22%3A%7B%22password%22%3A%22hunter2%22%7D%7D")).GET().build());
    assertThat(get.statusCode()).isEqualTo(403);
    assertThat(get.body()).doesNotContain("hunter2");
    assertThat(f.count()).isZero();
    assertThat(f.metric(EDGE_REJECTED, "reason=\"unscrubbable\"")).isGreaterThanOrEqualTo(2);
  }

  @Test
  void attachmentsAreDroppedWhereConfigured() throws Exception {
    String env = "{\"event_id\":\"0123456789abcdef0123456789abcdef\"}\n{\"type\":\"event\"}\n{\"message\":\"crash\"}\n"
        + "{\"type\":\"attachment\",\"length\":4,\"attachment_type\":\"event.minidump\",\"filename\":\"m.dmp\"}\nMDMP\n";
    assertThat(post(g, OTHER2, "/api/2/envelope/", env.getBytes(StandardCharsets.UTF_8), null, null).statusCode()).isEqualTo(200);
    assertThat(Envelope.parse(g.events().get(0).body()).items()).extracting(Envelope.Item::type).containsExactly("event");
    g.clear();
    HttpResponse<String> minidump = post(g, OTHER2, "/api/2/minidump/", "MDMP and the rest of a crash".getBytes(StandardCharsets.UTF_8),
        null, "application/octet-stream");
    assertThat(minidump.statusCode()).isEqualTo(200);
    assertThat(g.count()).isZero();
    assertThat(g.metric(EDGE_SCRUBBED, "route=\"other/p2\"", "rule=\"attachments:drop\"")).isEqualTo(2);
  }

  /** sentry-java 8.63.0 itself, with personal data set through its API. */
  @Test
  void realSentryJavaEvents() throws Exception {
    try (RecordingProxy proxy = new RecordingProxy(f.edge.port())) {
      PrivacyCorpus.sendWithSentryJava("http://vodbe@127.0.0.1:" + proxy.port() + "/20");
      assertThat(proxy.sent).isNotEmpty().allSatisfy(x -> assertThat(x.status()).isEqualTo(200));
      List<BufferedEvent> stored = f.events();
      assertThat(stored).isNotEmpty();
      boolean sawEvent = false;
      for (BufferedEvent e : stored) {
        String text = decoded(e);
        assertThat(PrivacyCorpus.leaks(text)).as(text).isEmpty();
        sawEvent |= text.contains("\"type\":\"event\"");
        if (text.contains("\"type\":\"event\"")) assertThat(text).contains("ord_98231", "payment failed", "jdoe");
      }
      assertThat(sawEvent).isTrue();
    }
  }
}
