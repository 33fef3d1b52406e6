package io.spillway.schemas.config;

import java.util.List;

/**
 * What a config runs, derived from which sections it has (there is no key for it), so that
 * {@code status}, {@code check-config} and the status page show and check just those services:
 * <ul>
 *   <li>{@link #CENTRAL}: {@code mirror.sources} names at least one datacenter → mirror + delivery
 *       (no edge, Redis or bridge at the central site);</li>
 *   <li>{@link #DATACENTER}: no {@code delivery:} section, but an {@code edge:}, {@code bridge:} or
 *       {@code redis:} one → edge + bridge (the central site delivers);</li>
 *   <li>{@link #SINGLE_SITE}: anything else, as before multi-datacenter fleets → edge + bridge + delivery.</li>
 * </ul>
 */
public enum Role {
  SINGLE_SITE(List.of("edge", "bridge", "delivery")),
  DATACENTER(List.of("edge", "bridge")),
  CENTRAL(List.of("mirror", "delivery"));

  private final List<String> services;

  Role(List<String> services) {
    this.services = services;
  }

  /** The services a config of this role runs, in pipeline order. */
  public List<String> services() {
    return services;
  }

  /** {@code single site}, {@code datacenter}, {@code central}. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
  }
}
