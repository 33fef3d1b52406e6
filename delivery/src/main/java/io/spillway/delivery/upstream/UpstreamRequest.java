package io.spillway.delivery.upstream;

import io.spillway.delivery.http.UpstreamClient;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.config.ProjectConfig;
import io.spillway.schemas.config.UpstreamConfig;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The request that re-delivers a buffered event to its real Sentry (architecture.md, Delivery):
 * upstream URL (its sub-path kept) + the original endpoint path with the real project id, auth
 * with the real key (and secret), the original Content-Type, Content-Encoding, User-Agent and
 * query, {@code X-Forwarded-For} with the client's IP, and the body unchanged except an
 * envelope's {@code sent_at}.
 *
 * <p>Auth goes where Relay looks for it and nowhere else, since Relay answers 401 to "multiple
 * authorization payloads": the path for unreal; the query when the query must carry other
 * {@code sentry_*} parameters (GET store beacons, security reports) or for security/CSP/NEL
 * endpoints (browsers send those without headers); otherwise {@code X-Sentry-Auth}.
 *
 * @param method      HTTP method
 * @param uri         full URL, including the query; may hold a key in path/query: never log it
 * @param headers     name/value pairs, in order; may hold the key: never log them
 * @param body        what to send
 * @param rewritten   true when sent_at was rewritten (and the body re-encoded)
 */
public record UpstreamRequest(String method, URI uri, List<String[]> headers, byte[] body, boolean rewritten)
    implements UpstreamClient.Request {

  static final String DEFAULT_SENTRY_VERSION = "7";

  public static UpstreamRequest build(BufferedEvent e, UpstreamConfig upstream, ProjectConfig project, long nowMillis) {
    String path = realPath(e.path(), e.kind(), project);
    List<String> query = new ArrayList<>();
    String queryVersion = null;
    String queryClient = null;
    boolean queryNeedsAuth = e.kind() == EndpointKind.SECURITY || e.kind() == EndpointKind.CSP_REPORT
        || e.kind() == EndpointKind.NEL;
    if (e.query() != null && !e.query().isEmpty()) {
      for (String pair : e.query().split("&")) {
        if (pair.isEmpty()) continue;
        String name = pair.indexOf('=') < 0 ? pair : pair.substring(0, pair.indexOf('='));
        String value = pair.indexOf('=') < 0 ? "" : pair.substring(pair.indexOf('=') + 1);
        switch (name) {
          case "sentry_key", "sentry_secret", "sentry_timestamp" -> { } // auth is rebuilt below
          case "sentry_version" -> queryVersion = value;
          case "sentry_client" -> queryClient = value;
          default -> {
            if (name.startsWith("sentry_")) queryNeedsAuth = true;
            query.add(pair);
          }
        }
      }
    }
    String version = e.sentryVersion() != null ? e.sentryVersion()
        : queryVersion != null ? decode(queryVersion) : DEFAULT_SENTRY_VERSION;
    String client = e.sentryClient() != null ? e.sentryClient() : queryClient != null ? decode(queryClient) : null;

    List<String[]> headers = new ArrayList<>(8);
    if (e.kind() == EndpointKind.UNREAL) {
      // the key is in the path (realPath); no second auth payload
    } else if (queryNeedsAuth) {
      query.add("sentry_version=" + enc(version));
      if (client != null) query.add("sentry_client=" + enc(client));
      query.add("sentry_key=" + enc(project.key()));
      if (project.secret() != null) query.add("sentry_secret=" + enc(project.secret()));
    } else {
      StringBuilder auth = new StringBuilder("Sentry sentry_version=").append(version);
      if (client != null) auth.append(", sentry_client=").append(client);
      auth.append(", sentry_key=").append(project.key());
      if (project.secret() != null) auth.append(", sentry_secret=").append(project.secret());
      headers.add(new String[] {"X-Sentry-Auth", auth.toString()});
    }

    byte[] body = e.body();
    String encoding = e.contentEncoding();
    boolean rewritten = false;
    if (isEnvelope(e) && body.length > 0) {
      try {
        EnvelopeBody.Rewritten fixed = EnvelopeBody.withSentAtShifted(body, encoding, Math.max(0, nowMillis - e.receivedAt()));
        if (fixed != null) {
          rewritten = true;
          body = fixed.body();
          encoding = fixed.contentEncoding();
        }
      } catch (IOException | RuntimeException ignored) {
        // Undecodable: send it exactly as the client did; the upstream will judge it (400 → DLQ).
      }
    }
    addHeader(headers, "Content-Type", e.contentType());
    if (encoding != null && !encoding.isEmpty()) addHeader(headers, "Content-Encoding", encoding);
    addHeader(headers, "User-Agent", e.userAgent());
    addHeader(headers, "X-Forwarded-For", e.clientIp());

    String base = upstream.url().toString();
    while (base.endsWith("/")) base = base.substring(0, base.length() - 1);
    String url = base + escape(path) + (query.isEmpty() ? "" : "?" + escape(String.join("&", query)));
    return new UpstreamRequest(e.method(), URI.create(url), List.copyOf(headers), body, rewritten);
  }

  /** Header values as recorded, minus characters no HTTP/1.1 client may send (CR, LF, other controls). */
  private static void addHeader(List<String[]> headers, String name, String value) {
    if (value == null) return;
    String v = value;
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        StringBuilder b = new StringBuilder(v.length());
        for (int j = 0; j < v.length(); j++) {
          char d = v.charAt(j);
          if (!((d < 0x20 && d != '\t') || d == 0x7f)) b.append(d);
        }
        v = b.toString();
        break;
      }
    }
    v = v.trim();
    if (!v.isEmpty()) headers.add(new String[] {name, v});
  }

  /**
   * Percent-encodes what a URI may not contain raw (spaces, quotes, braces, non-ASCII… as old
   * beacons send them), keeping everything else, including existing %XX escapes, as it was.
   */
  static String escape(String s) {
    StringBuilder b = null;
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      int c = bytes[i] & 0xff;
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || "-._~!$&'()*+,;=:@/?".indexOf(c) >= 0
          || (c == '%' && i + 2 < bytes.length && isHex(bytes[i + 1]) && isHex(bytes[i + 2]));
      if (ok && b == null) continue;
      if (b == null) b = new StringBuilder(new String(bytes, 0, i, StandardCharsets.UTF_8));
      if (ok) b.append((char) c);
      else b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
          .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
    }
    return b == null ? s : b.toString();
  }

  private static boolean isHex(byte c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  /** The value of a header (tests). */
  String header(String name) {
    for (String[] h : headers) if (h[0].equalsIgnoreCase(name)) return h[1];
    return null;
  }

  public static boolean isEnvelope(BufferedEvent e) {
    return e.kind() == EndpointKind.ENVELOPE
        || (e.contentType() != null && e.contentType().toLowerCase(Locale.ROOT).startsWith("application/x-sentry-envelope"));
  }

  /**
   * The original path with the real project id: {@code /api/<id>/...}; the legacy
   * {@code /api/store/} (no id) gets one too; unreal gets the real key as its last segment.
   */
  static String realPath(String path, EndpointKind kind, ProjectConfig project) {
    String id = Long.toString(project.id());
    String rest; // what follows /api/<id>
    if (path.startsWith("/api/")) {
      String after = path.substring("/api/".length());
      int slash = after.indexOf('/');
      String first = slash < 0 ? after : after.substring(0, slash);
      if (!first.isEmpty() && first.chars().allMatch(Character::isDigit)) {
        rest = slash < 0 ? "/" : after.substring(slash);
      } else {
        rest = "/" + after; // /api/store/ → /api/<id>/store/
      }
    } else {
      rest = path.startsWith("/") ? path : "/" + path; // not a Sentry path: keep it under /api/<id>
    }
    String out = "/api/" + id + rest;
    if (kind == EndpointKind.UNREAL) {
      int i = out.indexOf("/unreal/");
      if (i >= 0) out = out.substring(0, i) + "/unreal/" + project.key() + "/";
    }
    return out;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String decode(String s) {
    try {
      return java.net.URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s;
    }
  }

  /** Never the URL or headers: they carry the real key. */
  @Override
  public String toString() {
    return "UpstreamRequest{" + method + " " + uri.getPath().replaceAll("/unreal/[^/]+", "/unreal/***") + "}";
  }
}
