package io.spillway.delivery.limits;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.spillway.runtime.SpillwayMetric;
import io.spillway.rules.fingerprint.IssueKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The quota guard's series, shared by every task of an instance:
 * <pre>
 * spillway_delivery_quota_guard_dropped_total{route}      events dropped by the guard
 * spillway_delivery_quota_guard_capped{route,issue,title}  the top issues being capped now: events dropped
 *                                                          in their current window (at most {@link #TOP} series)
 * </pre>
 * {@code issue} is the issue key's hash (hex), {@code title} its short label (exception type and the
 * first line of its value, or the message), as the SDK sent it.
 */
public final class QuotaGuardMetrics {
  static final int TOP = 10;
  /** How often (wall clock) the top list is recomputed. */
  static final long REFRESH_MS = 1_000;

  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, Counter> dropped = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Capped> capped = new ConcurrentHashMap<>();
  private final MultiGauge top;
  private volatile long lastRefresh;

  private static final class Capped {
    final String route, issue, title;
    final long window, windowMillis;
    volatile long dropped;

    Capped(String route, String issue, String title, long window, long windowMillis) {
      this.route = route;
      this.issue = issue;
      this.title = title;
      this.window = window;
      this.windowMillis = windowMillis;
    }
  }

  public QuotaGuardMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.top = SpillwayMetric.DELIVERY_QUOTA_GUARD_CAPPED.multiGauge().register(registry);
  }

  void dropped(String route, IssueKey issue, long window, long windowMillis, long nowMillis) {
    dropped.computeIfAbsent(route, r -> SpillwayMetric.DELIVERY_QUOTA_GUARD_DROPPED.counter(r).register(registry)).increment();
    String id = route + "|" + Long.toHexString(issue.hash());
    Capped c = capped.compute(id, (k, old) -> old != null && old.window == window ? old
        : new Capped(route, String.format("%016x", issue.hash()), issue.title(), window, windowMillis));
    synchronized (c) {
      c.dropped++;
    }
    refreshSometimes(nowMillis);
  }

  private void refreshSometimes(long nowMillis) {
    if (nowMillis - lastRefresh < REFRESH_MS) return;
    lastRefresh = nowMillis;
    refresh(nowMillis);
  }

  /** Republishes the top capped issues; issues whose window ended a window ago are forgotten. */
  synchronized void refresh(long nowMillis) {
    capped.values().removeIf(c -> c.window + 2 * c.windowMillis < nowMillis);
    List<Capped> all = new ArrayList<>(capped.values());
    all.sort(Comparator.comparingLong((Capped c) -> c.dropped).reversed());
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    for (Capped c : all.subList(0, Math.min(TOP, all.size()))) {
      rows.add(MultiGauge.Row.of(SpillwayMetric.DELIVERY_QUOTA_GUARD_CAPPED.tags(c.route, c.issue, c.title), c, x -> x.dropped));
    }
    top.register(rows, true);
  }

  /** Drops per route so far (tests, status). */
  double droppedTotal(String route) {
    Counter c = dropped.get(route);
    return c == null ? 0 : c.count();
  }
}
