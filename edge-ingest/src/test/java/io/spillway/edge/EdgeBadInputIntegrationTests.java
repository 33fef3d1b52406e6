package io.spillway.edge;

import static io.spillway.edge.EdgeFixture.envelope;
import static io.spillway.edge.EdgeFixture.gzip;
import static io.spillway.edge.EdgeFixture.hex32;
import static io.spillway.runtime.SpillwayMetric.EDGE_REJECTED;
import static org.assertj.core.api.Assertions.assertThat;

import io.spillway.schemas.BufferedEvent;
import io.spillway.testkit.RedisServer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bad input gets the documented status with a JSON {@code detail}, is counted by reason, and does
 * not disturb anyone else: a stream of good requests runs on other connections the whole time and
 * every one of them must be answered 200 and be in Redis.
 */
class EdgeBadInputIntegrationTests {
  static final String XSA = "Sentry sentry_version=7,sentry_client=sentry.java/8.63.0,sentry_key=vodbe";

  record Case(String name, int status, String detail, String reason, Supplier<HttpRequest> request) {}

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void badInputIsRefusedWhileGoodTrafficFlows() throws Exception {
    try (EdgeFixture f = EdgeFixture.start(RedisServer.Fsync.NONE)) {
      HttpClient goodClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      AtomicBoolean stop = new AtomicBoolean();
      Map<String, Integer> goodStatus = new ConcurrentHashMap<>();
      List<Throwable> goodErrors = new CopyOnWriteArrayList<>();
      Thread[] good = new Thread[2];
      for (int t = 0; t < good.length; t++) {
        int thread = t;
        good[t] = new Thread(() -> {
          int i = 0;
          while (!stop.get()) {
            String id = hex32(thread * 1_000_000 + i++);
            try {
              HttpResponse<String> r = goodClient.send(HttpRequest.newBuilder(f.uri("/api/20/envelope/"))
                  .timeout(Duration.ofSeconds(10)).header("X-Sentry-Auth", XSA).header("Content-Encoding", "gzip")
                  .POST(HttpRequest.BodyPublishers.ofByteArray(gzip(envelope(id, "good").getBytes(StandardCharsets.UTF_8)))).build(),
                  HttpResponse.BodyHandlers.ofString());
              goodStatus.put(id, r.statusCode());
            } catch (Exception e) {
              goodErrors.add(e);
              return;
            }
          }
        }, "good-traffic-" + t);
        good[t].start();
      }

      byte[] env = envelope(hex32(1), "bad").getBytes(StandardCharsets.UTF_8);
      List<Case> cases = List.of(
          new Case("non-numeric project id", 400, "bad project path parameter", "bad_request",
              () -> post("/api/abc/envelope/", env, f).header("X-Sentry-Auth", XSA).build()),
          new Case("no auth", 401, "missing authorization information", "unauthorized",
              () -> post("/api/20/envelope/", env, f).build()),
          new Case("unknown key", 401, "unknown sentry key", "unauthorized",
              () -> post("/api/20/envelope/?sentry_key=stranger", env, f).build()),
          new Case("auth without key", 401, "missing public key in auth header", "unauthorized",
              () -> post("/api/20/envelope/", env, f).header("X-Sentry-Auth", "Sentry sentry_version=7").build()),
          new Case("protocol version 8", 400, "unsupported protocol version", "bad_request",
              () -> post("/api/20/envelope/", env, f).header("X-Sentry-Auth", "Sentry sentry_version=8,sentry_key=vodbe").build()),
          new Case("two auth forms", 401, "multiple authorization payloads detected", "unauthorized",
              () -> post("/api/20/envelope/?sentry_key=vodbe", env, f).header("X-Sentry-Auth", XSA).build()),
          new Case("envelope header not JSON", 400, "invalid envelope header", "bad_request",
              () -> post("/api/20/envelope/", "not json\n{}\n".getBytes(StandardCharsets.UTF_8), f).header("X-Sentry-Auth", XSA).build()),
          new Case("envelope event id not a uuid", 400, "invalid event id", "bad_request",
              () -> post("/api/20/envelope/", "{\"event_id\":\"123\"}\n".getBytes(StandardCharsets.UTF_8), f).header("X-Sentry-Auth", XSA).build()),
          new Case("empty envelope", 400, "empty envelope", "bad_request",
              () -> post("/api/20/envelope/", new byte[0], f).header("X-Sentry-Auth", XSA).build()),
          new Case("bad dsn in envelope header", 401, "bad dsn in envelope header", "unauthorized",
              () -> post("/api/20/envelope/", "{\"dsn\":\"not a dsn\"}\n".getBytes(StandardCharsets.UTF_8), f).build()),
          new Case("gzip header, garbage body", 400, "invalid body encoding", "bad_request",
              () -> post("/api/20/envelope/", "garbage".getBytes(StandardCharsets.UTF_8), f).header("X-Sentry-Auth", XSA)
                  .header("Content-Encoding", "gzip").build()),
          new Case("unknown content encoding", 415, "unsupported content encoding", "unsupported_media_type",
              () -> post("/api/20/envelope/", env, f).header("X-Sentry-Auth", XSA).header("Content-Encoding", "compress").build()),
          new Case("nel with text/plain", 415, "unsupported media type: expected application/json or application/reports+json",
              "unsupported_media_type",
              () -> post("/api/20/nel/?sentry_key=vodbe", "[]".getBytes(StandardCharsets.UTF_8), f).header("Content-Type", "text/plain").build()),
          new Case("store, invalid JSON", 400, "invalid JSON data", "bad_request",
              () -> post("/api/20/store/", "{\"event_id\": ".getBytes(StandardCharsets.UTF_8), f).header("X-Sentry-Auth", XSA).build()),
          new Case("store, empty body", 400, "empty request body", "bad_request",
              () -> post("/api/20/store/", new byte[0], f).header("X-Sentry-Auth", XSA).build()),
          new Case("store, not base64 either", 400, "invalid request body", "bad_request",
              () -> post("/api/20/store/", "%%%".getBytes(StandardCharsets.UTF_8), f).header("X-Sentry-Auth", XSA).build()),
          new Case("store, decompresses past max_event_bytes", 413, "event exceeds the size limit", "too_large",
              () -> post("/api/20/store/", gzip(new byte[1 << 20]), f).header("X-Sentry-Auth", XSA).header("Content-Encoding", "gzip").build()),
          new Case("store GET without sentry_data", 400, "missing sentry_data", "bad_request",
              () -> HttpRequest.newBuilder(f.uri("/api/20/store/?sentry_key=vodbe")).GET().build()),
          new Case("GET on envelope", 405, "method not allowed", "method_not_allowed",
              () -> HttpRequest.newBuilder(f.uri("/api/20/envelope/?sentry_key=vodbe")).GET().build()),
          new Case("unknown endpoint", 404, "not found", "not_found",
              () -> post("/api/20/otlp/v1/traces/", env, f).header("X-Sentry-Auth", XSA).build()),
          new Case("minidump without magic", 400, "invalid minidump", "bad_request",
              () -> post("/api/20/minidump/?sentry_key=vodbe", "not a dump".getBytes(StandardCharsets.UTF_8), f)
                  .header("Content-Type", "application/octet-stream").build()));

      for (Case c : cases) {
        double before = f.metric(EDGE_REJECTED, "reason=\"" + c.reason + "\"");
        HttpResponse<String> r = f.send(c.request.get());
        assertThat(r.statusCode()).as(c.name).isEqualTo(c.status);
        assertThat(r.body()).as(c.name).isEqualTo("{\"detail\":\"" + c.detail + "\"}");
        assertThat(r.headers().firstValue("Content-Type")).as(c.name).hasValue("application/json");
        assertThat(f.metric(EDGE_REJECTED, "reason=\"" + c.reason + "\"")).as(c.name).isEqualTo(before + 1);
      }

      // Content-Length over max_envelope_bytes: 413 before a byte of the body is read.
      double tooLarge = f.metric(EDGE_REJECTED, "reason=\"too_large\"");
      try (RawHttp raw = new RawHttp(f.edge.port(), 10_000)) {
        raw.write("POST /api/20/envelope/ HTTP/1.1\r\nHost: x\r\nX-Sentry-Auth: " + XSA + "\r\nContent-Length: 300000000\r\n\r\n");
        RawHttp.Response r = raw.read();
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.body()).startsWith("{\"detail\":\"request body exceeds the size limit");
      }
      // Chunked store body that grows past max_event_bytes (64 KiB): refused while streaming.
      try (RawHttp raw = new RawHttp(f.edge.port(), 10_000)) {
        raw.write("POST /api/20/store/ HTTP/1.1\r\nHost: x\r\nX-Sentry-Auth: " + XSA + "\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int i = 0; i < 12; i++) raw.chunk(8192);
        RawHttp.Response r = raw.read();
        assertThat(r.status()).isEqualTo(413);
        assertThat(r.body()).startsWith("{\"detail\":");
      }
      assertThat(f.metric(EDGE_REJECTED, "reason=\"too_large\"")).isEqualTo(tooLarge + 2);

      // Oversized header block: refused by Undertow's header limit, connection not left hanging.
      try (RawHttp raw = new RawHttp(f.edge.port(), 10_000)) {
        raw.write("POST /api/20/envelope/ HTTP/1.1\r\nHost: x\r\nX-Junk: " + "a".repeat(100_000) + "\r\n\r\n");
        RawHttp.Response r = raw.read();
        assertThat(r == null || r.status() >= 400).isTrue();
      }

      // Slow client: headers and a bit of the body, then silence. Dropped after read_timeout (2 s), counted as slow.
      double readFailed = f.metric(EDGE_REJECTED, "reason=\"slow_client\"");
      try (RawHttp raw = new RawHttp(f.edge.port(), 20_000)) {
        raw.write("POST /api/20/envelope/ HTTP/1.1\r\nHost: x\r\nX-Sentry-Auth: " + XSA + "\r\nContent-Length: 1000\r\n\r\n{\"event_id\":");
        assertThat(raw.closedByServer()).as("slow client disconnected").isTrue();
      }
      // The timeout closes the socket before the receiver's error callback counts it: poll briefly.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (f.metric(EDGE_REJECTED, "reason=\"slow_client\"") < readFailed + 1 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(f.metric(EDGE_REJECTED, "reason=\"slow_client\"")).isEqualTo(readFailed + 1);
      // Slow headers (never finished) are dropped too.
      try (RawHttp raw = new RawHttp(f.edge.port(), 20_000)) {
        raw.write("POST /api/20/envelope/ HTTP/1.1\r\nHost: x\r\n");
        assertThat(raw.closedByServer()).as("slow headers disconnected").isTrue();
      }

      stop.set(true);
      for (Thread t : good) t.join(30_000);
      assertThat(goodErrors).isEmpty();
      assertThat(goodStatus).isNotEmpty();
      assertThat(goodStatus.values()).allMatch(s -> s == 200);
      Set<String> stored = f.events().stream().map(BufferedEvent::eventId).collect(Collectors.toSet());
      assertThat(stored).containsAll(goodStatus.keySet());
      assertThat(stored).hasSize(goodStatus.size()); // and nothing from the bad requests
    }
  }

  private static HttpRequest.Builder post(String path, byte[] body, EdgeFixture f) {
    return HttpRequest.newBuilder(f.uri(path)).timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
  }
}
