package io.spillway.runtime.status;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.util.Deque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The status page for {@code AdminServer.route("/status", new StatusPage(status))}: HTML that
 * refreshes itself (inline script, no external assets: the page must work on a closed network);
 * {@code ?format=text} gives the terminal view.
 */
public final class StatusPage implements HttpHandler {
  static final int REFRESH_SECONDS = 2;
  private final PipelineStatus status;
  /**
   * Scrapes run on threads of their own, not on the admin server's two workers: a service showing
   * this page scrapes its own {@code /metrics} and {@code /readyz}, which need those workers; a
   * few browsers waiting on the page must not take all of them (they would wait for themselves
   * until the scrape timed out and the service showed as unreachable).
   */
  private final ExecutorService scrapers = Executors.newFixedThreadPool(2, r -> {
    Thread t = new Thread(r, "spillway-status-page");
    t.setDaemon(true);
    return t;
  });
  private final ThreadLocal<Boolean> onScraper = ThreadLocal.withInitial(() -> false);

  /** The page for a service's admin port: the whole pipeline, as the config describes it. */
  public static StatusPage forConfig(io.spillway.schemas.config.SpillwayConfig config) {
    return new StatusPage(PipelineStatus.forConfig(config));
  }

  public StatusPage(PipelineStatus status) {
    if (status == null) throw new NullPointerException("status == null");
    this.status = status;
  }

  @Override
  public void handleRequest(HttpServerExchange ex) {
    if (!onScraper.get()) {
      ex.dispatch(scrapers, e -> {
        onScraper.set(true);
        handleRequest(e);
      });
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
