package io.spillway.schemas.config;

import java.time.Duration;

/**
 * {@code upstreams.<u>.projects.<p>.quota_guard}: at most {@code maxPerIssue} events of one issue
 * per {@code window} are delivered; the rest are dropped and counted (off when absent). Windows are
 * tumbling and aligned to the epoch, by the time the edge received the event. See
 * {@code delivery/README.md} ("Quota guard").
 */
public record QuotaGuardConfig(int maxPerIssue, Duration window) {
  public static final int DEFAULT_MAX_PER_ISSUE = 100;
  public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(1);
  /** The guard remembers which events it let through (to stay exact across restarts): bounded. */
  public static final int MAX_MAX_PER_ISSUE = 100_000;

  public QuotaGuardConfig {
    if (window == null) throw new NullPointerException("window == null");
    if (maxPerIssue < 1) throw new IllegalArgumentException("maxPerIssue < 1");
  }

  /** Reads {@code name} under {@code parent}; null when absent (no guard). */
  static QuotaGuardConfig read(ConfigReader parent, String name) {
    if (!parent.has(name)) return null;
    ConfigReader r = parent.section(name);
    int max = (int) r.integer("max_per_issue", DEFAULT_MAX_PER_ISSUE, 1, MAX_MAX_PER_ISSUE);
    Duration window = r.duration("window", DEFAULT_WINDOW);
    if (window.compareTo(Duration.ofSeconds(1)) < 0 || window.compareTo(Duration.ofDays(1)) > 0) {
      r.problem("window", "must be between 1s and 1d");
      window = DEFAULT_WINDOW;
    }
    r.rejectUnknownKeys();
    return new QuotaGuardConfig(max, window);
  }
}
