package io.spillway.schemas.config;

import java.time.Duration;

/**
 * {@code edge:} section. Keys, defaults and checks: {@link ConfigKeys}.
 *
 * @param listen            where SDKs connect
 * @param admin             health, readiness and metrics
 * @param publicUrl         the base URL apps should put in their DSN (for {@code spillway dsn}); null = from listen
 * @param instance          this edge's name in records and metrics
 * @param datacenter        this edge's datacenter in records
 * @param maxEventBytes     largest store/security/… body (Sentry: 1 MiB) → 413 above
 * @param maxEnvelopeBytes  largest envelope, minidump, unreal or attachment body → 413 above; the one size
 *                          limit of the whole pipeline (larger events travel as chunks)
 * @param readTimeout       a client that sends nothing for this long is disconnected (slow clients); also
 *                          the time allowed for the request line and headers
 * @param trustForwardedFor take the client IP from X-Forwarded-For (only behind a trusted proxy)
 * @param requestTimeout    a whole request (headers and body) must arrive within this, plus one second
 *                          per MiB of body beyond 10 MiB; slower clients get 408 and are disconnected
 * @param tunnelPath        the browser tunnel endpoint (envelopes authenticated by their {@code dsn} header)
 * @param allowedOrigins    CORS origins browsers may send from ({@code *} = any)
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
    boolean trustForwardedFor,
    Duration requestTimeout,
    String tunnelPath,
    java.util.List<String> allowedOrigins) {

  /** Bodies above this get one more second of request_timeout per MiB: at least 1 MiB/s is expected of them. */
  public static final long SLOW_BODY_THRESHOLD = 10L << 20;

  /** Whether a browser on {@code origin} may send here. */
  public boolean allowsOrigin(String origin) {
    return allowedOrigins.contains("*") || (origin != null && allowedOrigins.contains(origin));
  }

  /** How long a request with a body of {@code bodyBytes} may take to arrive, headers included. */
  public Duration requestDeadline(long bodyBytes) {
    long extraMiB = Math.max(0, bodyBytes - SLOW_BODY_THRESHOLD + (1 << 20) - 1) >> 20;
    return requestTimeout.plusSeconds(extraMiB);
  }
}
