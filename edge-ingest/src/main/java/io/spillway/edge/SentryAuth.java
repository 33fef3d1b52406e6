package io.spillway.edge;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The credentials of one request, from whichever of the auth forms carried them (sentry-protocol.md
 * §2): {@code X-Sentry-Auth} / {@code Authorization: Sentry …}, {@code Authorization: Basic},
 * the query string, a path segment, or an envelope's {@code dsn}. Only the key (and, for the legacy
 * {@code upstream:project} DSN form, the secret) select the route; client and version are kept for
 * re-delivery. {@code toString()} never shows key or secret.
 *
 * @param key     sentry_key (required)
 * @param secret  sentry_secret, or null
 * @param client  sentry_client, or null
 * @param version sentry_version as sent, or null
 */
record SentryAuth(String key, String secret, String client, String version) {
  /** Relay rejects versions above its protocol version (sentry-types LATEST). */
  static final int MAX_PROTOCOL_VERSION = 7;

  SentryAuth {
    if (key == null) throw new NullPointerException("key == null");
  }

  /**
   * Parses {@code Sentry sentry_key=…, sentry_version=7, …} (the value of {@code X-Sentry-Auth} or
   * {@code Authorization}), as sentry-types' {@code Auth} does: prefix {@code sentry} (any case),
   * pairs split on {@code ,}, each trimmed, unknown keys ignored.
   */
  static SentryAuth parseHeader(String value) {
    if (value == null) throw ProtocolException.unauthorized("missing authorization information");
    String v = value.trim();
    if (!hasSentryPrefix(v)) throw ProtocolException.unauthorized("bad x-sentry-auth header");
    String key = null, secret = null, client = null, version = null;
    for (String pair : v.substring(6).split(",", -1)) {
      int eq = pair.indexOf('=');
      if (eq < 0) continue;
      String k = pair.substring(0, eq).trim();
      String val = pair.substring(eq + 1).trim();
      switch (k) {
        case "sentry_key" -> key = val;
        case "sentry_secret" -> secret = val;
        case "sentry_client" -> client = val;
        case "sentry_version" -> version = val;
        default -> { /* sentry_timestamp and unknown keys: ignored, as Relay does */ }
      }
    }
    return of(key, secret, client, version, "bad x-sentry-auth header");
  }

  /** {@code Basic base64(<public_key>:<anything>)}: only the part before {@code :} is used. */
  static SentryAuth parseBasic(String value) {
    if (value == null) throw ProtocolException.unauthorized("missing authorization information");
    String v = value.trim();
    if (v.length() < 6 || !v.regionMatches(true, 0, "basic ", 0, 6)) {
      throw ProtocolException.unauthorized("bad authorization header");
    }
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(v.substring(6).trim()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw ProtocolException.unauthorized("bad authorization header");
    }
    int colon = decoded.indexOf(':');
    String key = colon < 0 ? decoded : decoded.substring(0, colon);
    return of(key, null, null, null, "bad authorization header");
  }

  /** From query parameters ({@code ?sentry_key=…&sentry_version=7}); the values are already decoded. */
  static SentryAuth fromQuery(QueryString query) {
    return of(query.first("sentry_key"), query.first("sentry_secret"), query.first("sentry_client"),
        query.first("sentry_version"), "bad sentry_key in query string");
  }

  /** Which header form an {@code Authorization} value is, or null if neither. */
  static boolean hasSentryPrefix(String v) {
    return v.length() >= 7 && v.regionMatches(true, 0, "sentry", 0, 6) && Character.isWhitespace(v.charAt(6));
  }

  static SentryAuth of(String key, String secret, String client, String version, String badDetail) {
    if (key == null || key.isEmpty()) throw ProtocolException.unauthorized("missing public key in auth header");
    if (!isPrintable(key) || secret != null && !isPrintable(secret)) throw ProtocolException.unauthorized(badDetail);
    if (version != null && !version.isEmpty()) {
      String major = version.indexOf('.') >= 0 ? version.substring(0, version.indexOf('.')) : version;
      int n;
      try {
        n = Integer.parseInt(major.trim());
      } catch (NumberFormatException e) {
        throw ProtocolException.unauthorized(badDetail);
      }
      if (n > MAX_PROTOCOL_VERSION) throw ProtocolException.badRequest("unsupported protocol version");
    }
    return new SentryAuth(key, secret == null || secret.isEmpty() || secret.equals("null") ? null : secret,
        blankToNull(client), blankToNull(version));
  }

  private static boolean isPrintable(String s) {
    if (s.length() > 256) return false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= 0x20 || c == 0x7f) return false;
    }
    return true;
  }

  private static String blankToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  @Override
  public String toString() {
    return "SentryAuth{key=***, secret=" + (secret == null ? "unset" : "***") + ", client=" + client
        + ", version=" + version + "}";
  }
}
