package io.spillway.edge;

import static io.spillway.runtime.SpillwayMetric.EDGE_REJECTED;
import static org.assertj.core.api.Assertions.assertThat;

import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.Chunks;
import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.Route;
import io.spillway.testkit.RedisServer;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Large bodies, slow clients and the browser tunnel, against a real Redis. */
class EdgePayloadIntegrationTests {
  static final String XSA = "Sentry sentry_version=7, sentry_client=test/1.0, sentry_key=vodbe";
  static EdgeFixture f;

  @BeforeAll
  static void start() {
    f = EdgeFixture.start(RedisServer.Fsync.NONE, """
        max_envelope_bytes: 41943040
        request_timeout: "3s"
        allowed_origins: ["https://app.example.com", "http://127.0.0.1:8080"]
        """, "");
  }

  @AfterAll
  static void stop() {
    if (f != null) f.close();
  }

  @BeforeEach
  void clear() {
    f.clear();
  }

  /** A 30 MiB attachment envelope is stored as chunks of 512 KiB that join back to exactly what was sent. */
  @Test
  void aLargeEnvelopeIsStoredAsChunksThatJoinToTheBytesSent() {
    String id = "0123456789abcdef0123456789abcdef";
    byte[] attachment = new byte[30 * 1024 * 1024];
    new Random(1).nextBytes(attachment);
    byte[] body = envelopeWithAttachment(id, attachment);
    for (boolean gzip : new boolean[] {false, true}) {
      f.clear();
      byte[] sent = gzip ? EdgeFixture.gzip(body) : body;
      HttpRequest.Builder r = HttpRequest.newBuilder(f.uri("/api/20/envelope/")).timeout(Duration.ofSeconds(60))
          .header("X-Sentry-Auth", XSA).POST(HttpRequest.BodyPublishers.ofByteArray(sent));
      if (gzip) r.header("Content-Encoding", "gzip");
      HttpResponse<String> resp = f.send(r.build());
      assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
      assertThat(resp.body()).isEqualTo("{\"id\":\"" + id + "\"}");
      List<BufferedEvent> entries = f.events();
      assertThat(entries).hasSize((sent.length + Chunks.CHUNK_BYTES - 1) / Chunks.CHUNK_BYTES)
          .allSatisfy(e -> assertThat(e.isChunk()).isTrue());
      BufferedEvent whole = Chunks.join(entries);
      assertThat(whole.body()).as("gzip=" + gzip).isEqualTo(sent);
      assertThat(whole.eventId()).isEqualTo(id);
      assertThat(whole.kind()).isEqualTo(EndpointKind.ENVELOPE);
    }
  }

  /** A multipart minidump upload: stored byte for byte; the id the form names is the one answered. */
  @Test
  void aLargeMinidumpUploadIsStoredByteForByteAndAnswersItsEventId() {
    byte[] dump = new byte[3 * 1024 * 1024];
    new Random(2).nextBytes(dump);
    System.arraycopy("MDMP".getBytes(StandardCharsets.US_ASCII), 0, dump, 0, 4);
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(("--XyZ\r\nContent-Disposition: form-data; name=\"sentry[event_id]\"\r\n\r\n"
        + "9ec79c33ec9942ab8353589fcb2e04dc\r\n--XyZ\r\nContent-Disposition: form-data; name=\"upload_file_minidump\"; "
        + "filename=\"crash.dmp\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    b.writeBytes(dump);
    b.writeBytes("\r\n--XyZ--\r\n".getBytes(StandardCharsets.US_ASCII));
    byte[] sent = b.toByteArray();
    HttpResponse<String> resp = f.send(HttpRequest.newBuilder(f.uri("/api/20/minidump/?sentry_key=vodbe"))
        .timeout(Duration.ofSeconds(60)).header("Content-Type", "multipart/form-data; boundary=XyZ")
        .POST(HttpRequest.BodyPublishers.ofByteArray(sent)).build());
    assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
    assertThat(resp.body()).isEqualTo("9ec79c33-ec99-42ab-8353-589fcb2e04dc");
    BufferedEvent whole = Chunks.join(f.events());
    assertThat(whole.body()).isEqualTo(sent);
    assertThat(whole.contentType()).isEqualTo("multipart/form-data; boundary=XyZ");
  }

  /**
   * Clients that trickle headers or a body are cut (headers within read_timeout, 2 s here; bodies
   * within request_timeout, 3 s here, though each sends a byte a second) and counted, while good
   * requests go on being answered.
   */
  @Test
  void slowClientsAreCutWhileGoodRequestsFlow() throws Exception {
    double slowBefore = f.metric(EDGE_REJECTED, "reason=\"slow_client\"");
    ExecutorService pool = Executors.newFixedThreadPool(130);
    AtomicBoolean stop = new AtomicBoolean();
    List<Long> goodMillis = new CopyOnWriteArrayList<>();
    Map<Integer, Integer> goodStatus = new ConcurrentHashMap<>();
    try {
      List<Future<Boolean>> slow = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        slow.add(pool.submit(() -> trickle("POST /api/20/envelope/ HTTP/1.1\r\nHost: x\r\nX-Sentry-Auth: " + XSA + "\r\n"
            + "Content-Length: 1000\r\nX-Pad: " + "a".repeat(200) + "\r\n\r\n", 0)));
      }
      for (int i = 0; i < 20; i++) {
        slow.add(pool.submit(() -> trickle("POST /api/20/envelope/ HTTP/1.1\r\nHost: x\r\nX-Sentry-Auth: " + XSA + "\r\n"
            + "Content-Length: 100000\r\n\r\n", 100_000)));
      }
      Future<?> good = pool.submit(() -> {
        while (!stop.get()) {
          long t0 = System.nanoTime();
          HttpResponse<String> r = f.send(HttpRequest.newBuilder(f.uri("/api/20/envelope/")).timeout(Duration.ofSeconds(10))
              .header("X-Sentry-Auth", XSA).POST(HttpRequest.BodyPublishers.ofString(
                  EdgeFixture.envelope(EdgeFixture.hex32(goodMillis.size()), "good"))).build());
          goodMillis.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
          goodStatus.merge(r.statusCode(), 1, Integer::sum);
        }
        return null;
      });
      for (Future<Boolean> s : slow) assertThat(s.get(60, TimeUnit.SECONDS)).as("cut by the server").isTrue();
      stop.set(true);
      good.get(30, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
    assertThat(goodStatus).containsOnlyKeys(200);
    long max = goodMillis.stream().mapToLong(Long::longValue).max().orElseThrow();
    System.out.printf("good requests while 120 slow clients were held: %d, slowest %d ms%n", goodMillis.size(), max);
    // the 20 slow bodies reached the handler: answered 408 and counted
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (f.metric(EDGE_REJECTED, "reason=\"slow_client\"") < slowBefore + 20 && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(f.metric(EDGE_REJECTED, "reason=\"slow_client\"")).isGreaterThanOrEqualTo(slowBefore + 20);
  }

  /** Writes {@code head} a byte a second, then {@code bodyBytes} a byte a second; true once the server closed the connection. */
  private static boolean trickle(String head, int bodyBytes) throws Exception {
    try (RawHttp raw = new RawHttp(f.edge.port(), 1000)) {
      byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
      int headAtOnce = bodyBytes > 0 ? h.length : 20; // slow headers: trickled from the start
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
      try {
        raw.write(java.util.Arrays.copyOf(h, Math.min(headAtOnce, h.length)));
        for (int i = headAtOnce; i < h.length + bodyBytes && System.nanoTime() < end; i++) {
          if (raw.socket.getInputStream().available() > 0) return raw.closedByServer() || true;
          raw.write(new byte[] {i < h.length ? h[i] : (byte) 'x'});
          Thread.sleep(1000);
        }
      } catch (java.io.IOException e) {
        return true; // the server closed it while we were writing
      }
      return raw.closedByServer();
    }
  }

  @Test
  void theTunnelRoutesByTheEnvelopesDsnAndKeepsBinaryItemsIntact() {
    byte[] binary = new byte[256];
    for (int i = 0; i < binary.length; i++) binary[i] = (byte) i;
    String id = "00112233445566778899aabbccddeeff";
    byte[] body = envelopeWithAttachment(id, binary, "\"dsn\":\"https://vodbe@o1.ingest.sentry.io/4501\",");
    HttpResponse<String> r = f.send(HttpRequest.newBuilder(f.uri("/tunnel")).header("Content-Type", "text/plain;charset=UTF-8")
        .header("Origin", "https://app.example.com").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"id\":\"" + id + "\"}");
    assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://app.example.com");
    BufferedEvent e = f.events().get(0);
    assertThat(e.route()).isEqualTo(Route.parse("wow/vod_be"));
    assertThat(e.kind()).isEqualTo(EndpointKind.ENVELOPE);
    assertThat(e.path()).isEqualTo("/api/4501/envelope/");
    assertThat(e.body()).isEqualTo(body);
  }

  @Test
  void theTunnelIsNoOpenProxy() {
    String[] cases = {
        "{\"event_id\":\"00112233445566778899aabbccddeeff\",\"dsn\":\"https://nobody@evil.example/1\"}\n{\"type\":\"event\"}\n{}",
        "{\"event_id\":\"00112233445566778899aabbccddeeff\"}\n{\"type\":\"event\"}\n{}",
    };
    for (String c : cases) {
      HttpResponse<String> r = f.send(HttpRequest.newBuilder(f.uri("/tunnel"))
          .POST(HttpRequest.BodyPublishers.ofString(c)).build());
      assertThat(r.statusCode()).as(c).isEqualTo(401);
      assertThat(r.body()).startsWith("{\"detail\":");
    }
    assertThat(f.count()).isZero();
  }

  @Test
  void browsersFromOtherOriginsAreRefusedAndPreflightsAnswered() {
    HttpResponse<String> pre = f.send(HttpRequest.newBuilder(f.uri("/tunnel")).header("Origin", "https://app.example.com")
        .header("Access-Control-Request-Method", "POST").method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build());
    assertThat(pre.statusCode()).isEqualTo(200);
    assertThat(pre.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://app.example.com");
    assertThat(pre.headers().firstValue("Access-Control-Allow-Methods")).hasValue("POST");
    HttpResponse<String> other = f.send(HttpRequest.newBuilder(f.uri("/tunnel")).header("Origin", "https://evil.example")
        .POST(HttpRequest.BodyPublishers.ofString("{\"dsn\":\"https://vodbe@x/1\"}\n")).build());
    assertThat(other.statusCode()).isEqualTo(403);
    assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    assertThat(f.count()).isZero();
  }

  static byte[] envelopeWithAttachment(String eventId, byte[] attachment) {
    return envelopeWithAttachment(eventId, attachment, "");
  }

  static byte[] envelopeWithAttachment(String eventId, byte[] attachment, String extraHeader) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(("{" + extraHeader + "\"event_id\":\"" + eventId + "\"}\n{\"type\":\"event\",\"length\":19}\n{\"message\":\"crash\"}\n"
        + "{\"type\":\"attachment\",\"length\":" + attachment.length + ",\"filename\":\"big.bin\"}\n").getBytes(StandardCharsets.UTF_8));
    b.writeBytes(attachment);
    b.write('\n');
    return b.toByteArray();
  }
}
