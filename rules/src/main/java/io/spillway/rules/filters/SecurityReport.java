package io.spillway.rules.filters;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * The facts of a browser security report (CSP, Expect-CT, HPKP, Expect-Staple) as Relay turns it
 * into an event before filtering: the user IP is the client IP, the User-Agent is the request's,
 * the URL is the CSP report's {@code document-uri} (or the Reporting API's {@code documentURL}),
 * release and environment come from the {@code sentry_release} / {@code sentry_environment} query
 * parameters.
 */
final class SecurityReport {
  private SecurityReport() {}

  static EventFacts facts(byte[] json, String clientIp, String userAgent, String query) throws IOException {
    EventFacts f = new EventFacts();
    f.userIp = clientIp != null && IpLiterals.isIp(clientIp) ? clientIp : null;
    if (userAgent != null) f.headers.put("user-agent", userAgent);
    f.release = queryParam(query, "sentry_release");
    f.environment = queryParam(query, "sentry_environment");
    f.url = documentUri(json);
    return f;
  }

  /** {@code csp-report.document-uri}, or {@code body.documentURL} / {@code url} of the first Reporting API report. */
  private static String documentUri(byte[] json) throws IOException {
    try (JsonParser p = EventFacts.JSON.createParser(json)) {
      JsonToken t = p.nextToken();
      if (t == JsonToken.START_ARRAY) {
        t = p.nextToken();
        if (t != JsonToken.START_OBJECT) return null;
        String url = null;
        String name;
        while ((name = p.nextFieldName()) != null) {
          JsonToken v = p.nextToken();
          if (name.equals("url") && v == JsonToken.VALUE_STRING) {
            url = p.getText();
          } else if (name.equals("body") && v == JsonToken.START_OBJECT) {
            String doc = field(p, "documentURL");
            if (doc != null) return doc;
          } else {
            p.skipChildren();
          }
        }
        return url;
      }
      if (t != JsonToken.START_OBJECT) return null;
      String name;
      while ((name = p.nextFieldName()) != null) {
        JsonToken v = p.nextToken();
        if (name.equals("csp-report") && v == JsonToken.START_OBJECT) return field(p, "document-uri");
        p.skipChildren();
      }
      return null;
    }
  }

  /** A string field of the object the parser is in (consumes the object). */
  private static String field(JsonParser p, String wanted) throws IOException {
    String found = null;
    String name;
    while ((name = p.nextFieldName()) != null) {
      JsonToken v = p.nextToken();
      if (name.equals(wanted) && v == JsonToken.VALUE_STRING) found = p.getText();
      else p.skipChildren();
    }
    return found;
  }

  static String queryParam(String query, String name) {
    if (query == null || query.isEmpty()) return null;
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      if (URLDecoder.decode(k, StandardCharsets.UTF_8).equals(name)) {
        return eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      }
    }
    return null;
  }
}
