package io.spillway.delivery.upstream;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The rate limits an upstream announced, as "held until" times per scope and category, the way
 * Sentry's SDKs keep them (sentry-protocol.md §4.3): a limit is only ever extended, never
 * shortened, until it expires. Scope {@code organization} holds every route of the upstream;
 * {@code project}/{@code key} hold the route (one real key per route). Thread-safe: HTTP
 * completions write, stream threads read.
 */
public final class Holds {
  private static final String ALL = "*";
  /** "project \0 category" → epoch ms; project "*" = the whole upstream, category "*" = all. */
  private final Map<String, Long> until = new ConcurrentHashMap<>();

  public void apply(String project, Iterable<RateLimitHeader.Limit> limits, long nowMillis) {
    for (RateLimitHeader.Limit l : limits) {
      long end = nowMillis + l.retryAfter().toMillis();
      String scope = l.scope().coversWholeUpstream() ? ALL : project;
      if (l.allCategories()) {
        until.merge(scope + "\0" + ALL, end, Math::max);
      } else {
        for (String c : l.categories()) until.merge(scope + "\0" + c, end, Math::max);
      }
    }
  }

  /**
   * Whether an event of {@code project} with these categories must wait. Unknown categories
   * (null) wait for any limit of their scope: holding too long loses nothing, sending into a
   * limit gets the event dropped by Sentry's quota.
   */
  public boolean held(String project, Set<String> categories, long nowMillis) {
    if (until.isEmpty()) return false; // the common case, asked for every event sent: no key strings built
    if (active(ALL + "\0" + ALL, nowMillis) || active(project + "\0" + ALL, nowMillis)) return true;
    if (categories == null) {
      for (Map.Entry<String, Long> e : until.entrySet()) {
        if (e.getValue() > nowMillis && (e.getKey().startsWith(ALL + "\0") || e.getKey().startsWith(project + "\0"))) return true;
      }
      return false;
    }
    for (String c : categories) {
      if (active(ALL + "\0" + c, nowMillis) || active(project + "\0" + c, nowMillis)) return true;
    }
    return false;
  }

  /** Whether {@code project} is held for every category (whatever an event carries, it waits). */
  public boolean heldWhatever(String project, long nowMillis) {
    return active(ALL + "\0" + ALL, nowMillis) || active(project + "\0" + ALL, nowMillis);
  }

  /** Until when the whole upstream is held for every category (0 = not). */
  public long wholeUpstreamUntil(long nowMillis) {
    Long u = until.get(ALL + "\0" + ALL);
    return u != null && u > nowMillis ? u : 0;
  }

  /** The latest end of any active hold (0 = none), for the held-until gauge. */
  public long latestUntil(long nowMillis) {
    long max = 0;
    for (Map.Entry<String, Long> e : until.entrySet()) {
      if (e.getValue() > nowMillis) max = Math.max(max, e.getValue());
    }
    until.values().removeIf(v -> v <= nowMillis);
    return max;
  }

  private boolean active(String key, long nowMillis) {
    Long u = until.get(key);
    return u != null && u > nowMillis;
  }
}
