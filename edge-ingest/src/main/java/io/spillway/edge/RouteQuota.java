package io.spillway.edge;

import io.spillway.schemas.Route;
import io.spillway.schemas.config.RouteTable;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-route event quota ({@code quota_events_per_second}): a token bucket per route holding one
 * second's worth of events. Over it the edge answers 429 with {@code Retry-After} and
 * {@code X-Sentry-Rate-Limits}, so SDKs back off instead of piling events into Redis.
 */
final class RouteQuota {
  private final RouteTable routes;
  private final ConcurrentHashMap<Route, Bucket> buckets = new ConcurrentHashMap<>();

  RouteQuota(RouteTable routes) {
    if (routes == null) throw new NullPointerException("routes == null");
    this.routes = routes;
  }

  /** 0 if the event may pass (and takes its token), else whole seconds until it would. */
  long acquire(Route route, long nowNanos) {
    Bucket b = buckets.computeIfAbsent(route, r -> {
      double rate = routes.project(r).map(p -> p.quotaEventsPerSecond()).orElse(0.0);
      return rate > 0 ? new Bucket(rate, nowNanos) : Bucket.NONE;
    });
    return b == Bucket.NONE ? 0 : b.acquire(nowNanos);
  }

  private static final class Bucket {
    static final Bucket NONE = new Bucket(0, 0);
    private final double ratePerNano;
    private final double capacity;
    private double tokens;
    private long last;

    Bucket(double perSecond, long now) {
      this.ratePerNano = perSecond / 1e9;
      this.capacity = Math.max(1.0, perSecond);
      this.tokens = capacity;
      this.last = now;
    }

    synchronized long acquire(long now) {
      tokens = Math.min(capacity, tokens + (now - last) * ratePerNano);
      last = now;
      if (tokens >= 1.0) {
        tokens -= 1.0;
        return 0;
      }
      double waitNanos = (1.0 - tokens) / ratePerNano;
      return Math.max(1, (long) Math.ceil(waitNanos / 1e9));
    }
  }
}
