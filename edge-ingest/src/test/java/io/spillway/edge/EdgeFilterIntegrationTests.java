package io.spillway.edge;

import static io.spillway.runtime.SpillwayMetric.EDGE_FILTERED;
import static org.assertj.core.api.Assertions.assertThat;

import io.sentry.Sentry;
import io.sentry.SentryEvent;
import io.sentry.protocol.Request;
import io.sentry.protocol.SentryId;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.body.ContentEncoding;
import io.spillway.schemas.body.Envelope;
import io.spillway.testkit.RedisServer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Inbound filters at the real edge, against a real Redis: a filtered event is answered 200 with its
 * id like an accepted one and nothing is stored; an envelope that keeps other items is stored without
 * the event; every drop is counted in {@code spillway_edge_filtered_total{route,filter}}; real SDK events.
 */
class EdgeFilterIntegrationTests {
  static final String XSA = "Sentry sentry_version=7, sentry_client=test/1.0, sentry_key=vodbe";
  static EdgeFixture f;

  @BeforeAll
  static void start() {
    f = EdgeFixture.start(RedisServer.Fsync.NONE, "", "", """
        filters:
          localhost: true
          browser_extensions: true
          legacy_browsers: true
          web_crawlers: true
          releases: ["bad-release@*"]
          error_messages: ["*ChunkLoadError*"]
          environments: [staging]
        """);
  }

  @AfterAll
  static void stop() {
    if (f != null) f.close();
  }

  @BeforeEach
  void clear() {
    f.clear();
  }

  static HttpResponse<String> post(String path, byte[] body, String contentEncoding, String contentType) {
    HttpRequest.Builder r = HttpRequest.newBuilder(f.uri(path)).header("X-Sentry-Auth", XSA)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentEncoding != null) r.header("Content-Encoding", contentEncoding);
    if (contentType != null) r.header("Content-Type", contentType);
    return f.send(r.build());
  }

  static final String ID = "9ec79c33ec9942ab8353589fcb2e04dc";

  static byte[] envelope(String eventJson, String... moreItems) {
    StringBuilder b = new StringBuilder("{\"event_id\":\"" + ID + "\"}\n{\"type\":\"event\"}\n" + eventJson + "\n");
    for (String i : moreItems) b.append(i).append('\n');
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aFilteredEventIsAnsweredLikeAnAcceptedOneAndNeverStored() {
    double before = f.metric(EDGE_FILTERED, "filter=\"releases\"", "route=\"wow/vod_be\"");
    HttpResponse<String> r = post("/api/20/envelope/", EdgeFixture.gzip(envelope("{\"release\":\"bad-release@1.2\"}")), "gzip", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"id\":\"" + ID + "\"}");
    assertThat(f.count()).isZero();
    assertThat(f.metric(EDGE_FILTERED, "filter=\"releases\"", "route=\"wow/vod_be\"")).isEqualTo(before + 1);

    HttpResponse<String> ok = post("/api/20/envelope/", envelope("{\"release\":\"good@1.2\"}"), null, null);
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(f.count()).isEqualTo(1);
  }

  @Test
  void aPartlyFilteredEnvelopeIsStoredWithoutTheEventAndItsAttachments() throws Exception {
    byte[] body = envelope("{\"environment\":\"staging\"}", "{\"type\":\"attachment\",\"length\":2}", "hi",
        "{\"type\":\"session\"}", "{\"sid\":\"s1\",\"status\":\"ok\"}");
    HttpResponse<String> r = post("/api/20/envelope/", EdgeFixture.gzip(body), "gzip", null);
    assertThat(r.statusCode()).isEqualTo(200);
    List<BufferedEvent> stored = f.events();
    assertThat(stored).hasSize(1);
    BufferedEvent e = stored.get(0);
    assertThat(e.contentEncoding()).isEqualTo("gzip");
    byte[] decoded = ContentEncoding.GZIP.decode(e.body(), 1 << 20);
    assertThat(Envelope.parse(decoded).items().stream().map(Envelope.Item::type)).containsExactly("session");
    assertThat(f.metric(EDGE_FILTERED, "filter=\"environments\"")).isGreaterThanOrEqualTo(1);
  }

  @Test
  void legacyStoreBodiesAreFilteredToo() {
    String json = "{\"event_id\":\"" + ID + "\",\"message\":\"x\",\"platform\":\"javascript\"}";
    byte[] ravenJava = Base64.getEncoder().encode(EdgeFixture.zlib(json.getBytes(StandardCharsets.UTF_8)));
    // The client IP is 127.0.0.1 (this test), and a browser event takes the client IP: localhost.
    HttpResponse<String> r = post("/api/20/store/", ravenJava, null, "application/octet-stream");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(f.count()).isZero();
    String server = "{\"event_id\":\"" + ID + "\",\"message\":\"x\",\"platform\":\"java\"}";
    assertThat(post("/api/20/store/", server.getBytes(StandardCharsets.UTF_8), null, "application/json").statusCode()).isEqualTo(200);
    assertThat(f.count()).isEqualTo(1);
  }

  /** sentry-java 8.63.0 itself: a crawler-triggered error and a staging one are dropped, a normal one stored. */
  @Test
  void realSentryJavaEvents() throws Exception {
    try (RecordingProxy proxy = new RecordingProxy(f.edge.port())) {
      Sentry.init(o -> {
        o.setDsn("http://vodbe@127.0.0.1:" + proxy.port() + "/20");
        o.setSendClientReports(false);
        o.setEnableAutoSessionTracking(false);
        o.setEnableUncaughtExceptionHandler(false);
        o.setEnableShutdownHook(false);
        o.setEnableExternalConfiguration(false);
        o.setEnableDeduplication(false);
        o.setRelease("shop@2.0");
        o.setEnvironment("production");
      });
      SentryId kept;
      try {
        SentryEvent crawled = new SentryEvent(new IllegalStateException("product 1 not found"));
        Request request = new Request();
        request.setUrl("https://shop.example.com/product/1");
        request.setHeaders(Map.of("User-Agent", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"));
        crawled.setRequest(request);
        Sentry.captureEvent(crawled);
        Sentry.withScope(scope -> {
          SentryEvent staging = new SentryEvent(new IllegalStateException("staging only"));
          staging.setEnvironment("staging");
          Sentry.captureEvent(staging);
        });
        Sentry.captureException(new RuntimeException("ChunkLoadError: Loading chunk 9 failed."));
        kept = Sentry.captureException(new IllegalStateException("payment declined"));
        Sentry.flush(30_000);
      } finally {
        Sentry.close();
      }
      assertThat(proxy.sent).hasSize(4).allSatisfy(s -> assertThat(s.status()).isEqualTo(200));
      List<BufferedEvent> stored = f.events();
      assertThat(stored).extracting(BufferedEvent::eventId).containsExactly(kept.toString());
    }
  }
}
