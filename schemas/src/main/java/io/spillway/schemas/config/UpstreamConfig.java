package io.spillway.schemas.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * One Sentry server under {@code upstreams:}. Keys, defaults and checks: {@link ConfigKeys}.
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
    private static final String EXPECTED = "expected http://[user:password@]host:port";

    /**
     * Reads {@code http://[user:pass@]host:port} (user and password %-escaped); "" is no proxy
     * (null), so that {@code ${HTTPS_PROXY:-}} can leave it unset. No message repeats the text: it
     * may hold a password.
     */
    static Proxy parse(String text) {
      if (text.isEmpty()) return null;
      URI uri;
      try {
        uri = new URI(text);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException(EXPECTED + " (not a URL: " + e.getReason() + ")");
      }
      if (!"http".equalsIgnoreCase(uri.getScheme())) {
        throw new IllegalArgumentException(EXPECTED + " (only HTTP proxies are supported; https upstreams go through them by CONNECT)");
      }
      if (uri.getHost() == null || uri.getPort() < 0) throw new IllegalArgumentException(EXPECTED + " (the host and the port are required)");
      if ((uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/"))
          || uri.getRawQuery() != null || uri.getRawFragment() != null) {
        throw new IllegalArgumentException(EXPECTED + " (no path, query or fragment)");
      }
      String user = null;
      String password = null;
      String info = uri.getRawUserInfo();
      if (info != null) {
        int colon = info.indexOf(':');
        try {
          user = percentDecode(colon < 0 ? info : info.substring(0, colon));
          password = colon < 0 ? "" : percentDecode(info.substring(colon + 1));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("the user or password has a bad %-escape");
        }
        if (user.isEmpty()) throw new IllegalArgumentException("the user name is empty");
      }
      String host = uri.getHost();
      if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
      return new Proxy(host, uri.getPort(), user, password);
    }

    /** %XX escapes as UTF-8 ('+' stays '+': this is a URL's user info, not a form). */
    private static String percentDecode(String s) {
      if (s.indexOf('%') < 0) return s;
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c != '%') {
          out.writeBytes(String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8));
          continue;
        }
        if (i + 2 >= s.length()) throw new IllegalArgumentException("bad escape");
        int hi = Character.digit(s.charAt(i + 1), 16);
        int lo = Character.digit(s.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) throw new IllegalArgumentException("bad escape");
        out.write(hi << 4 | lo);
        i += 2;
      }
      return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

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
