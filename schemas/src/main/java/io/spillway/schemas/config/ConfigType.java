package io.spillway.schemas.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a key holds, as Kafka's {@code ConfigDef.Type} and {@code Validator} together: how its value
 * is read from the YAML tree and checked, and how the key table describes it. A value
 * that cannot be read or fails a check is reported under its key and read as absent (the key's
 * default then stands in, so the section can still be built and every other problem found too).
 *
 * @param description e.g. {@code duration}, {@code integer 1..1024}, {@code auto or off}
 * @param reader      the value of a key of the given reader, or null when absent or after a problem
 */
record ConfigType<T>(String description, Reader<T> reader) {
  interface Reader<T> {
    T read(ConfigReader r, String name);
  }

  private static final Pattern DURATION_TEXT = Pattern.compile("(\\d+)(ms|s|m|h|d)");
  private static final Pattern SIZE_TEXT = Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB)?");
  private static final String DURATION_EXAMPLES = "a duration like 500ms, 30s, 10m, 2h or 29d";

  static final ConfigType<String> STRING = scalar("text", s -> s);
  static final ConfigType<Boolean> BOOLEAN = scalar("true or false", s -> switch (s.trim()) {
    case "true" -> true;
    case "false" -> false;
    default -> throw new IllegalArgumentException("expected true or false, got \"" + s + "\"");
  });
  /** {@code 500ms}, {@code 30s}, {@code 10m}, {@code 2h}, {@code 29d}. */
  static final ConfigType<Duration> DURATION = scalar("duration", ConfigType::parseDuration);
  /** A duration, or {@code 0} for off ({@link Duration#ZERO}). */
  static final ConfigType<Duration> DURATION_OR_OFF = scalar("0 (off) or a duration", s -> {
    if (s.trim().equals("0")) return Duration.ZERO;
    if (!DURATION_TEXT.matcher(s.trim()).matches()) {
      throw new IllegalArgumentException("expected 0 (off) or " + DURATION_EXAMPLES + ", got \"" + s + "\"");
    }
    return parseDuration(s);
  });
  /** Bytes: {@code 1048576}, {@code 512KiB}, {@code 1MiB}, {@code 1GiB}. */
  static final ConfigType<Long> SIZE = scalar("size", ConfigType::parseSize);
  static final ConfigType<HostPort> HOST_PORT = scalar("host:port", HostPort::parse);
  /** An {@code http://} or {@code https://} URL without credentials. */
  static final ConfigType<URI> HTTP_URL = scalar("http(s) URL", ConfigType::parseHttpUrl);
  /** A list of values ({@code [a, b]}, or one value as a list of one). */
  static final ConfigType<List<String>> STRING_LIST = listOf("list", s -> s);
  /** Names to values, e.g. client properties; the values may hold passwords. */
  static final ConfigType<Map<String, String>> STRING_MAP = new ConfigType<>("mapping of names to values", ConfigReader::scalarMap);
  /** A file name; a relative one is taken from the config file's directory. */
  static final ConfigType<Path> FILE = new ConfigType<>("file", ConfigReader::file);

  /** A single value read by {@code parse}, whose {@link IllegalArgumentException} message is the problem. */
  static <T> ConfigType<T> scalar(String description, Function<String, T> parse) {
    return new ConfigType<>(description, (r, name) -> r.parse(name, parse));
  }

  /** A list whose elements are read by {@code element}; a bad element is reported as {@code name[i]}. */
  static <T> ConfigType<List<T>> listOf(String description, Function<String, T> element) {
    return listOf(description, element, true);
  }

  /**
   * A list whose elements are read by {@code element}; a bad element is reported as {@code name[i]}
   * when {@code indexed}, else under {@code name} itself (as {@code copy_to} and
   * {@code allowed_origins} always were).
   */
  static <T> ConfigType<List<T>> listOf(String description, Function<String, T> element, boolean indexed) {
    return new ConfigType<>(description, (r, name) -> {
      List<String> given = r.scalarList(name);
      if (given == null) return null;
      List<T> out = new ArrayList<>();
      for (int i = 0; i < given.size(); i++) {
        try {
          out.add(element.apply(given.get(i)));
        } catch (IllegalArgumentException e) {
          r.problem(indexed ? name + "[" + i + "]" : name, e.getMessage());
        }
      }
      return List.copyOf(out);
    });
  }

  static ConfigType<Integer> integer(int min, int max) {
    return scalar("integer " + min + ".." + max, s -> (int) parseInteger(s, min, max));
  }

  static ConfigType<Long> integer(long min, long max) {
    return scalar("integer " + min + ".." + max, s -> parseInteger(s, min, max));
  }

  /** A number of at least {@code min}; the messages are those check-config always gave ("must be at least 0.0, got -1"). */
  static ConfigType<Double> number(double min) {
    return scalar("number, at least " + format(min), s -> parseNumber(s, min));
  }

  /** A number between 0 and 1 ({@code copy_to_sample_rate}). */
  static ConfigType<Double> fraction() {
    return scalar("number between 0 and 1", s -> {
      double n = parseNumber(s, 0);
      if (n > 1) throw new IllegalArgumentException("must be between 0 and 1, got " + n);
      return n;
    });
  }

  private static double parseNumber(String s, double min) {
    double n;
    try {
      n = Double.parseDouble(s.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected a number, got \"" + s + "\"");
    }
    if (!(n >= min) || Double.isInfinite(n)) throw new IllegalArgumentException("must be at least " + min + ", got " + s);
    return n;
  }

  /**
   * One of an enum's constants, written in lower case ({@code auto}, {@code off}); with
   * {@code ignoreCase} also in any case and with spaces around (as {@code privacy.attachments}
   * always was, unlike {@code http2}).
   */
  static <E extends Enum<E>> ConfigType<E> oneOf(Class<E> type, boolean ignoreCase) {
    List<String> names = new ArrayList<>();
    for (E e : type.getEnumConstants()) names.add(e.name().toLowerCase(Locale.ROOT));
    String choices = names.size() == 1 ? names.get(0)
        : String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
    return scalar(choices, s -> {
      String given = ignoreCase ? s.trim().toLowerCase(Locale.ROOT) : s;
      // YAML 1.1 reads a bare off as false and on as true
      if (given.equals("false") && names.contains("off")) given = "off";
      if (given.equals("true") && names.contains("on")) given = "on";
      int i = names.indexOf(given);
      if (i < 0) throw new IllegalArgumentException("expected " + choices + ", got \"" + s + "\"");
      return type.getEnumConstants()[i];
    });
  }

  /** This type, with one more check: a value for which {@code ok} is false is reported as {@code problem}. */
  ConfigType<T> check(Predicate<? super T> ok, String problem) {
    return new ConfigType<>(description + "; " + problem, (r, name) -> {
      T v = reader.read(r, name);
      if (v == null || ok.test(v)) return v;
      r.problem(name, problem);
      return null;
    });
  }

  static Duration parseDuration(String s) {
    Matcher m = DURATION_TEXT.matcher(s.trim());
    try {
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofDays(n);
        };
      }
    } catch (ArithmeticException | NumberFormatException e) {
      // too large: reported below
    }
    throw new IllegalArgumentException("expected " + DURATION_EXAMPLES + ", got \"" + s + "\"");
  }

  private static long parseSize(String s) {
    Matcher m = SIZE_TEXT.matcher(s.trim());
    try {
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2) == null ? "B" : m.group(2)) {
          case "KiB" -> Math.multiplyExact(n, 1L << 10);
          case "MiB" -> Math.multiplyExact(n, 1L << 20);
          case "GiB" -> Math.multiplyExact(n, 1L << 30);
          default -> n;
        };
      }
    } catch (ArithmeticException | NumberFormatException e) {
      // too large: reported below
    }
    throw new IllegalArgumentException("expected a size like 1048576, 512KiB, 1MiB or 1GiB, got \"" + s + "\"");
  }

  private static long parseInteger(String s, long min, long max) {
    long n;
    try {
      n = Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected an integer, got \"" + s + "\"");
    }
    if (n < min || n > max) throw new IllegalArgumentException("must be between " + min + " and " + max + ", got " + n);
    return n;
  }

  /** Credentials are refused before anything else, so that no message repeats them. */
  private static URI parseHttpUrl(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a URL: " + e.getReason());
    }
    if (uri.getRawUserInfo() != null) throw new IllegalArgumentException("must not contain credentials (put them under projects)");
    if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
      throw new IllegalArgumentException("expected an http:// or https:// URL, got \"" + url + "\"");
    }
    return uri;
  }

  private static String format(double d) {
    return d == Math.rint(d) && !Double.isInfinite(d) ? Long.toString((long) d) : Double.toString(d);
  }
}
