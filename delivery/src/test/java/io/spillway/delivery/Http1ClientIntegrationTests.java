package io.spillway.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.spillway.testkit.SentryUpstream;
import io.spillway.testkit.TestCertificate;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The delivery's HTTP/1.1 client against a real HTTP server (SentryUpstream, Undertow). */
@Timeout(60)
class Http1ClientIntegrationTests {
  static final String ENVELOPE = "{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n{\"type\":\"event\",\"length\":2}\n{}\n";

  static UpstreamRequest request(SentryUpstream up, String query) {
    return new UpstreamRequest("POST", URI.create(up.url() + "/api/7/envelope/" + (query == null ? "" : "?" + query)),
        List.of(new String[] {"X-Sentry-Auth", "Sentry sentry_version=7, sentry_key=ffff0000ffff0000ffff0000ffff0000"},
            new String[] {"Content-Type", "application/x-sentry-envelope"}),
        ENVELOPE.getBytes(), false);
  }

  static Throwable failure(java.util.concurrent.CompletableFuture<?> f) throws Exception {
    try {
      f.get(20, TimeUnit.SECONDS);
      return null;
    } catch (ExecutionException e) {
      return e.getCause();
    }
  }

  @Test
  void answersHeadersKeepAliveAndEveryKindOfFailure() throws Exception {
    try (SentryUpstream up = SentryUpstream.start().project(7, "ffff0000ffff0000ffff0000ffff0000", null);
         Http1Client client = new Http1Client(Duration.ofSeconds(2))) {
      Http1Client.Response ok = client.send(request(up, null), Duration.ofSeconds(5)).get(20, TimeUnit.SECONDS);
      assertThat(ok.status()).isEqualTo(200);
      for (int i = 0; i < 50; i++) assertThat(client.send(request(up, "n=" + i), Duration.ofSeconds(5)).get(20, TimeUnit.SECONDS).status()).isEqualTo(200);
      assertThat(up.acceptedCount()).isEqualTo(51);
      assertThat(up.requests().get(1).query()).isEqualTo("n=0");
      assertThat(up.requests().get(1).header("Host")).isEqualTo("127.0.0.1:" + up.port());
      assertThat(up.requests().get(1).decodedText()).isEqualTo(ENVELOPE);

      up.rateLimit(Duration.ofSeconds(30), "10", "10::organization");
      Http1Client.Response limited = client.send(request(up, null), Duration.ofSeconds(5)).get(20, TimeUnit.SECONDS);
      assertThat(limited.status()).isEqualTo(429);
      assertThat(limited.header("Retry-After")).isEqualTo("10");
      assertThat(limited.header("x-sentry-rate-limits")).isEqualTo("10::organization");
      assertThat(limited.header("X-Sentry-Error")).isEqualTo("rate limited");

      up.reset().dropConnections(Duration.ofSeconds(30));
      assertThat(DeliveryOutcome.ofFailure(failure(client.send(request(up, null), Duration.ofSeconds(5)))))
          .isEqualTo(new DeliveryOutcome.Retry("network"));

      up.reset().delay(Duration.ofSeconds(3));
      assertThat(DeliveryOutcome.ofFailure(failure(client.send(request(up, null), Duration.ofMillis(300)))))
          .isEqualTo(new DeliveryOutcome.Retry("timeout"));

      up.reset();
      up.down();
      assertThat(DeliveryOutcome.ofFailure(failure(client.send(request(up, null), Duration.ofSeconds(5)))))
          .isEqualTo(new DeliveryOutcome.Retry("connect"));
      up.up();
      // kept-alive connections died with the server: the client notices and reconnects
      for (int i = 0; i < 5; i++) assertThat(client.send(request(up, null), Duration.ofSeconds(5)).get(20, TimeUnit.SECONDS).status()).isEqualTo(200);
    }
  }

  /** Requests are built on the connection thread: a build that throws fails that one request only. */
  @Test
  void aRequestThatCannotBeBuiltFailsAloneAsUnbuildable() throws Exception {
    try (SentryUpstream up = SentryUpstream.start().project(7, "ffff0000ffff0000ffff0000ffff0000", null);
         Http1Client client = new Http1Client(Duration.ofSeconds(2))) {
      Throwable t = failure(client.send(URI.create(up.url()), () -> {
        throw new IllegalArgumentException("Illegal character in path");
      }, Duration.ofSeconds(5)));
      assertThat(t).isInstanceOf(Http1Client.Unbuildable.class).hasMessage("IllegalArgumentException: Illegal character in path");
      assertThat(client.send(URI.create(up.url()), () -> request(up, null), Duration.ofSeconds(5)).get(20, TimeUnit.SECONDS).status())
          .isEqualTo(200);
      assertThat(up.acceptedCount()).isEqualTo(1);

      // Large events are built on another thread, then sent by the loop: the same outcomes.
      int large = Http1Loop.BUILD_ELSEWHERE_BYTES + 1;
      Throwable off = failure(client.send(URI.create(up.url()), () -> {
        throw new IllegalArgumentException("Illegal character in path");
      }, Duration.ofSeconds(5), large));
      assertThat(off).isInstanceOf(Http1Client.Unbuildable.class).hasMessage("IllegalArgumentException: Illegal character in path");
      Thread[] built = new Thread[1];
      assertThat(client.send(URI.create(up.url()), () -> {
        built[0] = Thread.currentThread();
        return request(up, "large");
      }, Duration.ofSeconds(5), large).get(20, TimeUnit.SECONDS).status()).isEqualTo(200);
      assertThat(built[0].getName()).isEqualTo("spillway-http-build");
      assertThat(up.acceptedCount()).isEqualTo(2);
      assertThat(up.requests().get(1).query()).isEqualTo("large");
    }
  }

  /**
   * Upstreams are https in production (sentry.io): the client speaks TLS, keeps the connection,
   * checks the certificate's name against the URL's host and trusts only what it is told to.
   */
  @Test
  void talksTlsAndChecksTheCertificate() throws Exception {
    try (SentryUpstream up = SentryUpstream.startTls().project(7, "ffff0000ffff0000ffff0000ffff0000", null);
         Http1Client client = new Http1Client(Duration.ofSeconds(2), TestCertificate.get().clientContext());
         Http1Client jdkTrust = new Http1Client(Duration.ofSeconds(2))) {
      assertThat(up.url()).startsWith("https://localhost:");
      for (int i = 0; i < 20; i++) {
        assertThat(client.send(request(up, "n=" + i), Duration.ofSeconds(5)).get(20, TimeUnit.SECONDS).status()).isEqualTo(200);
      }
      assertThat(up.acceptedCount()).isEqualTo(20);
      assertThat(up.requests().get(3).header("Host")).isEqualTo("localhost:" + up.port());
      assertThat(up.requests().get(3).decodedText()).isEqualTo(ENVELOPE);

      // A body of many TLS records (16 KiB each) arrives whole.
      String big = ENVELOPE.substring(0, ENVELOPE.indexOf('\n') + 1) + "{\"type\":\"attachment\",\"length\":300000}\n"
          + "x".repeat(300_000) + "\n";
      UpstreamRequest large = new UpstreamRequest("POST", URI.create(up.url() + "/api/7/envelope/"), request(up, null).headers(),
          big.getBytes(), false);
      assertThat(client.send(large, Duration.ofSeconds(5)).get(20, TimeUnit.SECONDS).status()).isEqualTo(200);
      assertThat(up.requests().get(20).decodedText()).isEqualTo(big);

      // The same server by its IP: the certificate names only "localhost".
      UpstreamRequest byIp = new UpstreamRequest("POST", URI.create("https://127.0.0.1:" + up.port() + "/api/7/envelope/"),
          request(up, null).headers(), ENVELOPE.getBytes(), false);
      assertThat(failure(client.send(byIp, Duration.ofSeconds(5)))).isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
      // A client that trusts only the JDK's CAs does not trust a self-signed certificate.
      Throwable untrusted = failure(jdkTrust.send(request(up, null), Duration.ofSeconds(5)));
      assertThat(untrusted).isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
      assertThat(DeliveryOutcome.ofFailure(untrusted)).isEqualTo(new DeliveryOutcome.Retry("network"));
      assertThat(up.acceptedCount()).isEqualTo(21);

      // The server restarts: the kept TLS connections are dead, the client reconnects.
      up.down();
      up.up();
      for (int i = 0; i < 5; i++) assertThat(client.send(request(up, null), Duration.ofSeconds(5)).get(20, TimeUnit.SECONDS).status()).isEqualTo(200);
      assertThat(up.acceptedCount()).isEqualTo(26);
    }
  }
}
