package io.spillway.runtime;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spillway.schemas.Json;
import io.spillway.schemas.config.HostPort;
import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.PathHandler;
import io.undertow.util.Headers;
import io.undertow.util.StatusCodes;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The admin port every service has: {@code /healthz} (the process serves), {@code /readyz} (every
 * registered {@link Component} is ok; 503 with the failing ones otherwise), {@code /metrics}
 * (Prometheus text), plus whatever pages a service adds (status page). Kept apart from the
 * traffic port so a flood of SDK traffic cannot starve health checks, and so it can bind to
 * loopback only.
 */
public final class AdminServer implements AutoCloseable {
  private final PrometheusMeterRegistry registry;
  private final List<Component> components = new CopyOnWriteArrayList<>();
  private final PathHandler paths = new PathHandler();
  private final Undertow server;

  public AdminServer(HostPort listen, PrometheusMeterRegistry registry) {
    if (listen == null) throw new NullPointerException("listen == null");
    if (registry == null) throw new NullPointerException("registry == null");
    this.registry = registry;
    paths.addExactPath("/healthz", ex -> text(ex, 200, "ok\n"));
    paths.addExactPath("/readyz", this::ready);
    paths.addExactPath("/metrics", ex -> {
      ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
      ex.getResponseSender().send(registry.scrape());
    });
    server = Undertow.builder()
        .addHttpListener(listen.port(), listen.host())
        .setIoThreads(1)
        .setWorkerThreads(2)
        .setHandler(ex -> {
          if (ex.isInIoThread()) {
            ex.dispatch(paths); // checks and scrapes may take a few ms: not on the IO thread
          } else {
            paths.handleRequest(ex);
          }
        })
        .build();
  }

  public AdminServer register(Component component) {
    components.add(component);
    return this;
  }

  /** Adds a page, e.g. {@code /status} or {@code /}. Handlers run on a worker thread. */
  public AdminServer route(String exactPath, HttpHandler handler) {
    paths.addExactPath(exactPath, handler);
    return this;
  }

  public AdminServer start() {
    server.start();
    return this;
  }

  /** The bound port (useful when configured with port 0). */
  public int port() {
    return ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Every component's check, in registration order. */
  public Map<String, CheckResult> checks() {
    Map<String, CheckResult> out = new LinkedHashMap<>();
    for (Component c : components) {
      CheckResult r;
      try {
        r = c.check();
      } catch (RuntimeException e) {
        r = CheckResult.failed("check threw " + e.getClass().getSimpleName());
      }
      out.put(c.name(), r);
    }
    return out;
  }

  private void ready(HttpServerExchange ex) {
    Map<String, CheckResult> checks = checks();
    boolean ok = checks.values().stream().allMatch(CheckResult::ok);
    StringBuilder json = new StringBuilder("{\"ready\":").append(ok).append(",\"checks\":{");
    boolean first = true;
    for (Map.Entry<String, CheckResult> e : checks.entrySet()) {
      if (!first) json.append(',');
      first = false;
      json.append(Json.quote(e.getKey())).append(":{\"ok\":").append(e.getValue().ok())
          .append(",\"detail\":").append(Json.quote(e.getValue().detail())).append('}');
    }
    json.append("}}\n");
    ex.setStatusCode(ok ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE);
    ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
    ex.getResponseSender().send(json.toString());
  }

  private static void text(HttpServerExchange ex, int status, String body) {
    ex.setStatusCode(status);
    ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; charset=utf-8");
    ex.getResponseSender().send(body);
  }

  @Override
  public void close() {
    server.stop();
  }
}
