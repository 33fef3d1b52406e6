package io.spillway.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.spillway.delivery.http.UnbuildableRequest;
import io.spillway.delivery.http.UpstreamClient;
import io.spillway.delivery.http.UpstreamResponse;
import io.spillway.delivery.upstream.DeliveryOutcome;
import io.spillway.schemas.config.SpillwayConfig;
import io.spillway.schemas.config.UpstreamConfig;
import io.spillway.testkit.HttpProxy;
import io.spillway.testkit.SentryUpstream;
import io.spillway.testkit.TestCertificate;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Delivery's HTTP client ({@link UpstreamClient}, on Netty) against real servers: the testkit's
 * Sentry-like upstream (Undertow) over HTTP/1.1, over TLS with a private CA, over HTTP/2 (ALPN) and
 * with a client certificate required; through a real forwarding proxy (the testkit's, on Netty) by
 * CONNECT and in absolute form. Failures are checked as delivery classifies them
 * ({@link DeliveryOutcome#ofFailure}). Debian's tinyproxy: {@link TinyproxyIntegrationTests}.
 */
@Timeout(120)
class UpstreamClientIntegrationTests {
  static final String KEY = "ffff0000ffff0000ffff0000ffff0000";
  static final String ENVELOPE = "{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n{\"type\":\"event\",\"length\":2}\n{}\n";
  static final DeliveryOutcome NETWORK = new DeliveryOutcome.Retry("network");

  /** A generous connect timeout: this machine is shared, and these tests are not about time. */
  static final UpstreamClient.Options OPTIONS = UpstreamClient.Options.DEFAULT.withConnectTimeout(Duration.ofSeconds(20));

  static UpstreamClient client() {
    return UpstreamClient.create(List.of(), OPTIONS);
  }

  /** An upstream as the config file would give it (so the config path is what is tested). */
  static UpstreamConfig upstream(String name, String url, String... keys) {
    StringBuilder yaml = new StringBuilder("upstreams:\n  " + name + ":\n    url: \"" + url + "\"\n");
    for (String k : keys) yaml.append("    ").append(k).append('\n');
    yaml.append("    projects: { p: { id: 7, key: ").append(KEY).append(" } }\n");
    return SpillwayConfig.parse(yaml.toString(), Map.of(), "test").upstreams().get(name);
  }

  static String caFile(java.nio.file.Path pem) {
    return "tls: { ca_file: \"" + pem + "\" }";
  }

  record Req(String method, URI uri, List<String[]> headers, byte[] body) implements UpstreamClient.Request {}

  static Req request(UpstreamConfig u, String query) {
    return request(u, query, ENVELOPE);
  }

  static Req request(UpstreamConfig u, String query, String body) {
    return new Req("POST", URI.create(u.url() + "/api/7/envelope/" + (query == null ? "" : "?" + query)),
        List.of(new String[] {"X-Sentry-Auth", "Sentry sentry_version=7, sentry_key=" + KEY},
            new String[] {"Content-Type", "application/x-sentry-envelope"}),
        body.getBytes());
  }

  static UpstreamResponse send(UpstreamClient client, UpstreamConfig u, String query) throws Exception {
    return client.send(u, () -> request(u, query), 0).get(30, TimeUnit.SECONDS);
  }

  static Throwable failure(CompletableFuture<?> f) throws Exception {
    try {
      f.get(30, TimeUnit.SECONDS);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }

  static Throwable failure(UpstreamClient client, UpstreamConfig u) throws Exception {
    return failure(client.send(u, () -> request(u, null), 0));
  }

  static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (type.isInstance(c)) return true;
    }
    return false;
  }

  @Test
  void http11KeepsConnectionsAliveAndReportsEveryKindOfFailure() throws Exception {
    try (SentryUpstream up = SentryUpstream.start().project(7, KEY, null);
         UpstreamClient client = client()) {
      UpstreamConfig u = upstream("plain", up.url());
      assertThat(send(client, u, null).status()).isEqualTo(200);
      for (int i = 0; i < 50; i++) assertThat(send(client, u, "n=" + i).status()).isEqualTo(200);
      assertThat(up.acceptedCount()).isEqualTo(51);
      assertThat(up.connectionsSeen()).as("one after the other: one kept-alive connection").isEqualTo(1);
      SentryUpstream.Received second = up.requests().get(1);
      assertThat(second.query()).isEqualTo("n=0");
      assertThat(second.header("Host")).isEqualTo("127.0.0.1:" + up.port());
      assertThat(second.protocol()).isEqualTo("HTTP/1.1");
      assertThat(second.decodedText()).isEqualTo(ENVELOPE);

      up.rateLimit(Duration.ofSeconds(30), "10", "10::organization");
      UpstreamResponse limited = send(client, u, null);
      assertThat(limited.status()).isEqualTo(429);
      assertThat(limited.header("Retry-After")).isEqualTo("10");
      assertThat(limited.header("x-sentry-rate-limits")).isEqualTo("10::organization");
      assertThat(limited.header("X-Sentry-Error")).isEqualTo("rate limited");

      // Dropped before any answer byte: tried once more on a fresh connection, then a network error.
      up.reset().dropConnections(Duration.ofSeconds(30));
      up.clear();
      assertThat(DeliveryOutcome.ofFailure(failure(client, u))).isEqualTo(NETWORK);
      assertThat(up.requests()).hasSize(2);

      up.reset().delay(Duration.ofSeconds(3));
      UpstreamConfig impatient = upstream("impatient", up.url(), "timeout: 300ms");
      assertThat(DeliveryOutcome.ofFailure(failure(client, impatient))).isEqualTo(new DeliveryOutcome.Retry("timeout"));

      up.reset();
      up.down();
      assertThat(DeliveryOutcome.ofFailure(failure(client, u))).isEqualTo(new DeliveryOutcome.Retry("connect"));
      up.up();
      // the kept-alive connections died with the server: the client notices and reconnects
      for (int i = 0; i < 5; i++) assertThat(send(client, u, null).status()).isEqualTo(200);
    }
  }

  /** Requests are built on the client's threads: a build that throws fails that one request only, as unbuildable. */
  @Test
  void aRequestThatCannotBeBuiltOrCarriedFailsAloneAsUnbuildable() throws Exception {
    try (SentryUpstream up = SentryUpstream.start().project(7, KEY, null);
         UpstreamClient client = client()) {
      UpstreamConfig u = upstream("build", up.url());
      Supplier<Req> throwing = () -> {
        throw new IllegalArgumentException("Illegal character in path");
      };
      assertThat(failure(client.send(u, throwing, 0))).isInstanceOf(UnbuildableRequest.class)
          .hasMessage("IllegalArgumentException: Illegal character in path");
      Req withNewline = new Req("POST", request(u, null).uri(), List.<String[]>of(new String[] {"User-Agent", "evil\r\nX-Injected: 1"}), new byte[0]);
      assertThat(failure(client.send(u, () -> withNewline, 0))).isInstanceOf(UnbuildableRequest.class)
          .hasMessageContaining("control character in the value of header User-Agent");
      assertThat(send(client, u, null).status()).isEqualTo(200);
      assertThat(up.acceptedCount()).isEqualTo(1);

      // Large events are built on another thread, then sent by the loop: the same outcomes.
      int large = UpstreamClient.Options.BUILD_ELSEWHERE_BYTES + 1;
      assertThat(failure(client.send(u, throwing, large))).isInstanceOf(UnbuildableRequest.class)
          .hasMessage("IllegalArgumentException: Illegal character in path");
      Thread[] built = new Thread[1];
      assertThat(client.send(u, () -> {
        built[0] = Thread.currentThread();
        return request(u, "large");
      }, large).get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
      assertThat(built[0].getName()).isEqualTo("spillway-http-build");
      assertThat(up.requests().get(1).query()).isEqualTo("large");
    }
  }

  /**
   * A self-hosted Sentry with a certificate from a private CA: trusted through {@code tls.ca_file},
   * refused when the client trusts another CA or only the JVM's, and refused by IP address (the
   * certificate names only "localhost"). Mutation-checked: with host-name verification off, or
   * trusting every certificate, this test fails.
   */
  @Test
  void tlsWithAPrivateCaChecksTheCertificateAndTheHostName() throws Exception {
    TestCertificate pki = TestCertificate.get();
    try (SentryUpstream up = SentryUpstream.startTls().project(7, KEY, null);
         UpstreamClient client = client()) {
      UpstreamConfig u = upstream("private-ca", up.url(), caFile(pki.caPem()));
      assertThat(up.url()).startsWith("https://localhost:");
      for (int i = 0; i < 20; i++) assertThat(send(client, u, "n=" + i).status()).isEqualTo(200);
      assertThat(up.connectionsSeen()).isEqualTo(1);
      assertThat(up.requests().get(3).header("Host")).isEqualTo("localhost:" + up.port());
      assertThat(up.requests().get(3).protocol()).as("the server offers no h2").isEqualTo("HTTP/1.1");

      // A body of many TLS records (16 KiB each) arrives whole.
      String big = ENVELOPE.substring(0, ENVELOPE.indexOf('\n') + 1) + "{\"type\":\"attachment\",\"length\":300000}\n"
          + "x".repeat(300_000) + "\n";
      assertThat(client.send(u, () -> request(u, null, big), 0).get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
      assertThat(up.requests().get(20).decodedText()).isEqualTo(big);

      // The same server by its IP: the certificate names only "localhost".
      Throwable byIp = failure(client, upstream("by-ip", "https://127.0.0.1:" + up.port(), caFile(pki.caPem())));
      assertThat(causedBy(byIp, SSLException.class)).as("%s", byIp).isTrue();
      assertThat(DeliveryOutcome.ofFailure(byIp)).isEqualTo(NETWORK);
      // Trusting another CA, or only the JVM's CAs: the private CA's certificate is refused.
      Throwable otherCa = failure(client, upstream("other-ca", up.url(), caFile(pki.otherCaPem())));
      assertThat(causedBy(otherCa, SSLException.class)).as("%s", otherCa).isTrue();
      Throwable jvmTrust = failure(client, upstream("jvm-trust", up.url()));
      assertThat(causedBy(jvmTrust, SSLException.class)).as("%s", jvmTrust).isTrue();
      assertThat(up.acceptedCount()).isEqualTo(21);

      // The server restarts: the kept TLS connection is dead, the client reconnects.
      up.down();
      up.up();
      for (int i = 0; i < 5; i++) assertThat(send(client, u, null).status()).isEqualTo(200);
      assertThat(up.acceptedCount()).isEqualTo(26);
    }
  }

  /**
   * HTTP/2 when the server offers it: 256 requests in flight at once go over as few connections as
   * its SETTINGS_MAX_CONCURRENT_STREAMS (100) allow: three. With {@code http2: off}, HTTP/1.1.
   */
  @Test
  void http2CarriesManyStreamsOverFewConnections() throws Exception {
    try (SentryUpstream up = SentryUpstream.startTls(true, false).project(7, KEY, null);
         UpstreamClient client = client()) {
      UpstreamConfig u = upstream("h2", up.url(), caFile(TestCertificate.get().caPem()), "max_in_flight: 256");
      up.delay(Duration.ofSeconds(2)); // so that all 256 are in flight together
      List<CompletableFuture<UpstreamResponse>> answers = new ArrayList<>();
      for (int i = 0; i < 256; i++) {
        int n = i;
        answers.add(client.send(u, () -> request(u, "n=" + n), 0));
      }
      for (CompletableFuture<UpstreamResponse> a : answers) assertThat(a.get(60, TimeUnit.SECONDS).status()).isEqualTo(200);
      assertThat(up.acceptedCount()).isEqualTo(256);
      assertThat(up.requests()).allSatisfy(r -> assertThat(r.protocol()).isEqualTo("HTTP/2.0"));
      assertThat(up.connectionsSeen()).as("256 streams, at most 100 per connection").isBetween(3, 4);
      assertThat(client.connections("h2")).isBetween(3, 4);
      assertThat(up.requests().get(0).header(":authority") == null ? up.requests().get(0).header("host") : up.requests().get(0).header(":authority"))
          .isEqualTo("localhost:" + up.port());
      assertThat(up.requests().get(0).decodedText()).isEqualTo(ENVELOPE);

      up.reset().clear();
      UpstreamConfig off = upstream("h2-off", up.url(), caFile(TestCertificate.get().caPem()), "http2: off");
      for (int i = 0; i < 3; i++) assertThat(send(client, off, null).status()).isEqualTo(200);
      assertThat(up.requests()).allSatisfy(r -> assertThat(r.protocol()).isEqualTo("HTTP/1.1"));
    }
  }

  /** A server that requires a client certificate: the one from {@code tls.client_cert_file} / {@code client_key_file} is presented. */
  @Test
  void presentsTheClientCertificateAServerRequires() throws Exception {
    TestCertificate pki = TestCertificate.get();
    try (SentryUpstream up = SentryUpstream.startTls(true, true).project(7, KEY, null);
         UpstreamClient client = client()) {
      UpstreamConfig withCert = upstream("mtls", up.url(), "tls: { ca_file: \"" + pki.caPem() + "\", client_cert_file: \""
          + pki.clientCertPem() + "\", client_key_file: \"" + pki.clientKeyPem() + "\" }");
      for (int i = 0; i < 3; i++) assertThat(send(client, withCert, null).status()).isEqualTo(200);
      assertThat(up.requests()).allSatisfy(r -> assertThat(r.protocol()).isEqualTo("HTTP/2.0"));

      Throwable without = failure(client, upstream("no-cert", up.url(), caFile(pki.caPem())));
      assertThat(without).isNotNull();
      assertThat(DeliveryOutcome.ofFailure(without)).isIn(NETWORK, new DeliveryOutcome.Retry("connect"));
      assertThat(up.acceptedCount()).isEqualTo(3);
    }
  }

  /**
   * Through a real forwarding proxy with Basic authentication: https by a CONNECT tunnel (HTTP/2
   * inside it), http in absolute form. Wrong credentials are a retryable failure, never a DLQ, and
   * the password appears in no message.
   */
  @Test
  void goesThroughAnHttpProxy() throws Exception {
    try (SentryUpstream tls = SentryUpstream.startTls(true, false).project(7, KEY, null);
         SentryUpstream plain = SentryUpstream.start().project(7, KEY, null);
         HttpProxy proxy = HttpProxy.start("spillway", "pr0xy-s3cret");
         UpstreamClient client = client()) {
      String via = "proxy: \"http://spillway:pr0xy-s3cret@127.0.0.1:" + proxy.port() + "\"";
      UpstreamConfig https = upstream("via-connect", tls.url(), caFile(TestCertificate.get().caPem()), via);
      for (int i = 0; i < 10; i++) assertThat(send(client, https, "n=" + i).status()).isEqualTo(200);
      assertThat(proxy.tunnels()).as("one tunnel, HTTP/2 inside").isEqualTo(1);
      assertThat(tls.requests()).allSatisfy(r -> assertThat(r.protocol()).isEqualTo("HTTP/2.0"));

      UpstreamConfig http = upstream("via-absolute", plain.url(), via);
      for (int i = 0; i < 5; i++) assertThat(send(client, http, "n=" + i).status()).isEqualTo(200);
      assertThat(proxy.forwarded()).isEqualTo(5);
      assertThat(plain.requests().get(4).query()).isEqualTo("n=4");
      assertThat(plain.requests().get(4).header("Host")).isEqualTo("127.0.0.1:" + plain.port());
      assertThat(proxy.authorizations()).allSatisfy(a -> assertThat(a).isEqualTo("Basic c3BpbGx3YXk6cHIweHktczNjcmV0"));

      String wrong = "proxy: \"http://spillway:not-the-s3cret@127.0.0.1:" + proxy.port() + "\"";
      for (UpstreamConfig bad : List.of(upstream("bad-connect", tls.url(), caFile(TestCertificate.get().caPem()), wrong),
          upstream("bad-absolute", plain.url(), wrong))) {
        Throwable refused = failure(client, bad);
        assertThat(DeliveryOutcome.ofFailure(refused)).as("%s", refused).isEqualTo(new DeliveryOutcome.Retry("connect"));
        assertThat(String.valueOf(refused)).contains("407").doesNotContain("s3cret");
        assertThat(bad.toString()).doesNotContain("s3cret");
      }
      assertThat(proxy.refused()).isEqualTo(2);
      assertThat(tls.acceptedCount()).isEqualTo(10);
      assertThat(plain.acceptedCount()).isEqualTo(5);
    }
  }

  /** Another upstream's failures never hold up this one's requests (one client, one event-loop group). */
  @Test
  void aDeadUpstreamDoesNotSlowAnother() throws Exception {
    try (SentryUpstream up = SentryUpstream.start().project(7, KEY, null);
         SentryUpstream slow = SentryUpstream.start().project(7, KEY, null);
         UpstreamClient client = UpstreamClient.create(List.of(), OPTIONS.withIoThreads(1))) {
      slow.delay(Duration.ofMinutes(5)); // answers after the test: until then its requests stay in flight
      UpstreamConfig stuck = upstream("stuck", slow.url(), "timeout: 10m");
      List<CompletableFuture<UpstreamResponse>> waiting = new ArrayList<>();
      for (int i = 0; i < 20; i++) waiting.add(client.send(stuck, () -> request(stuck, null), 0));
      UpstreamConfig fine = upstream("fine", up.url());
      for (int i = 0; i < 20; i++) assertThat(send(client, fine, null).status()).isEqualTo(200);
      assertThat(waiting).noneMatch(CompletableFuture::isDone);
    }
  }
}
