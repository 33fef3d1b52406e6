package io.spillway.launcher;

import io.spillway.schemas.Route;
import io.spillway.schemas.config.HostPort;
import io.spillway.testkit.SentryUpstream;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** The page {@code spillway up} serves: DSNs, each service's readiness, and what the inspector received. */
final class UpPage implements HttpHandler {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
  private final Up up;

  UpPage(Up up) {
    this.up = up;
  }

  @Override
  public void handleRequest(HttpServerExchange ex) {
    StringBuilder h = new StringBuilder(8192);
    h.append("<!doctype html><html><head><meta charset=utf-8><meta http-equiv=refresh content=2>")
        .append("<title>Spillway up</title><style>body{font:14px system-ui,sans-serif;margin:2em}")
        .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}")
        .append(".ok{color:#080}.bad{color:#b00}code{background:#f4f4f4;padding:1px 4px}</style></head><body>")
        .append("<h1>Spillway</h1><h2>Services</h2><table><tr><th>service</th><th>ready</th><th>detail</th></tr>");
    service(h, "edge", up.config.edge().admin());
    service(h, "bridge", up.config.bridge().admin());
    service(h, "delivery", up.config.delivery().admin());
    h.append("</table><h2>DSNs</h2><table><tr><th>route</th><th>DSN</th></tr>");
    up.config.upstreams().values().forEach(u -> u.projects().values().forEach(p -> {
      Route r = new Route(u.name(), p.name());
      h.append("<tr><td>").append(esc(r.toString())).append("</td><td><code>")
          .append(esc(Dsn.forRoute(up.config, r))).append("</code></td></tr>");
    }));
    h.append("</table>");
    SentryUpstream inspector = up.inspector;
    if (inspector != null) {
      List<SentryUpstream.Received> all = inspector.requests();
      h.append("<h2 id=inspector>Inspector: ").append(all.size()).append(" received</h2>")
          .append("<table><tr><th>arrived</th><th>status</th><th>path</th><th>event id</th><th>body</th></tr>");
      for (int i = all.size() - 1; i >= Math.max(0, all.size() - 50); i--) {
        SentryUpstream.Received r = all.get(i);
        String text = r.decodedText() == null ? "(undecodable)" : r.decodedText();
        if (text.length() > 160) text = text.substring(0, 160) + "…";
        h.append("<tr class=event><td>").append(Instant.ofEpochMilli(r.arrivedAt())).append("</td><td>").append(r.status())
            .append("</td><td>").append(esc(r.path())).append("</td><td>").append(esc(String.valueOf(r.eventId())))
            .append("</td><td><code>").append(esc(text)).append("</code></td></tr>");
      }
      h.append("</table>");
    }
    h.append("</body></html>");
    ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/html; charset=utf-8");
    ex.getResponseSender().send(h.toString());
  }

  private static void service(StringBuilder h, String name, HostPort admin) {
    String host = admin.host().equals("0.0.0.0") ? "127.0.0.1" : admin.host();
    String url = "http://" + host + ":" + admin.port();
    String ready;
    String detail;
    try {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/readyz")).timeout(Duration.ofSeconds(1)).build(),
          HttpResponse.BodyHandlers.ofString());
      ready = r.statusCode() == 200 ? "<span class=ok>ready</span>" : "<span class=bad>not ready</span>";
      detail = r.body();
    } catch (Exception e) {
      ready = "<span class=bad>unreachable</span>";
      detail = e.getClass().getSimpleName();
    }
    h.append("<tr><td><a href='").append(url).append("/metrics'>").append(name).append("</a></td><td>").append(ready)
        .append("</td><td><code>").append(esc(detail)).append("</code></td></tr>");
  }

  static String esc(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
