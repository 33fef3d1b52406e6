package io.spillway.delivery.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.GoldenVectors;
import io.spillway.schemas.KafkaForm;
import io.spillway.schemas.Route;
import io.spillway.schemas.config.ProjectConfig;
import io.spillway.schemas.config.SpillwayConfig;
import io.spillway.schemas.config.UpstreamConfig;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UpstreamRequestUnitTests {
  static final SpillwayConfig CONFIG = SpillwayConfig.parse("""
      upstreams:
        wow:
          url: "https://sentry.example.com/relay/"
          projects:
            vod_be: { id: 1020, key: 0123456789abcdef0123456789abcdef, secret: realsecret }
        other:
          url: "http://other.example:9000"
          projects:
            payments-api: { id: 3131, key: otherkey }
      """, Map.of(), "test");

  static BufferedEvent golden(String name) {
    GoldenVectors.Valid v = GoldenVectors.valid().stream().filter(g -> g.name().equals(name)).findFirst().orElseThrow();
    // Delivery reads the Kafka form: decode it, as the processor does.
    BufferedEvent e = KafkaForm.decode(v.kafka().key(), v.kafka().value(), v.kafka().headers());
    assertThat(e).isEqualTo(v.event());
    return e;
  }

  static UpstreamRequest build(BufferedEvent e, long now) {
    UpstreamConfig u = CONFIG.upstreams().get(e.route().upstream());
    ProjectConfig p = CONFIG.routes().project(e.route()).orElseThrow();
    return UpstreamRequest.build(e, u, p, now);
  }

  @Test
  void goldenEnvelope() throws IOException {
    BufferedEvent e = golden("envelope-gzip.json");
    UpstreamRequest r = build(e, e.receivedAt() + 60_000);
    assertThat(r.method()).isEqualTo("POST");
    assertThat(r.uri().toString()).isEqualTo("https://sentry.example.com/relay/api/1020/envelope/");
    assertThat(r.header("X-Sentry-Auth")).isEqualTo("Sentry sentry_version=7, sentry_client=sentry.java/8.63.0, "
        + "sentry_key=0123456789abcdef0123456789abcdef, sentry_secret=realsecret");
    assertThat(r.header("Content-Type")).isEqualTo("application/x-sentry-envelope");
    assertThat(r.header("Content-Encoding")).isEqualTo("gzip");
    assertThat(r.header("User-Agent")).isEqualTo("sentry.java/8.63.0");
    assertThat(r.header("X-Forwarded-For")).isEqualTo("203.0.113.7");
    assertThat(r.rewritten()).isTrue();
    byte[] sent = io.spillway.schemas.body.ContentEncoding.GZIP.decode(r.body(), 1 << 30);
    assertThat(EnvelopeBody.sentAt(sent)).isEqualTo("2026-11-27T03:49:13.772Z");
    byte[] original = io.spillway.schemas.body.ContentEncoding.GZIP.decode(e.body(), 1 << 30);
    assertThat(new String(sent, "UTF-8").replace("2026-11-27T03:49:13.772Z", "S"))
        .isEqualTo(new String(original, "UTF-8").replace("2026-11-27T03:48:13.772Z", "S"));
    assertThat(r.toString()).doesNotContain("0123456789abcdef0123456789abcdef");
  }

  @Test
  void goldenLegacyStoreWithoutProjectIdGetsTheRealOneAndAnUnchangedBody() {
    BufferedEvent e = golden("store-legacy-minimal.json");
    UpstreamRequest r = build(e, e.receivedAt() + 1000);
    assertThat(r.uri().toString()).isEqualTo("https://sentry.example.com/relay/api/1020/store/");
    assertThat(r.header("X-Sentry-Auth")).isEqualTo(
        "Sentry sentry_version=7, sentry_key=0123456789abcdef0123456789abcdef, sentry_secret=realsecret");
    assertThat(r.body()).isSameAs(e.body());
    assertThat(r.rewritten()).isFalse();
    assertThat(r.header("Content-Encoding")).isNull();
  }

  @Test
  void goldenCronGet() {
    BufferedEvent e = golden("cron-get-empty-body.json");
    UpstreamRequest r = build(e, e.receivedAt());
    assertThat(r.method()).isEqualTo("GET");
    assertThat(r.uri().toString()).isEqualTo("http://other.example:9000/api/3131/cron/nightly-job/?status=ok&environment=prod");
    assertThat(r.header("X-Sentry-Auth")).isEqualTo("Sentry sentry_version=7, sentry_key=otherkey");
    assertThat(r.header("X-Forwarded-For")).isEqualTo("2001:db8::1");
  }

  @Test
  void queryAuthWhenTheQueryCarriesOtherSentryParameters() {
    BufferedEvent e = BufferedEvent.builder().id("x").receivedAt(1).route(new Route("other", "payments-api"))
        .kind(EndpointKind.STORE).method("GET").path("/api/77/store/")
        .query("sentry_version=7&sentry_client=raven-js%2F1.0&sentry_data=%7B%7D").build();
    UpstreamRequest r = build(e, 1);
    assertThat(r.header("X-Sentry-Auth")).isNull();
    assertThat(r.uri().toString()).isEqualTo(
        "http://other.example:9000/api/3131/store/?sentry_data=%7B%7D&sentry_version=7&sentry_client=raven-js%2F1.0&sentry_key=otherkey");
  }

  @Test
  void unrealGetsTheRealKeyInThePathAndNoOtherAuth() {
    BufferedEvent e = BufferedEvent.builder().id("x").receivedAt(1).route(new Route("other", "payments-api"))
        .kind(EndpointKind.UNREAL).path("/api/77/unreal/").query("UserID=5").body(new byte[] {1, 2}).build();
    UpstreamRequest r = build(e, 1);
    assertThat(r.uri().toString()).isEqualTo("http://other.example:9000/api/3131/unreal/otherkey/?UserID=5");
    assertThat(r.header("X-Sentry-Auth")).isNull();
    assertThat(r.toString()).doesNotContain("otherkey");
  }

  @Test
  void identityEnvelopeStaysIdentity() {
    String env = "{\"sent_at\":\"2026-01-01T00:00:00.000Z\"}\n{\"type\":\"event\"}\n{}\n";
    BufferedEvent e = BufferedEvent.builder().id("x").receivedAt(1000).route(new Route("other", "payments-api"))
        .kind(EndpointKind.ENVELOPE).path("/api/5/envelope/").contentEncoding("").body(env.getBytes()).build();
    UpstreamRequest r = build(e, 3500);
    assertThat(new String(r.body())).isEqualTo(env.replace("00:00:00.000Z", "00:00:02.500Z"));
    assertThat(r.header("Content-Encoding")).isNull();
  }

  @Test
  void oddPathsQueriesAndHeadersStillMakeAValidRequest() {
    BufferedEvent e = BufferedEvent.builder().id("x").receivedAt(1).route(new Route("other", "payments-api"))
        .kind(EndpointKind.STORE).method("GET").path("/api/77/store/")
        .query("sentry_data={\"message\":\"a b\u00e9\"}&x=%41").userAgent("evil\r\nX-Injected: 1").build();
    UpstreamRequest r = build(e, 1);
    assertThat(r.uri().getRawQuery()).startsWith("sentry_data=%7B%22message%22:%22a%20b%C3%A9%22%7D&x=%41&");
    assertThat(r.header("User-Agent")).isEqualTo("evilX-Injected: 1");
    assertThat(java.net.URI.create(r.uri().toString())).as("a valid URI as it is").isEqualTo(r.uri());
    assertThat(UpstreamRequest.escape("/api/1/store/")).isEqualTo("/api/1/store/");
  }
}
