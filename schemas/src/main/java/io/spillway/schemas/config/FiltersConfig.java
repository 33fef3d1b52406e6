package io.spillway.schemas.config;

import io.spillway.schemas.Glob;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Sentry's inbound filters for a route (global {@code filters:}, or {@code upstreams.<u>.projects.<p>.filters:}
 * which replaces the global block as a whole). Names and meaning follow Sentry / Relay; see
 * {@code rules/README.md} for exactly what each one looks at.
 *
 * @param localhost         events from 127.0.0.1 / ::1, localhost URLs, {@code file://} pages
 * @param browserExtensions errors known to come from browser extensions
 * @param legacyBrowsers    Sentry's legacy-browser options ({@code ie}, {@code safari}, …); empty = off
 * @param webCrawlers       events whose user agent is a known crawler
 * @param releases          events whose {@code release} matches one of these globs
 * @param errorMessages     errors whose message ({@code type: value}, or the log message) matches one of these globs
 * @param environments      events whose {@code environment} is one of these names (exact)
 */
public record FiltersConfig(boolean localhost, boolean browserExtensions, List<String> legacyBrowsers, boolean webCrawlers,
    List<Glob> releases, List<Glob> errorMessages, List<String> environments) {

  /** No filter at all (the default). */
  public static final FiltersConfig NONE = new FiltersConfig(false, false, List.of(), false, List.of(), List.of(), List.of());

  /** What {@code legacy_browsers: true} means: every browser option Sentry currently offers. */
  public static final List<String> CURRENT_BROWSERS = List.of("ie", "edge", "safari", "firefox", "chrome", "opera", "opera_mini", "android");
  /** Sentry's deprecated options, still understood (by Relay too), plus Relay's {@code default}. */
  public static final List<String> DEPRECATED_BROWSERS = List.of("default", "ie_pre_9", "ie9", "ie10", "ie11", "opera_pre_15",
      "opera_mini_pre_8", "android_pre_4", "safari_pre_6", "edge_pre_79");
  private static final Set<String> KNOWN_BROWSERS = Set.copyOf(concat(CURRENT_BROWSERS, DEPRECATED_BROWSERS));

  public FiltersConfig {
    legacyBrowsers = List.copyOf(legacyBrowsers);
    releases = List.copyOf(releases);
    errorMessages = List.copyOf(errorMessages);
    environments = List.copyOf(environments);
  }

  /** True when no filter is on: the edge then reads nothing of the body. */
  public boolean isEmpty() {
    return !localhost && !browserExtensions && legacyBrowsers.isEmpty() && !webCrawlers && releases.isEmpty()
        && errorMessages.isEmpty() && environments.isEmpty();
  }

  /**
   * Reads {@code name} under {@code r}: absent → {@code inherited}; a mapping → exactly what it
   * says (so {@code filters: {}} turns the global filters off for a project).
   */
  static FiltersConfig read(ConfigReader parent, String name, FiltersConfig inherited) {
    if (!parent.has(name)) return inherited;
    ConfigReader r = parent.section(name);
    boolean localhost = r.bool("localhost", false);
    boolean extensions = r.bool("browser_extensions", false);
    boolean crawlers = r.bool("web_crawlers", false);
    List<String> browsers = List.of();
    if (r.isList("legacy_browsers")) {
      browsers = new ArrayList<>();
      List<String> given = r.stringList("legacy_browsers", List.of());
      for (int i = 0; i < given.size(); i++) {
        String b = given.get(i);
        if (!KNOWN_BROWSERS.contains(b)) {
          r.problem("legacy_browsers[" + i + "]", "unknown browser \"" + b + "\" (expected one of " + String.join(", ", CURRENT_BROWSERS)
              + ", or a deprecated one: " + String.join(", ", DEPRECATED_BROWSERS) + ")");
        } else if (!browsers.contains(b)) {
          browsers.add(b);
        }
      }
    } else if (r.bool("legacy_browsers", false)) {
      browsers = CURRENT_BROWSERS;
    }
    List<Glob> releases = globs(r, "releases");
    List<Glob> messages = globs(r, "error_messages");
    List<String> environments = r.stringList("environments", List.of());
    for (int i = 0; i < environments.size(); i++) {
      if (environments.get(i).isEmpty()) r.problem("environments[" + i + "]", "must not be empty");
    }
    r.rejectUnknownKeys();
    return new FiltersConfig(localhost, extensions, browsers, crawlers, releases, messages, environments);
  }

  private static List<Glob> globs(ConfigReader r, String name) {
    List<String> patterns = r.stringList(name, List.of());
    List<Glob> out = new ArrayList<>();
    for (int i = 0; i < patterns.size(); i++) {
      String p = patterns.get(i);
      if (p.isEmpty()) {
        r.problem(name + "[" + i + "]", "must not be empty (an empty glob never matches)");
        continue;
      }
      try {
        out.add(Glob.compile(p));
      } catch (IllegalArgumentException e) {
        r.problem(name + "[" + i + "]", "invalid glob \"" + p + "\": " + e.getMessage());
      }
    }
    return out;
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
