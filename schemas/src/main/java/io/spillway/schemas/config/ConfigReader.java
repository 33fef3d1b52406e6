package io.spillway.schemas.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one mapping of the YAML tree, tracking the dotted path so that every problem names its
 * key, and the keys it was asked for so that unknown (misspelt) keys are reported too. Problems
 * are collected, not thrown, so one run of {@code check-config} lists all of them. Values are read
 * through their declarations ({@link ConfigKeys}): {@link #get} applies the key's type, checks and
 * default, and refuses a key declared in another section.
 */
final class ConfigReader {
  private static final Pattern ENV = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");

  private final JsonNode node;
  private final String path;
  private final List<String> problems;
  private final Map<String, String> env;
  private final ConfigSection declared;
  private final Path baseDir;
  private final Set<String> known = new HashSet<>();

  /**
   * The top level of a file, whose keys are those {@code declared} (null: any, as for reading a
   * default); relative file names are taken from {@code baseDir}.
   */
  ConfigReader(JsonNode node, List<String> problems, Map<String, String> env, ConfigSection declared, Path baseDir) {
    this(node, "", problems, env, declared, baseDir);
  }

  private ConfigReader(JsonNode node, String path, List<String> problems, Map<String, String> env, ConfigSection declared,
      Path baseDir) {
    this.node = node;
    this.path = path;
    this.problems = problems;
    this.env = env;
    this.declared = declared;
    this.baseDir = baseDir;
  }

  String key(String name) {
    if (name.isEmpty()) return path;
    return path.isEmpty() ? name : path + "." + name;
  }

  void problem(String name, String what) {
    problems.add(key(name) + ": " + what);
  }

  boolean hasProblemFor(String name) {
    String prefix = key(name) + ":";
    for (String p : problems) if (p.startsWith(prefix)) return true;
    return false;
  }

  /**
   * The key's value: as written (read and checked by its type), else its default; null when it is
   * absent and its default is none, when it is required (reported), or after a problem with no
   * default to fall back on.
   */
  <T> T get(ConfigKey<T> key) {
    if (key.def().kind() == ConfigKey.Kind.DERIVED) throw new IllegalStateException(key.path() + " is derived: say how");
    return value(key, null);
  }

  /** The value of a key whose default is derived: as written, else {@code derived}. */
  <T> T get(ConfigKey<T> key, Supplier<? extends T> derived) {
    if (key.def().kind() != ConfigKey.Kind.DERIVED) throw new IllegalStateException(key.path() + " is not derived");
    return value(key, derived);
  }

  private <T> T value(ConfigKey<T> key, Supplier<? extends T> derived) {
    if (declared != null && key.section() != declared.shape()) throw new IllegalStateException(key.path() + " read in " + declared);
    ConfigKey.Default def = key.def();
    boolean required = def.kind() == ConfigKey.Kind.REQUIRED;
    // "" is no value for a required key; scalar() still reports an unset ${VAR} that made it ""
    T v = required && asWritten(key).isEmpty() ? emptyScalar(key.name()) : key.type().reader().read(this, key.name());
    if (v != null) return v;
    return switch (def.kind()) {
      case VALUE -> key.defaultValue();
      case REQUIRED -> {
        if (!hasProblemFor(key.name())) problem(key.name(), "is required" + (def.text() == null ? "" : " (" + def.text() + ")"));
        yield null;
      }
      case ABSENT -> null;
      case DERIVED -> derived.get();
    };
  }

  private <T> T emptyScalar(String name) {
    scalar(name);
    return null;
  }

  /** The key's text as written in the file ({@code ${ENV}} substituted), for messages about its value; "" when absent. */
  String asWritten(ConfigKey<?> key) {
    JsonNode v = node == null ? null : node.get(key.name());
    return v != null && v.isValueNode() ? substitute(null, v.asText()) : "";
  }

  /** Whether the file has this section (null counts as absent). */
  boolean has(ConfigSection s) {
    checkDeclaredHere(s);
    known.add(s.name());
    JsonNode v = node == null ? null : node.get(s.name());
    return v != null && !v.isNull();
  }

  /** A nested mapping; an absent one reads as empty (all defaults). */
  ConfigReader section(ConfigSection s) {
    checkDeclaredHere(s);
    return child(s.name(), s);
  }

  /** A mapping of names to sections like {@code named} ({@code upstreams.<u>}), in file order. */
  Map<String, ConfigReader> sections(ConfigSection named) {
    checkDeclaredHere(named);
    ConfigReader parent = child(named.name(), null);
    Map<String, ConfigReader> out = new LinkedHashMap<>();
    if (parent.node == null) return out;
    for (Iterator<String> it = parent.node.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      out.put(k, parent.child(k, named));
    }
    return out;
  }

  private ConfigReader child(String name, ConfigSection s) {
    known.add(name);
    JsonNode v = node == null ? null : node.get(name);
    if (v != null && !v.isNull() && !v.isObject()) {
      problem(name, "expected a mapping");
      v = null;
    }
    return new ConfigReader(v == null || v.isNull() ? null : v, key(name), problems, env, s, baseDir);
  }

  private void checkDeclaredHere(ConfigSection s) {
    if (declared != null && s.parent().shape() != declared.shape()) throw new IllegalStateException(s.path() + " read in " + declared);
  }

  /** Reports keys present in the file that nobody asked for (typos). Call after reading a section. */
  void rejectUnknownKeys() {
    if (node == null) return;
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!known.contains(k)) problem(k, "unknown key" + suggestion(k));
    }
  }

  /** The closest key declared here (at most two edits away), first declared first. */
  private String suggestion(String k) {
    Collection<String> candidates = declared == null ? known : declared.names();
    String best = null;
    int bestDistance = 3;
    for (String candidate : candidates) {
      int d = distance(k, candidate);
      if (d < bestDistance) {
        bestDistance = d;
        best = candidate;
      }
    }
    return best == null ? "" : " (did you mean " + best + "?)";
  }

  // ---- for ConfigType: one value as written ----

  /** A single value read by {@code parser}; null when absent, or after reporting the parser's problem. */
  <T> T parse(String name, Function<String, T> parser) {
    String s = scalar(name);
    if (s == null) return null;
    try {
      return parser.apply(s);
    } catch (IllegalArgumentException e) {
      problem(name, e.getMessage());
      return null;
    }
  }

  /** Whether {@code name} is present as a list. */
  boolean isList(String name) {
    known.add(name);
    JsonNode v = node == null ? null : node.get(name);
    return v != null && v.isArray();
  }

  /**
   * A list of scalar strings ({@code [a, b]}, or one scalar as a list of one); null when absent.
   * Each element gets {@code ${ENV}} substitution; a non-scalar element is a problem.
   */
  List<String> scalarList(String name) {
    known.add(name);
    JsonNode v = node == null ? null : node.get(name);
    if (v == null || v.isNull()) return null;
    if (v.isValueNode()) return List.of(substitute(name, v.asText()));
    if (!v.isArray()) {
      problem(name, "expected a list");
      return null;
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < v.size(); i++) {
      JsonNode e = v.get(i);
      if (e == null || !e.isValueNode() || e.isNull()) {
        problem(name, "element " + (i + 1) + " is not a single value");
        continue;
      }
      out.add(substitute(name, e.asText()));
    }
    return List.copyOf(out);
  }

  /** A mapping of names to scalar strings, in file order; null when absent. */
  Map<String, String> scalarMap(String name) {
    ConfigReader parent = child(name, null);
    if (parent.node == null) return null;
    Map<String, String> out = new LinkedHashMap<>();
    for (Iterator<String> it = parent.node.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      String v = parent.scalar(k);
      if (v != null) out.put(k, v);
    }
    return out;
  }

  /** A file name, resolved against the config file's directory; null when absent. */
  Path file(String name) {
    String f = scalar(name);
    if (f == null) return null;
    if (f.isBlank()) {
      problem(name, "must not be empty");
      return null;
    }
    try {
      return baseDir.resolve(f).normalize();
    } catch (InvalidPathException e) {
      problem(name, "not a file name: " + e.getReason());
      return null;
    }
  }

  private String scalar(String name) {
    known.add(name);
    JsonNode v = node == null ? null : node.get(name);
    if (v == null || v.isNull()) return null;
    if (!v.isValueNode()) {
      problem(name, "expected a single value");
      return null;
    }
    return substitute(name, v.asText());
  }

  /**
   * {@code ${VAR}} and {@code ${VAR:-default}} inside scalar values; an unset VAR without default is
   * a problem of key {@code name} (none when null: reported already).
   */
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
    if (name != null) for (String var : missing) problem(name, "environment variable " + var + " is not set");
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
