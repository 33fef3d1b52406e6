package io.spillway.delivery.upstream;

import java.time.Duration;
import java.util.List;

/**
 * What one delivery attempt means for the event (architecture.md, "Outcomes"; Relay's
 * upstream rules, sentry-protocol.md §5.3). A closed set: the punctuator switches over it.
 */
public sealed interface DeliveryOutcome {
  /**
   * The upstream took it (2xx). {@code limits} are rate limits it announced on the same answer:
   * they do not concern this event but hold later sends.
   */
  record Delivered(int status, List<RateLimitHeader.Limit> limits) implements DeliveryOutcome {}

  /** 429 or any {@code X-Sentry-Rate-Limits}: keep the event, send nothing matching until the limits expire. */
  record Held(int status, List<RateLimitHeader.Limit> limits) implements DeliveryOutcome {}

  /** A network error, a timeout or 502/503/504: try again later with backoff. */
  record Retry(String reason) implements DeliveryOutcome {}

  /** Any other answer: the upstream will never take it. {@code detail} is already sanitised. */
  record DeadLetter(String reason, int status, String detail) implements DeliveryOutcome {}

  /**
   * Classifies an HTTP answer.
   *
   * @param rateLimits  {@code X-Sentry-Rate-Limits}, or null
   * @param retryAfter  {@code Retry-After}, or null
   * @param sentryError {@code X-Sentry-Error}, already sanitised, or null
   */
  static DeliveryOutcome of(int status, String rateLimits, String retryAfter, String sentryError, long nowMillis) {
    List<RateLimitHeader.Limit> limits = RateLimitHeader.parse(rateLimits);
    if (status >= 200 && status < 300) return new Delivered(status, limits);
    if (status == 429 || !limits.isEmpty()) {
      if (limits.isEmpty()) {
        // Relay's fallback: a key-scoped limit on all categories, Retry-After or 60 s.
        Duration d = RateLimitHeader.retryAfter(retryAfter, nowMillis);
        limits = List.of(new RateLimitHeader.Limit(d == null ? RateLimitHeader.DEFAULT_RETRY_AFTER : d,
            java.util.Set.of(), RateLimitHeader.Scope.KEY));
      }
      return new Held(status, limits);
    }
    if (status == 502 || status == 503 || status == 504) return new Retry("http_" + status);
    return new DeadLetter("http_" + status, status, sentryError == null ? "" : sentryError);
  }

  /** A request that got no HTTP answer (refused, reset, timed out). */
  static DeliveryOutcome ofFailure(Throwable error) {
    Throwable t = error;
    while ((t instanceof java.util.concurrent.CompletionException || t instanceof java.util.concurrent.ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    String reason;
    if (t instanceof java.net.http.HttpTimeoutException) reason = "timeout";
    else if (t instanceof java.net.ConnectException) reason = "connect";
    else reason = "network";
    return new Retry(reason);
  }
}
