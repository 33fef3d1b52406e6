package io.spillway.schemas.config;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * One Sentry server under {@code upstreams:}.
 *
 * @param name        the key under {@code upstreams:}
 * @param url         base URL, e.g. {@code https://sentry.example.com} (a sub-path is kept)
 * @param rateLimit   events/s and burst for the whole delivery fleet; null = unlimited
 * @param maxInFlight concurrent requests to this upstream across the fleet
 * @param timeout     time to response headers before a request counts as a network error
 * @param projects    by project name
 */
public record UpstreamConfig(
    String name,
    URI url,
    RateLimit rateLimit,
    int maxInFlight,
    Duration timeout,
    Map<String, ProjectConfig> projects) {

  public static final int DEFAULT_MAX_IN_FLIGHT = 64;
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

  /** Token bucket: refills {@code eventsPerSecond}, holds at most {@code burst}. */
  public record RateLimit(double eventsPerSecond, int burst) {}
}
