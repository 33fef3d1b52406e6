package io.spillway.delivery.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class DeliveryOutcomeUnitTests {
  static final long NOW = 1_700_000_000_000L;

  @Test
  void okIsDeliveredAndKeepsAnnouncedLimits() {
    assertThat(DeliveryOutcome.of(200, null, null, null, NOW)).isInstanceOfSatisfying(DeliveryOutcome.Delivered.class,
        d -> assertThat(d.limits()).isEmpty());
    assertThat(DeliveryOutcome.of(200, "60:transaction:key", null, null, NOW))
        .isInstanceOfSatisfying(DeliveryOutcome.Delivered.class, d -> assertThat(d.limits()).hasSize(1));
    assertThat(DeliveryOutcome.of(202, null, null, null, NOW)).isInstanceOf(DeliveryOutcome.Delivered.class);
  }

  @Test
  void tooManyRequestsHoldsByHeaderThenRetryAfterThenSixtySeconds() {
    assertThat(DeliveryOutcome.of(429, "10::organization", "99", null, NOW))
        .isInstanceOfSatisfying(DeliveryOutcome.Held.class, h -> {
          assertThat(h.limits()).hasSize(1);
          assertThat(h.limits().get(0).retryAfter()).isEqualTo(Duration.ofSeconds(10));
          assertThat(h.limits().get(0).scope()).isEqualTo(RateLimitHeader.Scope.ORGANIZATION);
        });
    assertThat(DeliveryOutcome.of(429, null, "7", null, NOW)).isInstanceOfSatisfying(DeliveryOutcome.Held.class, h -> {
      assertThat(h.limits().get(0).retryAfter()).isEqualTo(Duration.ofSeconds(7));
      assertThat(h.limits().get(0).scope()).isEqualTo(RateLimitHeader.Scope.KEY);
      assertThat(h.limits().get(0).allCategories()).isTrue();
    });
    assertThat(DeliveryOutcome.of(429, null, null, null, NOW)).isInstanceOfSatisfying(DeliveryOutcome.Held.class,
        h -> assertThat(h.limits().get(0).retryAfter()).isEqualTo(Duration.ofSeconds(60)));
  }

  @Test
  void rateLimitHeaderOnAnyErrorStatusHolds() {
    assertThat(DeliveryOutcome.of(503, "30::key", null, null, NOW)).isInstanceOf(DeliveryOutcome.Held.class);
    assertThat(DeliveryOutcome.of(400, "30::key", null, null, NOW)).isInstanceOf(DeliveryOutcome.Held.class);
  }

  @Test
  void gatewayErrorsAndNetworkFailuresRetry() {
    for (int s : new int[] {502, 503, 504}) {
      assertThat(DeliveryOutcome.of(s, null, null, null, NOW)).isEqualTo(new DeliveryOutcome.Retry("http_" + s));
    }
    assertThat(DeliveryOutcome.ofFailure(new CompletionException(new ConnectException("refused"))))
        .isEqualTo(new DeliveryOutcome.Retry("connect"));
    assertThat(DeliveryOutcome.ofFailure(new HttpTimeoutException("slow"))).isEqualTo(new DeliveryOutcome.Retry("timeout"));
    assertThat(DeliveryOutcome.ofFailure(new java.io.IOException("reset"))).isEqualTo(new DeliveryOutcome.Retry("network"));
    // What the Netty client fails with: no connection in time, a proxy's refusal, a failed handshake.
    assertThat(DeliveryOutcome.ofFailure(new io.netty.channel.ConnectTimeoutException("no connection within 5000 ms")))
        .isEqualTo(new DeliveryOutcome.Retry("connect"));
    assertThat(DeliveryOutcome.ofFailure(new io.netty.handler.proxy.HttpProxyHandler.HttpProxyConnectException("407", null)))
        .isEqualTo(new DeliveryOutcome.Retry("connect"));
    assertThat(DeliveryOutcome.ofFailure(new javax.net.ssl.SSLHandshakeException("PKIX path building failed")))
        .isEqualTo(new DeliveryOutcome.Retry("network"));
  }

  @Test
  void otherAnswersAreDeadLetters() {
    assertThat(DeliveryOutcome.of(400, null, null, "invalid envelope", NOW))
        .isEqualTo(new DeliveryOutcome.DeadLetter("http_400", 400, "invalid envelope"));
    assertThat(DeliveryOutcome.of(413, null, null, null, NOW)).isEqualTo(new DeliveryOutcome.DeadLetter("http_413", 413, ""));
    assertThat(DeliveryOutcome.of(401, null, null, null, NOW)).isInstanceOf(DeliveryOutcome.DeadLetter.class);
    assertThat(DeliveryOutcome.of(403, null, null, null, NOW)).isInstanceOf(DeliveryOutcome.DeadLetter.class);
    assertThat(DeliveryOutcome.of(500, null, null, null, NOW)).isInstanceOf(DeliveryOutcome.DeadLetter.class);
  }

  @Test
  void secretsAreFilteredOutOfUpstreamErrors() {
    var project = new io.spillway.schemas.config.ProjectConfig("p", null, 1, "0123456789abcdef0123456789abcdef", "topsecret", 0);
    String cleaned = SecretFilter.clean("bad key 0123456789abcdef0123456789abcdef, sentry_secret=topsecret\n key=other123", project);
    assertThat(cleaned).doesNotContain("0123456789abcdef0123456789abcdef").doesNotContain("topsecret")
        .doesNotContain("other123").doesNotContain("\n");
    assertThat(SecretFilter.clean("x".repeat(1000), project)).hasSize(SecretFilter.MAX_LENGTH);
  }
}
