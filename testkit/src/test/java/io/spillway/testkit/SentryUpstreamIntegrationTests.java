package io.spillway.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class SentryUpstreamIntegrationTests {
  static final String ENVELOPE = "{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\",\"sent_at\":\"2026-01-01T00:00:00.000Z\"}\n"
      + "{\"type\":\"event\",\"length\":41}\n{\"message\":\"hello world\",\"level\":\"error\"}\n";
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  SentryUpstream upstream;

  @BeforeEach
  void start() {
    upstream = SentryUpstream.start().project(20, "realkey", null).project(21, "otherkey", "othersecret");
  }

  @AfterEach
  void stop() {
    upstream.close();
  }

  HttpResponse<String> post(String pathAndQuery, String auth, String encoding, byte[] body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(upstream.url() + pathAndQuery))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (auth != null) b.header("X-Sentry-Auth", auth);
    if (encoding != null) b.header("Content-Encoding", encoding);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void acceptsAGzipEnvelopeAndRecordsIt() throws Exception {
    HttpResponse<String> r = post("/api/20/envelope/", "Sentry sentry_version=7, sentry_key=realkey", "gzip",
        gzip(ENVELOPE.getBytes(StandardCharsets.UTF_8)));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}");
    SentryUpstream.Received got = upstream.requests().get(0);
    assertThat(got.eventId()).isEqualTo("9ec79c33ec9942ab8353589fcb2e04dc");
    assertThat(got.sentAt()).isEqualTo("2026-01-01T00:00:00.000Z");
    assertThat(got.itemTypes()).containsExactly("event");
    assertThat(got.decodedText()).isEqualTo(ENVELOPE);
    assertThat(upstream.acceptedEventIds()).containsExactly("9ec79c33ec9942ab8353589fcb2e04dc");
  }

  @Test
  void decodesLegacyStoreBodies() throws Exception {
    String json = "{\"event_id\":\"5f0b2c8e9a4d4e6f8a1b3c5d7e9f0a12\",\"message\":\"x\"}";
    byte[] b64zlib = Base64.getEncoder().encode(deflate(json.getBytes(StandardCharsets.UTF_8)));
    assertThat(post("/api/21/store/", "Sentry sentry_version=6,sentry_key=otherkey,sentry_secret=othersecret", null, b64zlib)
        .statusCode()).isEqualTo(200);
    assertThat(post("/api/21/store/", "Sentry sentry_version=6,sentry_key=otherkey,sentry_secret=othersecret", "deflate",
        deflate(json.getBytes(StandardCharsets.UTF_8))).statusCode()).isEqualTo(200);
    assertThat(upstream.requests()).allSatisfy(r -> assertThat(r.decodedText()).isEqualTo(json));
    assertThat(upstream.acceptedEventIds()).containsExactly("5f0b2c8e9a4d4e6f8a1b3c5d7e9f0a12", "5f0b2c8e9a4d4e6f8a1b3c5d7e9f0a12");
  }

  @Test
  void checksKeySecretProjectAndSingleAuth() throws Exception {
    byte[] body = ENVELOPE.getBytes(StandardCharsets.UTF_8);
    assertThat(post("/api/20/envelope/", "Sentry sentry_key=wrong", null, body).statusCode()).isEqualTo(401);
    assertThat(post("/api/20/envelope/", null, null, body).statusCode()).isEqualTo(401);
    assertThat(post("/api/99/envelope/", "Sentry sentry_key=realkey", null, body).statusCode()).isEqualTo(403);
    assertThat(post("/api/21/store/", "Sentry sentry_key=otherkey,sentry_secret=nope", null, body).statusCode()).isEqualTo(401);
    HttpResponse<String> twice = post("/api/20/envelope/?sentry_key=realkey", "Sentry sentry_key=realkey", null, body);
    assertThat(twice.statusCode()).isEqualTo(401);
    assertThat(twice.headers().firstValue("X-Sentry-Error")).contains("multiple authorization payloads detected");
    assertThat(post("/api/20/envelope/?sentry_key=realkey&sentry_version=7", null, null, body).statusCode()).isEqualTo(200);
    assertThat(upstream.statusCounts()).containsEntry(401, 4).containsEntry(403, 1).containsEntry(200, 1);
  }

  @Test
  void rateLimitsFailsAndComesBack() throws Exception {
    byte[] body = ENVELOPE.getBytes(StandardCharsets.UTF_8);
    String auth = "Sentry sentry_key=realkey";
    upstream.rateLimit(Duration.ofSeconds(30), "10", "10::organization");
    HttpResponse<String> limited = post("/api/20/envelope/", auth, null, body);
    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(limited.headers().firstValue("Retry-After")).contains("10");
    assertThat(limited.headers().firstValue("X-Sentry-Rate-Limits")).contains("10::organization");
    upstream.reset().failWhen(r -> r.itemTypes().contains("event"), 413, "too large");
    assertThat(post("/api/20/envelope/", auth, null, body).statusCode()).isEqualTo(413);
    upstream.reset().fail(503, "down", Duration.ofSeconds(30));
    assertThat(post("/api/20/envelope/", auth, null, body).statusCode()).isEqualTo(503);
    upstream.reset().dropConnections(Duration.ofSeconds(30));
    assertThatThrownBy(() -> post("/api/20/envelope/", auth, null, body)).isInstanceOf(IOException.class);
    upstream.reset();
    upstream.down();
    assertThatThrownBy(() -> post("/api/20/envelope/", auth, null, body)).isInstanceOf(java.net.ConnectException.class);
    upstream.up();
    upstream.delay(Duration.ofMillis(200));
    assertThat(post("/api/20/envelope/", auth, null, body).statusCode()).isEqualTo(200);
    assertThat(upstream.acceptedCount()).isEqualTo(1);
  }

  static byte[] gzip(byte[] b) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(out)) {
      g.write(b);
    }
    return out.toByteArray();
  }

  static byte[] deflate(byte[] b) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DeflaterOutputStream d = new DeflaterOutputStream(out)) {
      d.write(b);
    }
    return out.toByteArray();
  }
}
