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
 * @param privacy the route's data scrubbing, replacing the global {@code privacy:}; null = the global one
 */
public record ProjectConfig(String name, String alias, long id, String key, String secret, double quotaEventsPerSecond,
    PrivacyConfig privacy) {

  /** Keys and secrets never reach logs: only whether they are set. */
  @Override
  public String toString() {
    return "ProjectConfig{name=" + name + ", alias=" + alias + ", id=" + id + ", key="
        + (key == null ? "unset" : "***") + ", secret=" + (secret == null ? "unset" : "***")
        + ", quotaEventsPerSecond=" + quotaEventsPerSecond + ", privacy=" + privacy + "}";
  }
}
