package io.spillway.schemas.config;

import java.time.Duration;

/**
 * {@code upstreams.<u>.projects.<p>.quota_guard}: at most {@code maxPerIssue} events of one issue
 * per {@code window} are delivered; the rest are dropped and counted (off when absent). Windows are
 * tumbling and aligned to the epoch, by the time the edge received the event. See
 * {@code delivery/README.md} ("Quota guard"). Keys, defaults and checks: {@link ConfigKeys}.
 */
public record QuotaGuardConfig(int maxPerIssue, Duration window) {
  public QuotaGuardConfig {
    if (window == null) throw new NullPointerException("window == null");
    if (maxPerIssue < 1) throw new IllegalArgumentException("maxPerIssue < 1");
  }

  /** Reads a project's {@code quota_guard}; null when absent (no guard). */
  static QuotaGuardConfig read(ConfigReader project) {
    if (!project.has(ConfigKeys.QUOTA_GUARD)) return null;
    ConfigReader r = project.section(ConfigKeys.QUOTA_GUARD);
    QuotaGuardConfig c = new QuotaGuardConfig(r.get(ConfigKeys.QUOTA_GUARD_MAX_PER_ISSUE), r.get(ConfigKeys.QUOTA_GUARD_WINDOW));
    r.rejectUnknownKeys();
    return c;
  }
}
