package io.spillway.delivery.upstream;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The upstream's rate-limit answers: {@code X-Sentry-Rate-Limits} (sentry-protocol.md §4.3) and
 * {@code Retry-After}. Parsing is lenient in the way Sentry's SDKs and Relay are: a malformed
 * quota group is skipped, never fatal, because a header we half understand must not turn a
 * rate limit into a retry storm or a dead letter.
 */
public final class RateLimitHeader {
  /** Longest hold we accept from an upstream; larger or non-finite values are clamped/zeroed. */
  static final long MAX_SECONDS = 30L * 24 * 3600;
  /** What SDKs assume on a bare 429 (no Retry-After, no X-Sentry-Rate-Limits). */
  static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(60);

  public enum Scope {
    /** The whole upstream (every route that goes there). */
    ORGANIZATION,
    /** The route's project. */
    PROJECT,
    /** The route's key (for us the same thing as the project: one real key per route). */
    KEY;

    boolean coversWholeUpstream() {
      return this == ORGANIZATION;
    }
  }

  /**
   * One quota group.
   *
   * @param retryAfter how long from now, already rounded up to whole seconds
   * @param categories data categories; empty means all categories
   * @param scope      what it applies to
   */
  public record Limit(Duration retryAfter, Set<String> categories, Scope scope) {
    public Limit {
      if (retryAfter == null) throw new NullPointerException("retryAfter == null");
      if (categories == null) throw new NullPointerException("categories == null");
      if (scope == null) throw new NullPointerException("scope == null");
      categories = Set.copyOf(categories);
    }

    boolean allCategories() {
      return categories.isEmpty();
    }
  }

  private RateLimitHeader() {}

  /** Parses {@code X-Sentry-Rate-Limits}; null or blank gives an empty list. Never throws. */
  static List<Limit> parse(String header) {
    List<Limit> out = new ArrayList<>();
    if (header == null) return out;
    for (String group : header.split(",", -1)) {
      String[] parts = group.trim().split(":", -1);
      if (parts.length < 2) continue; // "retry_after:categories" is the least we can use
      long seconds = seconds(parts[0]);
      if (seconds < 0) continue;
      Set<String> categories = new LinkedHashSet<>();
      for (String c : parts[1].split(";", -1)) {
        String t = c.trim().toLowerCase(Locale.ROOT);
        if (!t.isEmpty()) categories.add(t);
      }
      Scope scope = parts.length > 2 ? scope(parts[2]) : Scope.KEY;
      out.add(new Limit(Duration.ofSeconds(seconds), categories, scope));
    }
    return out;
  }

  /**
   * {@code Retry-After}: seconds (integer or float, rounded up) or an HTTP date relative to
   * {@code nowMillis}. Returns null if absent or unreadable. Never throws.
   */
  static Duration retryAfter(String value, long nowMillis) {
    if (value == null || value.isBlank()) return null;
    long s = seconds(value);
    if (s >= 0) return Duration.ofSeconds(s);
    try {
      long at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
      long ms = Math.max(0, Math.min(at - nowMillis, MAX_SECONDS * 1000));
      return Duration.ofSeconds((ms + 999) / 1000);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Whole seconds, rounded up and clamped like Relay's parser; -1 if not a number. */
  private static long seconds(String text) {
    String t = text.trim();
    if (t.isEmpty()) return -1;
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      // Only plain decimal numbers: Double.parseDouble would also take "NaN", "1e5", "0x1p3", "1d".
      if (!(c >= '0' && c <= '9') && c != '.' && !(i == 0 && (c == '-' || c == '+'))) return -1;
    }
    double d;
    try {
      d = Double.parseDouble(t);
    } catch (NumberFormatException e) {
      return -1;
    }
    if (Double.isNaN(d) || d <= 0) return 0; // negative or zero = already expired
    if (Double.isInfinite(d) || d > MAX_SECONDS) return MAX_SECONDS;
    return (long) Math.ceil(d);
  }

  private static Scope scope(String text) {
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "organization" -> Scope.ORGANIZATION;
      case "project" -> Scope.PROJECT;
      default -> Scope.KEY; // empty or unknown = most specific, as Relay does
    };
  }
}
