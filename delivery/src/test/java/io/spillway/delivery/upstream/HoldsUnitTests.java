package io.spillway.delivery.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

class HoldsUnitTests {
  @Test
  void scopesAndCategories() {
    Holds h = new Holds();
    h.apply("api", RateLimitHeader.parse("10:transaction:key"), 1000);
    assertThat(h.held("api", Set.of("transaction"), 1000)).isTrue();
    assertThat(h.held("api", Set.of("error"), 1000)).isFalse();
    assertThat(h.held("web", Set.of("transaction"), 1000)).isFalse();
    assertThat(h.held("api", null, 1000)).as("unknown categories wait for any limit").isTrue();
    assertThat(h.held("api", Set.of("transaction"), 11_000)).as("expired").isFalse();
    assertThat(h.wholeUpstreamUntil(1000)).isZero();

    h.apply("api", RateLimitHeader.parse("20::organization"), 1000);
    assertThat(h.held("web", Set.of("error"), 1000)).isTrue();
    assertThat(h.wholeUpstreamUntil(1000)).isEqualTo(21_000);
    assertThat(h.latestUntil(1000)).isEqualTo(21_000);
  }

  @Test
  void aLimitIsOnlyExtended() {
    Holds h = new Holds();
    h.apply("api", RateLimitHeader.parse("60::project"), 0);
    h.apply("api", RateLimitHeader.parse("5::project"), 1000);
    assertThat(h.held("api", Set.of("error"), 59_000)).isTrue();
    assertThat(h.held("api", Set.of("error"), 60_001)).isFalse();
  }
}
