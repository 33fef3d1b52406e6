package io.spillway.schemas.config;

import java.net.URI;
import java.nio.file.Path;
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
 * @param tls         https only: the CA to trust instead of the JVM's, and a client certificate; never null
 * @param proxy       the egress proxy to reach it through, or null
 * @param http2       whether HTTP/2 may be used (over TLS, when the server offers it by ALPN)
 */
public record UpstreamConfig(
    String name,
    URI url,
    RateLimit rateLimit,
    int maxInFlight,
    Duration timeout,
    Map<String, ProjectConfig> projects,
    Tls tls,
    Proxy proxy,
    Http2 http2) {

  public static final int DEFAULT_MAX_IN_FLIGHT = 64;
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

  /** Token bucket: refills {@code eventsPerSecond}, holds at most {@code burst}. */
  public record RateLimit(double eventsPerSecond, int burst) {}

  /**
   * {@code upstreams.<u>.tls}: PEM files, absolute (relative ones are resolved against the config
   * file's directory when it is read). Host-name verification is always on.
   *
   * @param caFile         certificates to trust instead of the JVM's trust store; null = the JVM's
   * @param clientCertFile the client certificate (chain) to present; null = none
   * @param clientKeyFile  its private key, PKCS#8 ({@code BEGIN PRIVATE KEY}); set with clientCertFile
   */
  public record Tls(Path caFile, Path clientCertFile, Path clientKeyFile) {
    public static final Tls DEFAULT = new Tls(null, null, null);
  }

  /**
   * {@code upstreams.<u>.proxy}: an HTTP proxy ({@code http://[user:pass@]host:port}); https
   * upstreams are reached through a {@code CONNECT} tunnel, http ones with absolute-form requests.
   * {@link #toString} never shows the password, nor the user name.
   */
  public record Proxy(String host, int port, String username, String password) {
    /** {@code http://host:port}, with {@code ***@} when it has credentials: safe to print. */
    public String redacted() {
      return "http://" + (username == null ? "" : "***@") + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    @Override
    public String toString() {
      return redacted();
    }
  }

  /** {@code upstreams.<u>.http2}. */
  public enum Http2 {
    /** HTTP/2 when the server offers it during the TLS handshake (ALPN), HTTP/1.1 otherwise. */
    AUTO,
    /** HTTP/1.1 only. */
    OFF
  }
}
