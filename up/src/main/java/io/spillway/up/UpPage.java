package io.spillway.up;

import io.spillway.launcher.Dsn;
import io.spillway.runtime.Html;
import io.spillway.schemas.Route;
import io.spillway.testkit.SentryUpstream;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.time.Instant;
import java.util.List;

/** The page {@code spillway up} serves: DSNs, a link to the status page, and what the inspector received. */
final class UpPage implements HttpHandler {
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
        .append("<h1>Spillway</h1><p>Pipeline health, backlog, lag and upstreams: <a href='/status'>status page</a>.</p>");
    h.append("<h2>DSNs</h2><table><tr><th>route</th><th>DSN</th></tr>");
    up.config.upstreams().values().forEach(u -> u.projects().values().forEach(p -> {
      Route r = new Route(u.name(), p.name());
      h.append("<tr><td>").append(Html.escape(r.toString())).append("</td><td><code>")
          .append(Html.escape(Dsn.forRoute(up.config, r))).append("</code></td></tr>");
    }));
    h.append("</table>");
    SentryUpstream inspector = up.inspector;
    if (inspector != null) {
      List<SentryUpstream.Received> all = inspector.requests();
      h.append("<h2 id=inspector>Inspector: ").append(inspector.receivedCount()).append(" received</h2>")
          .append("<table><tr><th>arrived</th><th>status</th><th>path</th><th>event id</th><th>body</th></tr>");
      for (int i = all.size() - 1; i >= Math.max(0, all.size() - 50); i--) {
        SentryUpstream.Received r = all.get(i);
        String text = r.decodedText() == null ? "(undecodable)" : r.decodedText();
        if (text.length() > 160) text = text.substring(0, 160) + "…";
        h.append("<tr class=event><td>").append(Instant.ofEpochMilli(r.arrivedAt())).append("</td><td>").append(r.status())
            .append("</td><td>").append(Html.escape(r.path())).append("</td><td>").append(Html.escape(String.valueOf(r.eventId())))
            .append("</td><td><code>").append(Html.escape(text)).append("</code></td></tr>");
      }
      h.append("</table>");
    }
    h.append("</body></html>");
    ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/html; charset=utf-8");
    ex.getResponseSender().send(h.toString());
  }
}
