package io.spillway.delivery.tools;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One end of a range of a topic, as {@code --from}/{@code --to} of {@code replay} and {@code dlq}
 * take it: a time (the first record whose timestamp is at or after it, found with Kafka's
 * offsets-for-times) or offsets.
 */
public sealed interface Bound permits Bound.At, Bound.Offsets {

  /** The first record whose timestamp is at or after {@code time}. */
  record At(Instant time) implements Bound {
    public At {
      if (time == null) throw new NullPointerException("time == null");
    }
  }

  /**
   * Offsets per partition; {@code all} (when not null) applies to partitions not in the map.
   * A partition with neither means "its end" for {@code --to} and "its start" for {@code --from}.
   */
  record Offsets(Map<Integer, Long> byPartition, Long all) implements Bound {
    public Offsets {
      byPartition = Map.copyOf(byPartition);
    }
  }

  /**
   * Parses a bound: {@code now}; ISO-8601 ({@code 2026-11-27T10:00:00Z}); relative to now
   * ({@code -2h}, {@code -30m}, {@code -45s}, {@code -1d}); an offset for every partition
   * ({@code 1500}); or per partition ({@code 0:120,1:98,2:130}).
   */
  static Bound parse(String text, Instant now) {
    if (text == null) throw new NullPointerException("text == null");
    if (now == null) throw new NullPointerException("now == null");
    String t = text.trim();
    if (t.equals("now")) return new At(now);
    Matcher m = Pattern.compile("-(\\d{1,9})([smhd])").matcher(t);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      Duration d = switch (m.group(2)) {
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
      return new At(now.minus(d));
    }
    if (t.matches("\\d{1,18}")) return new Offsets(Map.of(), Long.parseLong(t));
    if (t.matches("\\d{1,9}:\\d{1,18}(,\\d{1,9}:\\d{1,18})*")) {
      Map<Integer, Long> byPartition = new HashMap<>();
      for (String pair : t.split(",")) {
        int colon = pair.indexOf(':');
        int p = Integer.parseInt(pair.substring(0, colon));
        if (byPartition.put(p, Long.parseLong(pair.substring(colon + 1))) != null) {
          throw new IllegalArgumentException("partition " + p + " given twice in '" + text + "'");
        }
      }
      return new Offsets(byPartition, null);
    }
    try {
      return new At(Instant.parse(t));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("'" + text + "' is neither a time (2026-11-27T10:00:00Z, -2h, -30m, now) "
          + "nor offsets (1500, 0:120,1:98)");
    }
  }

  /** What {@code --from}/{@code --to} accept, for help texts. */
  String SYNTAX = "now, ISO-8601 (2026-11-27T10:00:00Z), relative (-2h, -30m, -45s, -1d), an offset for every "
      + "partition (1500) or per partition (0:120,1:98)";

}
