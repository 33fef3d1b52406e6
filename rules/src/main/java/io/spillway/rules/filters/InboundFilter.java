package io.spillway.rules.filters;

/**
 * Sentry's inbound filters, named as in the config ({@code filters.<name>}) and in the metric label
 * {@code spillway_edge_filtered_total{filter}}. Checked in this order (Relay's, with {@code environments},
 * which Relay lacks, next to {@code releases}); the first that matches is the one counted.
 */
public enum InboundFilter {
  RELEASES("releases"),
  ENVIRONMENTS("environments"),
  ERROR_MESSAGES("error_messages"),
  LOCALHOST("localhost"),
  BROWSER_EXTENSIONS("browser_extensions"),
  LEGACY_BROWSERS("legacy_browsers"),
  WEB_CRAWLERS("web_crawlers");

  private final String configName;

  InboundFilter(String configName) {
    this.configName = configName;
  }

  /** The config key, also the {@code filter} label. */
  public String configName() {
    return configName;
  }
}
