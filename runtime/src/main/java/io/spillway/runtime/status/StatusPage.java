package io.spillway.runtime.status;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.util.Deque;

/**
 * The status page for {@code AdminServer.route("/status", new StatusPage(status))}: HTML that
 * refreshes itself (inline script, no external assets: the page must work on a closed network);
 * {@code ?format=text} gives the terminal view.
 */
public final class StatusPage implements HttpHandler {
  static final int REFRESH_SECONDS = 2;
  private final PipelineStatus status;

  public StatusPage(PipelineStatus status) {
    if (status == null) throw new NullPointerException("status == null");
    this.status = status;
  }

  @Override
  public void handleRequest(HttpServerExchange ex) {
    if (ex.isInIoThread()) {
      ex.dispatch(this); // scraping blocks for up to a few seconds: not on the IO thread
      return;
    }
    StatusSnapshot s = status.snapshot();
    Deque<String> format = ex.getQueryParameters().get("format");
    ex.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-store");
    if (format != null && "text".equals(format.peekFirst())) {
      ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; charset=utf-8");
      ex.getResponseSender().send(s.text());
    } else {
      ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/html; charset=utf-8");
      ex.getResponseSender().send(s.html(REFRESH_SECONDS));
    }
  }
}
