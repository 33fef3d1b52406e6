package io.spillway.delivery;

import static io.spillway.delivery.UpstreamClientIntegrationTests.NETWORK;
import static io.spillway.delivery.UpstreamClientIntegrationTests.caFile;
import static io.spillway.delivery.UpstreamClientIntegrationTests.client;
import static io.spillway.delivery.UpstreamClientIntegrationTests.failure;
import static io.spillway.delivery.UpstreamClientIntegrationTests.send;
import static io.spillway.delivery.UpstreamClientIntegrationTests.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.spillway.delivery.ScriptedUpstream.After;
import io.spillway.delivery.ScriptedUpstream.Http1Answer;
import io.spillway.delivery.ScriptedUpstream.Http2Answer;
import io.spillway.delivery.http.UpstreamClient;
import io.spillway.delivery.http.UpstreamResponse;
import io.spillway.delivery.upstream.DeliveryOutcome;
import io.spillway.delivery.upstream.RateLimitHeader;
import io.spillway.schemas.config.UpstreamConfig;
import io.spillway.testkit.TestCertificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a broken or hostile upstream can do to delivery's HTTP client, against real servers that
 * misbehave on purpose ({@link ScriptedUpstream}): each request ends as delivery can act on it (an
 * answer, or a retryable network error), the connection that misbehaved is closed, nothing is read
 * without bound, and only requests the server surely did not process are sent again.
 */
@Timeout(120)
class UpstreamFaultsIntegrationTests {
  static final String OK = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";

  static DeliveryOutcome outcome(UpstreamResponse r) {
    return DeliveryOutcome.of(r.status(), r.header("X-Sentry-Rate-Limits"), r.header("Retry-After"), r.header("X-Sentry-Error"),
        System.currentTimeMillis());
  }

  static UpstreamConfig tls(ScriptedUpstream s, String name) {
    return upstream(name, s.url(), caFile(TestCertificate.get().caPem()));
  }

  @Test
  void interimAnswersAreSkipped() throws Exception {
    try (ScriptedUpstream s = ScriptedUpstream.http1(n -> Http1Answer.raw(n == 0
            ? "HTTP/1.1 100 Continue\r\n\r\n" + OK
            : "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\n"
                + "X-Sentry-Rate-Limits: 30::organization\r\nContent-Length: 0\r\n\r\n", After.KEEP));
         UpstreamClient client = client()) {
      UpstreamConfig u = upstream("interim", s.url());
      UpstreamResponse ok = send(client, u, null);
      assertThat(ok.status()).isEqualTo(200);
      assertThat(outcome(ok)).isInstanceOf(DeliveryOutcome.Delivered.class);
      UpstreamResponse limited = send(client, u, null);
      assertThat(limited.status()).isEqualTo(429);
      assertThat(limited.header("Link")).as("the 103's headers are not the answer's").isNull();
      assertThat(outcome(limited)).isInstanceOfSatisfying(DeliveryOutcome.Held.class,
          h -> assertThat(h.limits().get(0).scope()).isEqualTo(RateLimitHeader.Scope.ORGANIZATION));
      assertThat(s.connections()).isEqualTo(1);
    }
  }

  @Test
  void interimAnswersAreSkippedOverHttp2() throws Exception {
    try (ScriptedUpstream s = ScriptedUpstream.http2(n -> n == 0 ? Http2Answer.CONTINUE_THEN_OK : Http2Answer.EARLY_HINTS_THEN_429);
         UpstreamClient client = client()) {
      UpstreamConfig u = tls(s, "interim-h2");
      assertThat(outcome(send(client, u, null))).isInstanceOf(DeliveryOutcome.Delivered.class);
      UpstreamResponse limited = send(client, u, null);
      assertThat(limited.header("link")).isNull();
      assertThat(outcome(limited)).isInstanceOf(DeliveryOutcome.Held.class);
    }
  }

  @Test
  void aGarbageStatusLineOrEndlessHeadersAreNetworkErrorsAndCloseTheConnection() throws Exception {
    try (ScriptedUpstream s = ScriptedUpstream.http1(n -> switch (n) {
          case 0 -> Http1Answer.raw("SSH-2.0-OpenSSH_9.2\r\nProtocol mismatch.\r\n\r\n", After.KEEP);
          case 1 -> Http1Answer.raw("HTTP/1.1 abc Nope\r\n\r\n", After.KEEP);
          case 2 -> Http1Answer.endlessHeaders();
          default -> Http1Answer.raw(OK, After.KEEP);
        });
         UpstreamClient client = client()) {
      UpstreamConfig u = upstream("garbage", s.url());
      for (int i = 0; i < 3; i++) {
        Throwable t = failure(client, u);
        assertThat(DeliveryOutcome.ofFailure(t)).as("%s", t).isEqualTo(NETWORK);
        assertThat(t).hasMessageStartingWith("malformed answer");
      }
      assertThat(send(client, u, null).status()).isEqualTo(200);
      assertThat(s.requests()).as("none was sent twice").isEqualTo(4);
      assertThat(s.connections()).as("each bad answer closed its connection").isEqualTo(4);
      await().untilAsserted(() -> assertThat(client.connections("garbage")).isEqualTo(1));
    }
  }

  /** Only the status and headers matter: a 2 GiB body is not read, the answer counts, the connection is closed. */
  @Test
  void aHugeBodyIsNotRead() throws Exception {
    try (ScriptedUpstream s = ScriptedUpstream.http1(n -> n == 0 ? Http1Answer.hugeBody() : Http1Answer.raw(OK, After.KEEP));
         UpstreamClient client = client()) {
      UpstreamConfig u = upstream("huge", s.url());
      UpstreamResponse r = send(client, u, null);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("X-Sentry-Error")).isEqualTo("big");
      assertThat(send(client, u, null).status()).isEqualTo(200);
      assertThat(s.connections()).as("the first connection was closed, not drained").isEqualTo(2);
    }
    try (ScriptedUpstream s = ScriptedUpstream.http2(n -> n == 0 ? Http2Answer.HUGE_BODY : Http2Answer.OK);
         UpstreamClient client = client()) {
      UpstreamConfig u = tls(s, "huge-h2");
      assertThat(send(client, u, null).status()).isEqualTo(200);
      assertThat(send(client, u, null).status()).isEqualTo(200);
      assertThat(s.connections()).as("HTTP/2: only the stream was reset").isEqualTo(1);
    }
  }

  @Test
  void aResetMidAnswerIsANetworkErrorAndNotSentAgain() throws Exception {
    try (ScriptedUpstream s = ScriptedUpstream.http1(n -> n == 0
            ? Http1Answer.raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"id\":", After.RESET)
            : Http1Answer.raw(OK, After.KEEP));
         UpstreamClient client = client()) {
      UpstreamConfig u = upstream("reset", s.url());
      Throwable t = failure(client, u);
      assertThat(DeliveryOutcome.ofFailure(t)).as("%s", t).isEqualTo(NETWORK);
      assertThat(s.requests()).as("it may have been processed: delivery decides").isEqualTo(1);
      assertThat(send(client, u, null).status()).isEqualTo(200);
    }
    try (ScriptedUpstream s = ScriptedUpstream.http2(n -> n == 0 ? Http2Answer.RESET_MID_ANSWER : Http2Answer.OK);
         UpstreamClient client = client()) {
      UpstreamConfig u = tls(s, "reset-h2");
      Throwable t = failure(client, u);
      assertThat(DeliveryOutcome.ofFailure(t)).as("%s", t).isEqualTo(NETWORK);
      assertThat(t).hasMessageContaining("INTERNAL_ERROR");
      assertThat(s.requests()).isEqualTo(1);
      assertThat(send(client, u, null).status()).isEqualTo(200);
      assertThat(s.connections()).isEqualTo(1);
    }
  }

  /** A kept-alive connection the server closed before answering: the request never got there, so it goes once more, on a fresh connection. */
  @Test
  void aStaleKeptAliveConnectionIsRetriedOnceOnAFreshOne() throws Exception {
    try (ScriptedUpstream s = ScriptedUpstream.http1(n -> switch (n) {
          case 1 -> Http1Answer.raw("", After.RESET);
          case 3, 4 -> Http1Answer.raw("", After.CLOSE);
          default -> Http1Answer.raw(OK, After.KEEP);
        });
         UpstreamClient client = client()) {
      UpstreamConfig u = upstream("stale", s.url());
      assertThat(send(client, u, null).status()).isEqualTo(200); // 0
      assertThat(send(client, u, null).status()).isEqualTo(200); // 1 reset, 2 on a fresh connection
      assertThat(s.requests()).isEqualTo(3);
      assertThat(s.connections()).isEqualTo(2);
      Throwable t = failure(client, u); // 3 closed, 4 closed: not a third time
      assertThat(DeliveryOutcome.ofFailure(t)).as("%s", t).isEqualTo(NETWORK);
      assertThat(s.requests()).isEqualTo(5);
    }
  }

  @Test
  void http2GoAwayAndRefusedStreams() throws Exception {
    // Above the GOAWAY's last stream id: not processed, so sent again, on a new connection.
    try (ScriptedUpstream s = ScriptedUpstream.http2(n -> n == 0 ? Http2Answer.GOAWAY_UNPROCESSED : Http2Answer.OK);
         UpstreamClient client = client()) {
      assertThat(send(client, tls(s, "goaway-unprocessed"), null).status()).isEqualTo(200);
      assertThat(s.requests()).isEqualTo(2);
      assertThat(s.connections()).isEqualTo(2);
    }
    // The same every time: sent twice, then a network error.
    try (ScriptedUpstream s = ScriptedUpstream.http2(n -> Http2Answer.GOAWAY_UNPROCESSED);
         UpstreamClient client = client()) {
      Throwable t = failure(client, tls(s, "goaway-always"));
      assertThat(DeliveryOutcome.ofFailure(t)).as("%s", t).isEqualTo(NETWORK);
      assertThat(t).hasMessageContaining("GOAWAY");
      assertThat(s.requests()).isEqualTo(2);
    }
    // GOAWAY including our stream, then the connection closes unanswered: maybe processed, a network error.
    try (ScriptedUpstream s = ScriptedUpstream.http2(n -> n == 0 ? Http2Answer.GOAWAY_THEN_CLOSE : Http2Answer.OK);
         UpstreamClient client = client()) {
      UpstreamConfig u = tls(s, "goaway-close");
      Throwable t = failure(client, u);
      assertThat(DeliveryOutcome.ofFailure(t)).as("%s", t).isEqualTo(NETWORK);
      assertThat(s.requests()).isEqualTo(1);
      assertThat(send(client, u, null).status()).isEqualTo(200);
      assertThat(s.connections()).isEqualTo(2);
    }
    // A graceful GOAWAY after an answer: that connection takes no more streams.
    try (ScriptedUpstream s = ScriptedUpstream.http2(n -> n == 0 ? Http2Answer.OK_THEN_GOAWAY : Http2Answer.OK);
         UpstreamClient client = client()) {
      UpstreamConfig u = tls(s, "goaway-graceful");
      assertThat(send(client, u, null).status()).isEqualTo(200);
      await().untilAsserted(() -> assertThat(client.connections("goaway-graceful")).isZero());
      assertThat(send(client, u, null).status()).isEqualTo(200);
      assertThat(s.connections()).isEqualTo(2);
    }
    // RST_STREAM(REFUSED_STREAM): not processed; once more, then a network error.
    try (ScriptedUpstream s = ScriptedUpstream.http2(n -> Http2Answer.REFUSE);
         UpstreamClient client = client()) {
      Throwable t = failure(client, tls(s, "refused"));
      assertThat(DeliveryOutcome.ofFailure(t)).as("%s", t).isEqualTo(NETWORK);
      assertThat(t).hasMessageContaining("REFUSED_STREAM");
      assertThat(s.requests()).isEqualTo(2);
      assertThat(s.connections()).as("a refused stream leaves the connection usable").isEqualTo(1);
    }
  }

  @Test
  void timeoutsEndTheExchangeAndNotTheOtherUpstreams() throws Exception {
    try (ScriptedUpstream hanging = ScriptedUpstream.http1(n -> Http1Answer.raw("", After.HANG));
         ScriptedUpstream h2hanging = ScriptedUpstream.http2(n -> n == 0 ? Http2Answer.HANG : Http2Answer.OK);
         ScriptedUpstream fine = ScriptedUpstream.http1(n -> Http1Answer.raw(OK, After.KEEP));
         UpstreamClient client = UpstreamClient.create(List.of(), UpstreamClientIntegrationTests.OPTIONS.withIoThreads(1))) {
      UpstreamConfig stuck = upstream("hangs", hanging.url(), "timeout: 1s");
      var pending = client.send(stuck, () -> UpstreamClientIntegrationTests.request(stuck, null), 0);
      UpstreamConfig ok = upstream("fine", fine.url());
      for (int i = 0; i < 20; i++) assertThat(send(client, ok, null).status()).isEqualTo(200);
      assertThat(DeliveryOutcome.ofFailure(failure(pending))).isEqualTo(new DeliveryOutcome.Retry("timeout"));
      await().untilAsserted(() -> assertThat(client.connections("hangs")).as("closed: its answer may still come").isZero());

      UpstreamConfig h2 = upstream("hangs-h2", h2hanging.url(), caFile(TestCertificate.get().caPem()), "timeout: 1s");
      assertThat(DeliveryOutcome.ofFailure(failure(client, h2))).isEqualTo(new DeliveryOutcome.Retry("timeout"));
      assertThat(send(client, h2, null).status()).isEqualTo(200);
      assertThat(h2hanging.connections()).as("HTTP/2: the stream was reset, the connection kept").isEqualTo(1);
    }
  }

  /** Closing the client closes TLS connections properly: a close_notify alert first (HTTP/1.1 and HTTP/2). */
  @Test
  void closeSendsCloseNotify() throws Exception {
    try (ScriptedUpstream h1 = ScriptedUpstream.http1Tls(n -> Http1Answer.raw(OK, After.KEEP));
         ScriptedUpstream h2 = ScriptedUpstream.http2(n -> Http2Answer.OK)) {
      UpstreamClient client = client();
      assertThat(send(client, tls(h1, "notify-h1"), null).status()).isEqualTo(200);
      assertThat(send(client, tls(h2, "notify-h2"), null).status()).isEqualTo(200);
      assertThat(h1.closeNotifies() + h2.closeNotifies()).isZero();
      client.close();
      await().untilAsserted(() -> {
        assertThat(h1.closeNotifies()).isEqualTo(1);
        assertThat(h2.closeNotifies()).isEqualTo(1);
      });
    }
  }

  /** Idle connections are closed after the idle timeout (with close_notify). */
  @Test
  void idleConnectionsAreClosed() throws Exception {
    try (ScriptedUpstream h1 = ScriptedUpstream.http1Tls(n -> Http1Answer.raw(OK, After.KEEP));
         UpstreamClient client = UpstreamClient.create(List.of(),
             UpstreamClientIntegrationTests.OPTIONS.withIdleTimeout(Duration.ofMillis(500)))) {
      assertThat(send(client, tls(h1, "idle"), null).status()).isEqualTo(200);
      await().untilAsserted(() -> assertThat(h1.closeNotifies()).isEqualTo(1));
      assertThat(client.connections("idle")).isZero();
      assertThat(send(client, tls(h1, "idle"), null).status()).isEqualTo(200);
      assertThat(h1.connections()).isEqualTo(2);
    }
  }
}
