package io.spillway.schemas.config;

import java.time.Duration;

/**
 * {@code edge:} section.
 *
 * @param listen            where SDKs connect
 * @param admin             health, readiness and metrics
 * @param publicUrl         the base URL apps should put in their DSN (for {@code spillway dsn}); null = from listen
 * @param instance          this edge's name in records and metrics
 * @param datacenter        this edge's datacenter in records
 * @param maxEventBytes     largest store/security/… body (Sentry: 1 MiB) → 413 above
 * @param maxEnvelopeBytes  largest envelope, minidump, unreal or attachment body (Sentry: 200 MiB) → 413 above
 * @param readTimeout       a client that sends nothing for this long is disconnected (slow clients)
 * @param trustForwardedFor take the client IP from X-Forwarded-For (only behind a trusted proxy)
 */
public record EdgeConfig(
    HostPort listen,
    HostPort admin,
    String publicUrl,
    String instance,
    String datacenter,
    long maxEventBytes,
    long maxEnvelopeBytes,
    Duration readTimeout,
    boolean trustForwardedFor) {

  public static final String DEFAULT_LISTEN = "0.0.0.0:9000";
  public static final String DEFAULT_ADMIN = "127.0.0.1:9100";
  public static final long DEFAULT_MAX_EVENT_BYTES = 1L << 20;
  public static final long DEFAULT_MAX_ENVELOPE_BYTES = 200L << 20;
  public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(10);
  public static final String DEFAULT_DATACENTER = "default";
}
