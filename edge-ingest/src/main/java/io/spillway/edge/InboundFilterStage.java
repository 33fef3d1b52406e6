package io.spillway.edge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.spillway.runtime.SpillwayMetric;
import io.spillway.rules.filters.InboundFilters;
import io.spillway.schemas.Route;
import io.spillway.schemas.config.SpillwayConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sentry's inbound filters ({@code filters:}, per project {@code filters:}) as an edge stage: a
 * filtered event is answered like an accepted one and never stored; an envelope that loses only
 * some items is stored without them. Counted in {@code spillway_edge_filtered_total{route,filter}}.
 * Routes without filters are not looked at (not even their body).
 */
final class InboundFilterStage implements EventStage {
  private final Map<Route, InboundFilters> byRoute;
  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();

  private InboundFilterStage(Map<Route, InboundFilters> byRoute, MeterRegistry registry) {
    this.byRoute = byRoute;
    this.registry = registry;
  }

  /** The stage, or null when no route has a filter. */
  static InboundFilterStage of(SpillwayConfig config, MeterRegistry registry) {
    Map<Route, InboundFilters> byRoute = new HashMap<>();
    config.upstreams().forEach((u, up) -> up.projects().forEach((p, project) -> {
      if (project.filters() != null && !project.filters().isEmpty()) byRoute.put(new Route(u, p), InboundFilters.of(project.filters()));
    }));
    return byRoute.isEmpty() ? null : new InboundFilterStage(Map.copyOf(byRoute), registry);
  }

  @Override
  public Result apply(Input in) {
    InboundFilters filters = in.route() == null ? null : byRoute.get(in.route());
    if (filters == null) return new Keep(in);
    // the payload the edge's checks already decoded, when it did (small bodies): not decompressed twice
    boolean reuse = in.decoded() != null;
    InboundFilters.Verdict v = filters.check(new InboundFilters.Request(in.kind(), reuse ? in.decoded() : in.bodyBytes(),
        reuse ? null : in.contentEncoding(), in.contentType(), in.clientIp(), in.userAgent(), in.query()));
    if (v instanceof InboundFilters.Verdict.Drop d) {
      filtered(in.route(), d.filter().configName());
      return new Drop("filtered");
    }
    if (v instanceof InboundFilters.Verdict.Rewrite r) {
      filtered(in.route(), r.filter().configName());
      if (reuse) { // rewritten from the decoded payload: stored in the client's encoding again
        io.spillway.schemas.body.ContentEncoding enc = io.spillway.schemas.body.ContentEncoding.of(in.contentEncoding());
        return new Keep(in.withBody(enc.reencode(r.body()), enc.reencodedAs().token(), in.contentType(), r.body()));
      }
      return new Keep(in.withBody(r.body(), r.contentEncoding(), in.contentType()));
    }
    return new Keep(in);
  }

  private void filtered(Route route, String filter) {
    String id = route + "|" + filter;
    Counter c = counters.get(id);
    if (c == null) {
      c = counters.computeIfAbsent(id, k -> SpillwayMetric.EDGE_FILTERED.counter(route.toString(), filter).register(registry));
    }
    c.increment();
  }
}
