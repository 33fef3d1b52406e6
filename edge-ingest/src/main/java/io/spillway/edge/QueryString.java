package io.spillway.edge;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A raw query string, kept raw: the record stores it as received minus the credentials, so
 * re-delivery sends the same parameters (sentry_version, sentry_client, sentry_data …).
 */
final class QueryString {
  private final String raw;
  private final List<String[]> pairs; // {rawPair, decodedName, decodedValue}

  private QueryString(String raw, List<String[]> pairs) {
    this.raw = raw;
    this.pairs = pairs;
  }

  static QueryString parse(String raw) {
    List<String[]> pairs = new ArrayList<>();
    if (raw != null && !raw.isEmpty()) {
      for (String p : raw.split("&")) {
        if (p.isEmpty()) continue;
        int eq = p.indexOf('=');
        String name = decode(eq < 0 ? p : p.substring(0, eq));
        String value = eq < 0 ? "" : decode(p.substring(eq + 1));
        pairs.add(new String[] {p, name, value});
      }
    }
    return new QueryString(raw == null ? "" : raw, pairs);
  }

  /** The first value of {@code name}, or null. */
  String first(String name) {
    for (String[] p : pairs) if (p[1].equals(name)) return p[2];
    return null;
  }

  boolean has(String name) {
    return first(name) != null;
  }

  /** The query without sentry_key and sentry_secret, or null if nothing is left. */
  String withoutCredentials() {
    if (!has("sentry_key") && !has("sentry_secret")) return raw.isEmpty() ? null : raw;
    StringBuilder b = new StringBuilder(raw.length());
    for (String[] p : pairs) {
      if (p[1].equals("sentry_key") || p[1].equals("sentry_secret")) continue;
      if (b.length() > 0) b.append('&');
      b.append(p[0]);
    }
    return b.length() == 0 ? null : b.toString();
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s; // malformed %-escape: keep it raw; it will not match a known key
    }
  }
}
