package io.spillway.edge;

import static io.spillway.edge.EdgeFixture.VOD_BE_KEY;
import static io.spillway.edge.EdgeFixture.envelope;
import static io.spillway.edge.EdgeFixture.gzip;
import static io.spillway.edge.EdgeFixture.hex32;
import static io.spillway.edge.EdgeFixture.zlib;
import static io.spillway.runtime.SpillwayMetric.EDGE_ACCEPTED;
import static io.spillway.runtime.SpillwayMetric.EDGE_IN_FLIGHT;
import static io.spillway.runtime.SpillwayMetric.EDGE_REDIS_BUFFER;
import static io.spillway.runtime.SpillwayMetric.EDGE_REDIS_WRITE;
import static io.spillway.runtime.SpillwayMetric.EDGE_REJECTED;
import static io.spillway.runtime.SpillwayMetric.EDGE_REQUEST;
import static io.spillway.runtime.SpillwayMetric.EDGE_REQUESTS;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.luben.zstd.Zstd;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.GoldenVectors;
import io.spillway.schemas.Route;
import io.spillway.schemas.config.SpillwayConfig;
import io.spillway.testkit.RedisServer;
import java.io.ByteArrayInputStream;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every route and auth form of sentry-protocol.md §1–§4 against a real edge and a real Redis. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EdgeProtocolIntegrationTests {
  static final Route VOD_BE = new Route("wow", "vod_be");
  static final String XSA = "Sentry sentry_version=7,sentry_client=sentry.java/8.63.0,sentry_key=vodbe";
  static EdgeFixture f;

  @BeforeAll
  static void start() {
    f = EdgeFixture.start(RedisServer.Fsync.NONE);
  }

  @AfterAll
  static void stop() {
    if (f != null) f.close();
  }

  @BeforeEach
  void clear() {
    f.clear();
  }

  static HttpRequest.Builder post(String path, byte[] body) {
    return HttpRequest.newBuilder(f.uri(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
  }

  static BufferedEvent only() {
    List<BufferedEvent> events = f.events();
    assertThat(events).hasSize(1);
    return events.get(0);
  }

  @Test
  void envelopeWithXSentryAuthGzip() {
    String id = hex32(1);
    byte[] body = gzip(envelope(id, "hello").getBytes(StandardCharsets.UTF_8));
    HttpResponse<String> r = f.send(post("/api/20/envelope/", body)
        .header("X-Sentry-Auth", XSA).header("Content-Type", "application/x-sentry-envelope")
        .header("Content-Encoding", "gzip").header("User-Agent", "sentry.java/8.63.0").build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"id\":\"" + id + "\"}");
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    BufferedEvent e = only();
    assertThat(e.route()).isEqualTo(VOD_BE);
    assertThat(e.kind()).isEqualTo(EndpointKind.ENVELOPE);
    assertThat(e.method()).isEqualTo("POST");
    assertThat(e.path()).isEqualTo("/api/20/envelope/");
    assertThat(e.query()).isNull();
    assertThat(e.contentType()).isEqualTo("application/x-sentry-envelope");
    assertThat(e.contentEncoding()).isEqualTo("gzip");
    assertThat(e.userAgent()).isEqualTo("sentry.java/8.63.0");
    assertThat(e.sentryClient()).isEqualTo("sentry.java/8.63.0");
    assertThat(e.sentryVersion()).isEqualTo("7");
    assertThat(e.clientIp()).isEqualTo("127.0.0.1");
    assertThat(e.eventId()).isEqualTo(id);
    assertThat(e.edge()).isEqualTo("edge-test");
    assertThat(e.datacenter()).isEqualTo("test-dc");
    assertThat(e.body()).isEqualTo(body);
  }

  /** @sentry/node: key in the query string, chunked body, no Content-Type, no Content-Encoding. */
  @Test
  void queryAuthChunkedWithoutContentType() {
    String id = hex32(2);
    byte[] body = envelope(id, "node").getBytes(StandardCharsets.UTF_8);
    HttpRequest req = HttpRequest.newBuilder(f.uri("/api/20/envelope/?sentry_version=7&sentry_key=vodbe&sentry_client=sentry.javascript.node%2F11.12.0"))
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))).build(); // unknown length: chunked
    HttpResponse<String> r = f.send(req);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"id\":\"" + id + "\"}");
    BufferedEvent e = only();
    assertThat(e.route()).isEqualTo(VOD_BE);
    assertThat(e.contentType()).isNull();
    assertThat(e.contentEncoding()).isNull();
    assertThat(e.query()).isEqualTo("sentry_version=7&sentry_client=sentry.javascript.node%2F11.12.0");
    assertThat(e.sentryClient()).isEqualTo("sentry.javascript.node/11.12.0");
    assertThat(e.body()).isEqualTo(body);
  }

  /** Tunnel form: the only auth is the envelope header's dsn (legacy upstream:project form here). */
  @Test
  void envelopeDsnHeaderAuth() {
    String id = hex32(3);
    String env = "{\"event_id\":\"" + id + "\",\"dsn\":\"https://wow:vod_be@spillway.example/20\"}\n{\"type\":\"session\"}\n{}\n";
    HttpResponse<String> r = f.send(post("/api/20/envelope/", env.getBytes(StandardCharsets.UTF_8))
        .header("Content-Type", "text/plain;charset=UTF-8").build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(only().route()).isEqualTo(VOD_BE);
  }

  @Test
  void authorizationSentryHeader() {
    HttpResponse<String> r = f.send(post("/api/20/envelope/", envelope(hex32(4), "a").getBytes(StandardCharsets.UTF_8))
        .header("Authorization", "Sentry sentry_key=" + VOD_BE_KEY + ", sentry_version=7").build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(only().route()).isEqualTo(VOD_BE);
  }

  @Test
  void authorizationBasic() {
    String basic = Base64.getEncoder().encodeToString((VOD_BE_KEY + ":").getBytes(StandardCharsets.UTF_8));
    HttpResponse<String> r = f.send(post("/api/20/envelope/", envelope(hex32(5), "b").getBytes(StandardCharsets.UTF_8))
        .header("Authorization", "Basic " + basic).build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(only().route()).isEqualTo(VOD_BE);
  }

  @Test
  void twoAuthFormsAreRefused() {
    HttpResponse<String> r = f.send(HttpRequest.newBuilder(f.uri("/api/20/envelope/?sentry_key=vodbe"))
        .POST(HttpRequest.BodyPublishers.ofString(envelope(hex32(6), "c"))).header("X-Sentry-Auth", XSA).build());
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).isEqualTo("{\"detail\":\"multiple authorization payloads detected\"}");
    assertThat(f.count()).isZero();
  }

  /** raven-java 8: base64(zlib(JSON)), no Content-Encoding, legacy upstream:project credentials. */
  @Test
  void storeBase64Zlib() {
    String id = hex32(7);
    byte[] body = Base64.getEncoder().encode(zlib(("{\"event_id\":\"" + id + "\",\"message\":\"m\"}").getBytes(StandardCharsets.UTF_8)));
    HttpResponse<String> r = f.send(post("/api/20/store/", body)
        .header("X-Sentry-Auth", "Sentry sentry_version=6,sentry_client=raven-java/8.0.3,sentry_key=wow,sentry_secret=vod_be")
        .header("Content-Type", "application/x-www-form-urlencoded").build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"id\":\"" + id + "\"}");
    BufferedEvent e = only();
    assertThat(e.route()).isEqualTo(VOD_BE);
    assertThat(e.kind()).isEqualTo(EndpointKind.STORE);
    assertThat(e.sentryVersion()).isEqualTo("6");
    assertThat(e.eventId()).isEqualTo(id);
    assertThat(e.body()).isEqualTo(body);
  }

  /** Each Content-Encoding the protocol lists, plus the "" and utf-8 that some SDKs send. */
  @Test
  void storeBodyEncodings() {
    byte[] json = "{\"event_id\":\"%s\",\"message\":\"enc\"}".getBytes(StandardCharsets.UTF_8);
    Map<String, java.util.function.Function<byte[], byte[]>> encodings = new java.util.LinkedHashMap<>();
    encodings.put("gzip", EdgeFixture::gzip);
    encodings.put("x-gzip", EdgeFixture::gzip);
    encodings.put("deflate", EdgeFixture::zlib);
    encodings.put("br", EdgeFixture::brotliStored);
    encodings.put("zstd", Zstd::compress);
    encodings.put("", b -> b);
    encodings.put("utf-8", b -> b);
    int i = 100;
    for (var enc : encodings.entrySet()) {
      String id = hex32(i++);
      byte[] body = enc.getValue().apply(new String(json, StandardCharsets.UTF_8).formatted(id).getBytes(StandardCharsets.UTF_8));
      HttpRequest.Builder b = post("/api/20/store/", body).header("X-Sentry-Auth", XSA).header("Content-Type", "application/json");
      if (!enc.getKey().isEmpty()) b.header("Content-Encoding", enc.getKey());
      HttpResponse<String> r = f.send(b.build());
      assertThat(r.statusCode()).as(enc.getKey()).isEqualTo(200);
      assertThat(r.body()).as(enc.getKey()).isEqualTo("{\"id\":\"" + id + "\"}");
    }
    assertThat(f.events()).hasSize(encodings.size()).allSatisfy(e -> assertThat(e.eventId()).isNotNull());
  }

  @Test
  void envelopeEncodings() {
    for (String enc : List.of("br", "zstd", "deflate")) {
      String id = hex32(enc.hashCode());
      byte[] plain = envelope(id, enc).getBytes(StandardCharsets.UTF_8);
      byte[] body = switch (enc) {
        case "br" -> EdgeFixture.brotliStored(plain);
        case "zstd" -> Zstd.compress(plain);
        default -> zlib(plain);
      };
      HttpResponse<String> r = f.send(post("/api/20/envelope/", body).header("X-Sentry-Auth", XSA).header("Content-Encoding", enc).build());
      assertThat(r.statusCode()).as(enc).isEqualTo(200);
      assertThat(r.body()).as(enc).isEqualTo("{\"id\":\"" + id + "\"}");
    }
    assertThat(f.count()).isEqualTo(3);
  }

  @Test
  void storeWithoutEventIdGetsAGeneratedOne() {
    HttpResponse<String> r = f.send(post("/api/20/store/", "{\"message\":\"no id\"}".getBytes(StandardCharsets.UTF_8))
        .header("X-Sentry-Auth", XSA).build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).matches("\\{\"id\":\"[0-9a-f]{32}\"}");
    String answered = r.body().substring(7, 39);
    // the id the SDK was told is the one Sentry will store: it is in the record and in the body
    BufferedEvent stored = only();
    assertThat(stored.eventId()).isEqualTo(answered);
    assertThat(new String(stored.body(), StandardCharsets.UTF_8)).isEqualTo("{\"event_id\":\"" + answered + "\",\"message\":\"no id\"}");
    assertThat(stored.contentEncoding()).isNull();
  }

  @Test
  void legacyStoreBodyWithoutEventIdIsStoredAsJsonWithTheAnsweredId() {
    byte[] b64zlib = Base64.getEncoder().encode(EdgeFixture.zlib("{\"message\":\"raven\"}".getBytes(StandardCharsets.UTF_8)));
    HttpResponse<String> r = f.send(post("/api/20/store/", b64zlib).header("X-Sentry-Auth", XSA).build());
    assertThat(r.statusCode()).isEqualTo(200);
    String answered = r.body().substring(7, 39);
    BufferedEvent stored = only();
    assertThat(new String(stored.body(), StandardCharsets.UTF_8)).isEqualTo("{\"event_id\":\"" + answered + "\",\"message\":\"raven\"}");
    assertThat(stored.contentType()).isEqualTo("application/json");
  }

  @Test
  void envelopeWithAnEventButNoIdGetsTheAnsweredIdInItsHeader() throws Exception {
    byte[] plain = "{\"sdk\":{\"name\":\"x\"}}\n{\"type\":\"event\",\"length\":2}\n{}\n".getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> r = f.send(post("/api/20/envelope/", EdgeFixture.gzip(plain)).header("X-Sentry-Auth", XSA)
        .header("Content-Encoding", "gzip").build());
    assertThat(r.statusCode()).isEqualTo(200);
    String answered = r.body().substring(7, 39);
    BufferedEvent stored = only();
    assertThat(stored.eventId()).isEqualTo(answered);
    assertThat(stored.contentEncoding()).isEqualTo("gzip");
    byte[] decoded = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(stored.body())).readAllBytes();
    assertThat(new String(decoded, StandardCharsets.UTF_8))
        .isEqualTo("{\"event_id\":\"" + answered + "\",\"sdk\":{\"name\":\"x\"}}\n{\"type\":\"event\",\"length\":2}\n{}\n");
  }

  /** Sentry answers 400 to an envelope whose framing is broken; so does the edge, before anything is stored. */
  @Test
  void brokenEnvelopeFramingIs400NamingTheItem() {
    String h = "{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n";
    Map<String, String> cases = Map.of(
        h + "{\"type\":\"event\",\"length\":500}\n{\"message\":\"short\"}\n", "item 1 (event): length 500 runs past the end",
        h + "{\"type\":\"event\",\"length\":2}\n{}\n{\"type\":\"attachment\",\"length\":3}\nabcd", "item 2 (attachment): no newline after its 3-byte payload",
        h + "{\"length\":2}\n{}", "item 1: invalid item header (no type)",
        h + "{\"type\":\"event\"\n{}", "item 1: invalid item header",
        "{\"event_id\":42}\n", "invalid event id");
    cases.forEach((body, detail) -> {
      for (boolean gz : new boolean[] {false, true}) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        var req = post("/api/20/envelope/", gz ? EdgeFixture.gzip(b) : b).header("X-Sentry-Auth", XSA);
        if (gz) req.header("Content-Encoding", "gzip");
        HttpResponse<String> r = f.send(req.build());
        assertThat(r.statusCode()).as(detail).isEqualTo(400);
        assertThat(r.body()).as(detail).contains(detail);
      }
    });
    assertThat(f.count()).isZero();
  }

  @Test
  void envelopeWithoutEventIdAnswersWithoutId() {
    HttpResponse<String> r = f.send(post("/api/20/envelope/", "{}\n{\"type\":\"client_report\"}\n{}\n".getBytes(StandardCharsets.UTF_8))
        .header("X-Sentry-Auth", XSA).build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{}");
  }

  /** raven-js 1.x image beacon. */
  @Test
  void storeGetAnswersAGif() {
    String data = URLEncoder.encode("{\"message\":\"beacon\"}", StandardCharsets.UTF_8);
    HttpResponse<byte[]> r = f.sendBytes(HttpRequest.newBuilder(
        f.uri("/api/20/store/?sentry_version=7&sentry_key=vodbe&sentry_data=" + data)).GET().build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("image/gif");
    assertThat(new String(r.body(), 0, 6, StandardCharsets.US_ASCII)).isEqualTo("GIF89a");
    BufferedEvent e = only();
    assertThat(e.method()).isEqualTo("GET");
    assertThat(e.query()).isEqualTo("sentry_version=7&sentry_data=" + data);
    assertThat(e.body()).isEmpty();
  }

  @Test
  void legacyStorePathWithoutProjectId() {
    HttpResponse<String> r = f.send(post("/api/store/", ("{\"event_id\":\"" + hex32(8) + "\"}").getBytes(StandardCharsets.UTF_8))
        .header("X-Sentry-Auth", XSA).build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(only().path()).isEqualTo("/api/store/");
  }

  @Test
  void minidumpAnswersHyphenatedUuid() {
    byte[] dump = "MDMP\u0093\u00a7fake minidump".getBytes(StandardCharsets.ISO_8859_1);
    HttpResponse<String> r = f.send(post("/api/20/minidump/?sentry_key=vodbe", dump).header("Content-Type", "application/octet-stream").build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    BufferedEvent e = only();
    assertThat(e.kind()).isEqualTo(EndpointKind.MINIDUMP);
    assertThat(e.query()).isNull();
    assertThat(e.body()).isEqualTo(dump);
    // multipart form (the usual crashpad/breakpad upload), without trailing slash
    HttpResponse<String> m = f.send(post("/api/20/minidump?sentry_key=vodbe", "--x\r\nContent-Disposition: form-data; name=\"upload_file_minidump\"\r\n\r\nMDMP\r\n--x--\r\n".getBytes(StandardCharsets.UTF_8))
        .header("Content-Type", "multipart/form-data; boundary=x").build());
    assertThat(m.statusCode()).isEqualTo(200);
  }

  @Test
  void unrealKeyInPathIsRemovedFromTheRecord() {
    HttpResponse<String> r = f.send(post("/api/20/unreal/vodbe/?UserID=abc", "UE4 crash".getBytes(StandardCharsets.UTF_8)).build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    BufferedEvent e = only();
    assertThat(e.kind()).isEqualTo(EndpointKind.UNREAL);
    assertThat(e.path()).isEqualTo("/api/20/unreal/");
    assertThat(e.query()).isEqualTo("UserID=abc");
    assertThat(e.route()).isEqualTo(VOD_BE);
  }

  @Test
  void securityAndCspReports() {
    byte[] csp = "{\"csp-report\":{\"document-uri\":\"https://example.com\"}}".getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> s = f.send(post("/api/20/security/?sentry_key=vodbe&sentry_release=1.0", csp).header("Content-Type", "application/csp-report").build());
    HttpResponse<String> c = f.send(post("/api/20/csp-report/?sentry_key=vodbe", csp).header("Content-Type", "application/csp-report").build());
    assertThat(s.statusCode()).isEqualTo(200);
    assertThat(c.statusCode()).isEqualTo(200);
    List<BufferedEvent> events = f.events();
    assertThat(events).extracting(BufferedEvent::kind).containsExactly(EndpointKind.SECURITY, EndpointKind.CSP_REPORT);
    assertThat(events.get(0).query()).isEqualTo("sentry_release=1.0");
  }

  @Test
  void nelNeedsAJsonContentType() {
    byte[] nel = "[{\"type\":\"network-error\"}]".getBytes(StandardCharsets.UTF_8);
    assertThat(f.send(post("/api/20/nel/?sentry_key=vodbe", nel).header("Content-Type", "application/reports+json").build()).statusCode()).isEqualTo(200);
    HttpResponse<String> bad = f.send(post("/api/20/nel/?sentry_key=vodbe", nel).header("Content-Type", "text/plain").build());
    assertThat(bad.statusCode()).isEqualTo(415);
    assertThat(bad.body()).startsWith("{\"detail\":");
    assertThat(only().kind()).isEqualTo(EndpointKind.NEL);
  }

  @Test
  void attachmentsAnswer201() {
    String id = hex32(9);
    HttpResponse<String> r = f.send(post("/api/20/events/" + id + "/attachments/", "--b\r\n\r\nhi\r\n--b--\r\n".getBytes(StandardCharsets.UTF_8))
        .header("X-Sentry-Auth", XSA).header("Content-Type", "multipart/form-data; boundary=b").build());
    assertThat(r.statusCode()).isEqualTo(201);
    BufferedEvent e = only();
    assertThat(e.kind()).isEqualTo(EndpointKind.ATTACHMENTS);
    assertThat(e.eventId()).isEqualTo(id);
  }

  @Test
  void cronCheckInsAnswer202() {
    HttpResponse<String> get = f.send(HttpRequest.newBuilder(f.uri("/api/20/cron/nightly-job/vodbe/?status=ok")).GET().build());
    assertThat(get.statusCode()).isEqualTo(202);
    HttpResponse<String> post = f.send(post("/api/20/cron/nightly-job/", "{\"status\":\"in_progress\"}".getBytes(StandardCharsets.UTF_8))
        .header("X-Sentry-Auth", XSA).header("Content-Type", "application/json").build());
    assertThat(post.statusCode()).isEqualTo(202);
    List<BufferedEvent> events = f.events();
    assertThat(events).extracting(BufferedEvent::path).containsExactly("/api/20/cron/nightly-job/", "/api/20/cron/nightly-job/");
    assertThat(events).extracting(BufferedEvent::method).containsExactly("GET", "POST");
    assertThat(events.get(0).query()).isEqualTo("status=ok");
  }

  @Test
  void corsPreflightAndHeaders() {
    HttpResponse<String> pre = f.send(HttpRequest.newBuilder(f.uri("/api/20/envelope/"))
        .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
        .header("Origin", "https://app.example.com").header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type").build());
    assertThat(pre.statusCode()).isEqualTo(200);
    assertThat(pre.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
    assertThat(pre.headers().firstValue("Access-Control-Allow-Methods")).hasValue("POST");
    assertThat(pre.headers().firstValue("Access-Control-Allow-Headers").orElse("")).contains("x-sentry-auth", "content-type", "content-encoding");
    assertThat(pre.headers().firstValue("Access-Control-Max-Age")).hasValue("3600");
    assertThat(f.count()).isZero();
    HttpResponse<String> r = f.send(post("/api/20/envelope/?sentry_key=vodbe", envelope(hex32(10), "x").getBytes(StandardCharsets.UTF_8))
        .header("Origin", "https://app.example.com").build());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
    assertThat(r.headers().firstValue("Access-Control-Expose-Headers").orElse("")).contains("retry-after", "x-sentry-rate-limits");
  }

  @Test
  void quotaAnswers429WithRateLimitHeadersButNeverForCron() {
    int ok = 0, limited = 0;
    HttpResponse<String> last429 = null;
    for (int i = 0; i < 10; i++) {
      HttpResponse<String> r = f.send(post("/api/21/envelope/?sentry_key=limited", envelope(hex32(200 + i), "q").getBytes(StandardCharsets.UTF_8)).build());
      if (r.statusCode() == 200) ok++;
      if (r.statusCode() == 429) {
        limited++;
        last429 = r;
      }
    }
    assertThat(ok + limited).isEqualTo(10);
    assertThat(limited).isGreaterThan(0);
    assertThat(last429.headers().firstValue("Retry-After").orElse("")).matches("[1-9][0-9]*");
    assertThat(last429.headers().firstValue("X-Sentry-Rate-Limits").orElse("")).matches("[1-9][0-9]*::key.*");
    assertThat(last429.body()).startsWith("{\"detail\":");
    for (int i = 0; i < 5; i++) {
      assertThat(f.send(HttpRequest.newBuilder(f.uri("/api/21/cron/job/limited/?status=ok")).GET().build()).statusCode()).isEqualTo(202);
    }
    assertThat(f.count()).isEqualTo(ok + 5);
    assertThat(f.metric(EDGE_REJECTED, "reason=\"rate_limited\"", "route=\"wow/limited\"")).isEqualTo(limited);
  }

  @Test
  void unknownKeyAndBadProjectId() {
    HttpResponse<String> unknown = f.send(post("/api/20/envelope/?sentry_key=nobody", envelope(hex32(11), "u").getBytes(StandardCharsets.UTF_8)).build());
    assertThat(unknown.statusCode()).isEqualTo(401);
    assertThat(unknown.body()).doesNotContain("nobody");
    HttpResponse<String> pid = f.send(post("/api/abc/envelope/?sentry_key=vodbe", envelope(hex32(12), "p").getBytes(StandardCharsets.UTF_8)).build());
    assertThat(pid.statusCode()).isEqualTo(400);
    assertThat(pid.body()).isEqualTo("{\"detail\":\"bad project path parameter\"}");
    // the path's project id is not trusted: any numeric id reaches the key's route
    assertThat(f.send(post("/api/999/envelope/?sentry_key=vodbe", envelope(hex32(13), "p").getBytes(StandardCharsets.UTF_8)).build()).statusCode()).isEqualTo(200);
    assertThat(only().route()).isEqualTo(VOD_BE);
  }

  @Test
  void metricsAndReadiness() {
    f.send(post("/api/20/envelope/", envelope(hex32(14), "m").getBytes(StandardCharsets.UTF_8)).header("X-Sentry-Auth", XSA).build());
    String m = f.metrics();
    assertThat(m).contains(EDGE_REQUESTS.exportedName() + "{", EDGE_ACCEPTED.exportedName() + "{", EDGE_REQUEST.exportedName() + "_bucket",
        EDGE_REDIS_WRITE.exportedName() + "_bucket", EDGE_REDIS_BUFFER.exportedName(), EDGE_IN_FLIGHT.exportedName());
    assertThat(m).doesNotContain(VOD_BE_KEY);
    HttpResponse<String> ready = f.send(HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + f.edge.adminPort() + "/readyz")).build());
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).contains("\"redis\":{\"ok\":true");
  }

  /** The writer puts exactly the golden vectors' Redis fields into the stream. */
  @Test
  void writerMatchesGoldenVectors() throws Exception {
    SpillwayConfig config = SpillwayConfig.parse(EdgeFixture.yaml(f.redis.uri(), "", ""), Map.of(), "test");
    try (RedisBuffer buffer = new RedisBuffer(config.redis());
         RedisClient client = RedisClient.create(f.redis.uri())) {
      StatefulRedisConnection<String, byte[]> c = client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
      for (GoldenVectors.Valid v : GoldenVectors.valid()) {
        f.clear();
        buffer.append(List.of(v.event())).toCompletableFuture().get(5, TimeUnit.SECONDS);
        List<StreamMessage<String, byte[]>> entries = c.sync().xrange(EdgeFixture.STREAM, Range.create("-", "+"));
        assertThat(entries).hasSize(1);
        Map<String, byte[]> got = entries.get(0).getBody();
        assertThat(got.keySet()).as(v.name()).containsExactlyElementsOf(v.redisFields().keySet());
        v.redisFields().forEach((k, val) -> assertThat(got.get(k)).as(v.name() + " " + k).isEqualTo(val));
      }
    }
  }
}
