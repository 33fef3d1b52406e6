package io.spillway.schemas.config;

import io.spillway.schemas.Glob;
import java.util.List;

/**
 * Sentry's inbound filters for a route (global {@code filters:}, or {@code upstreams.<u>.projects.<p>.filters:}
 * which replaces the global block as a whole). Names and meaning follow Sentry / Relay; see
 * {@code rules/README.md} for exactly what each one looks at. Keys, defaults and checks: {@link ConfigKeys}.
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
   * Reads the section {@code at} ({@code filters}, or a project's): absent → {@code inherited}; a
   * mapping → exactly what it says (so {@code filters: {}} turns the global filters off for a project).
   */
  static FiltersConfig read(ConfigReader parent, ConfigSection at, FiltersConfig inherited) {
    if (!parent.has(at)) return inherited;
    ConfigReader r = parent.section(at);
    FiltersConfig c = new FiltersConfig(r.get(ConfigKeys.FILTERS_LOCALHOST), r.get(ConfigKeys.FILTERS_BROWSER_EXTENSIONS),
        r.get(ConfigKeys.FILTERS_LEGACY_BROWSERS), r.get(ConfigKeys.FILTERS_WEB_CRAWLERS), r.get(ConfigKeys.FILTERS_RELEASES),
        r.get(ConfigKeys.FILTERS_ERROR_MESSAGES), r.get(ConfigKeys.FILTERS_ENVIRONMENTS));
    r.rejectUnknownKeys();
    return c;
  }
}
