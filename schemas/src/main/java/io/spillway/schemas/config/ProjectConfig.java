package io.spillway.schemas.config;

/**
 * One project of an upstream.
 *
 * @param name   the key under {@code projects:}; the route is {@code upstream/name}
 * @param alias  a key apps may put in their DSN instead of the real one; null = none
 * @param id     the real Sentry project id (delivery writes it into the path)
 * @param key    the real public key (apps that only swap the host keep using it)
 * @param secret the real secret, for old Sentry servers that still check it; null = none
 * @param quotaEventsPerSecond edge-side quota for this route (429 above it); 0 = none
 * @param copyTo      other routes every event of this one is also delivered to (each destination on its own)
 * @param copyToSampleRate the share of events copied to this route from others (by event id), 1.0 = all
 * @param filters     inbound filters in force for this route: the project's {@code filters}, else the global ones
 * @param quotaGuard  the route's quota guard, or null (off)
 * @param privacy     the route's data scrubbing, replacing the global {@code privacy:}; null = the global one
 */
public record ProjectConfig(String name, String alias, long id, String key, String secret, double quotaEventsPerSecond,
    java.util.List<io.spillway.schemas.Route> copyTo, double copyToSampleRate, FiltersConfig filters, QuotaGuardConfig quotaGuard,
    PrivacyConfig privacy) {

  public static final double DEFAULT_COPY_TO_SAMPLE_RATE = 1.0;

  /** A project as before copies existed (tests and tools). */
  public ProjectConfig(String name, String alias, long id, String key, String secret, double quotaEventsPerSecond) {
    this(name, alias, id, key, secret, quotaEventsPerSecond, java.util.List.of(), DEFAULT_COPY_TO_SAMPLE_RATE, FiltersConfig.NONE, null, null);
  }

  /** Keys and secrets never reach logs: only whether they are set. */
  @Override
  public String toString() {
    return "ProjectConfig{name=" + name + ", alias=" + alias + ", id=" + id + ", key="
        + (key == null ? "unset" : "***") + ", secret=" + (secret == null ? "unset" : "***")
        + ", quotaEventsPerSecond=" + quotaEventsPerSecond + ", copyTo=" + copyTo + ", filters=" + filters
        + ", quotaGuard=" + quotaGuard + ", privacy=" + privacy + "}";
  }
}
