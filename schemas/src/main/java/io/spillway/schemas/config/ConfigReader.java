package io.spillway.schemas.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one mapping of the YAML tree, tracking the dotted path so that every problem names its
 * key, and the keys it was asked for so that unknown (misspelt) keys are reported too. Problems
 * are collected, not thrown, so one run of {@code check-config} lists all of them.
 */
final class ConfigReader {
  private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");
  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB)?");

  private final JsonNode node;
  private final String path;
  private final List<String> problems;
  private final Map<String, String> env;
  private final Set<String> known = new HashSet<>();

  ConfigReader(JsonNode node, String path, List<String> problems, Map<String, String> env) {
    this.node = node;
    this.path = path;
    this.problems = problems;
    this.env = env;
  }

  String key(String name) {
    if (name.isEmpty()) return path;
    return path.isEmpty() ? name : path + "." + name;
  }

  void problem(String name, String what) {
    problems.add(key(name) + ": " + what);
  }

  boolean has(String name) {
    known.add(name);
    JsonNode v = node == null ? null : node.get(name);
    return v != null && !v.isNull();
  }

  /** A nested mapping; an absent one reads as empty (all defaults). */
  ConfigReader section(String name) {
    known.add(name);
    JsonNode v = node == null ? null : node.get(name);
    if (v != null && !v.isNull() && !v.isObject()) {
      problem(name, "expected a mapping");
      v = null;
    }
    return new ConfigReader(v == null || v.isNull() ? null : v, key(name), problems, env);
  }

  /** A mapping of names to mappings, in file order. */
  Map<String, ConfigReader> sections(String name) {
    ConfigReader parent = section(name);
    Map<String, ConfigReader> out = new LinkedHashMap<>();
    if (parent.node == null) return out;
    for (Iterator<String> it = parent.node.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      out.put(k, parent.section(k));
    }
    return out;
  }

  /** A mapping of names to scalar strings. */
  Map<String, String> stringMap(String name) {
    ConfigReader parent = section(name);
    Map<String, String> out = new LinkedHashMap<>();
    if (parent.node == null) return out;
    for (Iterator<String> it = parent.node.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      String v = parent.string(k, null);
      if (v != null) out.put(k, v);
    }
    return out;
  }

  /**
   * A list of scalar strings ({@code [a, b]}, or one scalar as a list of one); {@code def} when
   * absent. Each element gets {@code ${ENV}} substitution; a non-scalar element is a problem.
   */
  java.util.List<String> stringList(String name, java.util.List<String> def) {
    known.add(name);
    JsonNode v = node == null ? null : node.get(name);
    if (v == null || v.isNull()) return def;
    java.util.List<String> out = new java.util.ArrayList<>();
    if (v.isValueNode()) {
      out.add(substitute(name, v.asText()));
      return java.util.List.copyOf(out);
    }
    if (!v.isArray()) {
      problem(name, "expected a list");
      return def;
    }
    for (int i = 0; i < v.size(); i++) {
      JsonNode e = v.get(i);
      if (e == null || !e.isValueNode() || e.isNull()) {
        problem(name, "element " + (i + 1) + " is not a single value");
        continue;
      }
      out.add(substitute(name, e.asText()));
    }
    return java.util.List.copyOf(out);
  }

  String string(String name, String def) {
    known.add(name);
    JsonNode v = node == null ? null : node.get(name);
    if (v == null || v.isNull()) return def;
    if (!v.isValueNode()) {
      problem(name, "expected a single value");
      return def;
    }
    return substitute(name, v.asText());
  }

  String requiredString(String name) {
    String s = string(name, null);
    if (s == null || s.isEmpty()) {
      if (!hasProblemFor(name)) problem(name, "is required");
      return null;
    }
    return s;
  }

  long integer(String name, long def, long min, long max) {
    return parse(name, def, s -> {
      long n = Long.parseLong(s.trim());
      if (n < min || n > max) throw new IllegalArgumentException("must be between " + min + " and " + max + ", got " + n);
      return n;
    }, "an integer");
  }

  double number(String name, double def, double min) {
    return parse(name, def, s -> {
      double n = Double.parseDouble(s.trim());
      if (!(n >= min) || Double.isInfinite(n)) throw new IllegalArgumentException("must be at least " + min + ", got " + s);
      return n;
    }, "a number");
  }

  boolean bool(String name, boolean def) {
    return parse(name, def, s -> switch (s.trim()) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException("expected true or false, got \"" + s + "\"");
    }, "true or false");
  }

  /** {@code 500ms}, {@code 30s}, {@code 10m}, {@code 2h}, {@code 29d}. */
  Duration duration(String name, Duration def) {
    return parse(name, def, ConfigReader::parseDuration, "a duration like 500ms, 30s, 10m, 2h or 29d");
  }

  /** A duration, or {@code 0} (off; {@link Duration#ZERO}). */
  Duration durationOrZero(String name, Duration def) {
    return parse(name, def, s -> {
      if (s.trim().equals("0")) return Duration.ZERO;
      if (!DURATION.matcher(s.trim()).matches()) {
        throw new IllegalArgumentException("expected 0 (off) or a duration like 500ms, 30s, 10m, 2h or 29d, got \"" + s + "\"");
      }
      return parseDuration(s);
    }, "0 (off) or a duration");
  }

  /** Bytes: {@code 1048576}, {@code 512KiB}, {@code 1MiB}, {@code 1GiB}. */
  long bytes(String name, long def) {
    return parse(name, def, s -> {
      Matcher m = SIZE.matcher(s.trim());
      if (!m.matches()) throw new IllegalArgumentException("expected a size like 1048576, 512KiB, 1MiB or 1GiB, got \"" + s + "\"");
      long n = Long.parseLong(m.group(1));
      String unit = m.group(2) == null ? "B" : m.group(2);
      return switch (unit) {
        case "KiB" -> n << 10;
        case "MiB" -> n << 20;
        case "GiB" -> n << 30;
        default -> n;
      };
    }, "a size");
  }

  HostPort hostPort(String name, String def) {
    return parse(name, HostPort.parse(def), HostPort::parse, "host:port");
  }

  /** Whether {@code name} is present as a list. */
  boolean isList(String name) {
    known.add(name);
    JsonNode v = node == null ? null : node.get(name);
    return v != null && v.isArray();
  }

  /** Reports keys present in the file that nobody asked for (typos). Call after reading a section. */
  void rejectUnknownKeys() {
    if (node == null) return;
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!known.contains(k)) problem(k, "unknown key" + suggestion(k));
    }
  }

  private String suggestion(String k) {
    String best = null;
    int bestDistance = 3;
    for (String candidate : known) {
      int d = distance(k, candidate);
      if (d < bestDistance) {
        bestDistance = d;
        best = candidate;
      }
    }
    return best == null ? "" : " (did you mean " + best + "?)";
  }

  boolean hasProblemFor(String name) {
    String prefix = key(name) + ":";
    for (String p : problems) if (p.startsWith(prefix)) return true;
    return false;
  }

  private <T> T parse(String name, T def, Function<String, T> parser, String expected) {
    String s = string(name, null);
    if (s == null) return def;
    try {
      return parser.apply(s);
    } catch (NumberFormatException e) {
      problem(name, "expected " + expected + ", got \"" + s + "\"");
    } catch (IllegalArgumentException e) {
      problem(name, e.getMessage());
    }
    return def;
  }

  static Duration parseDuration(String s) {
    Matcher m = DURATION.matcher(s.trim());
    if (!m.matches()) throw new IllegalArgumentException("expected a duration like 500ms, 30s, 10m, 2h or 29d, got \"" + s + "\"");
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  /** {@code ${VAR}} and {@code ${VAR:-default}} inside scalar values; an unset VAR without default is a problem. */
  private String substitute(String name, String value) {
    if (value.indexOf("${") < 0) return value;
    Matcher m = ENV.matcher(value);
    StringBuilder out = new StringBuilder();
    List<String> missing = new ArrayList<>();
    while (m.find()) {
      String v = env.get(m.group(1));
      if (v == null) v = m.group(2);
      if (v == null) {
        missing.add(m.group(1));
        v = "";
      }
      m.appendReplacement(out, Matcher.quoteReplacement(v));
    }
    m.appendTail(out);
    for (String var : missing) problem(name, "environment variable " + var + " is not set");
    return out.toString();
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) prev[j] = j;
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
