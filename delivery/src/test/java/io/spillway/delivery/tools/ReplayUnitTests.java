package io.spillway.delivery.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spillway.schemas.Route;
import io.spillway.schemas.config.RouteTable;
import io.spillway.schemas.config.SpillwayConfig;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReplayUnitTests {
  static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");

  @Test
  void boundsParseTimesRelativeTimesAndOffsets() {
    assertThat(Bound.parse("now", NOW)).isEqualTo(new Bound.At(NOW));
    assertThat(Bound.parse("2026-11-27T10:00:00Z", NOW)).isEqualTo(new Bound.At(Instant.parse("2026-11-27T10:00:00Z")));
    assertThat(Bound.parse("-2h", NOW)).isEqualTo(new Bound.At(Instant.parse("2026-11-27T10:00:00Z")));
    assertThat(Bound.parse("-30m", NOW)).isEqualTo(new Bound.At(Instant.parse("2026-11-27T11:30:00Z")));
    assertThat(Bound.parse("-45s", NOW)).isEqualTo(new Bound.At(Instant.parse("2026-11-27T11:59:15Z")));
    assertThat(Bound.parse("-1d", NOW)).isEqualTo(new Bound.At(Instant.parse("2026-11-26T12:00:00Z")));
    assertThat(Bound.parse(" 1500 ", NOW)).isEqualTo(new Bound.Offsets(Map.of(), 1500L));
    assertThat(Bound.parse("0:120,2:98", NOW)).isEqualTo(new Bound.Offsets(Map.of(0, 120L, 2, 98L), null));
  }

  @Test
  void badBoundsSayWhatIsExpected() {
    assertThatThrownBy(() -> Bound.parse("yesterday", NOW)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-2h").hasMessageContaining("0:120");
    assertThatThrownBy(() -> Bound.parse("0:1,0:2", NOW)).hasMessageContaining("partition 0 given twice");
    assertThatThrownBy(() -> Bound.parse("+2h", NOW)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Bound.parse("-99999999999h", NOW)).isInstanceOf(IllegalArgumentException.class);
  }

  static final RouteTable ROUTES = SpillwayConfig.parse("""
      upstreams:
        selfhosted:
          url: "https://sentry.internal"
          projects:
            shop: { id: 3, key: k3, copy_to: ["saas/shop", "saas/audit"] }
            blog: { id: 4, key: k4 }
        saas:
          url: "https://o1.ingest.sentry.io"
          projects:
            shop: { id: 45, key: k45 }
            audit: { id: 46, key: k46, copy_to_sample_rate: 0.0 }
      """, Map.of(), "t").routes();

  @Test
  void aSelectionNamesTheDestinationsOfARecordThatItCovers() {
    Route shop = Route.parse("selfhosted/shop");
    Route saasShop = Route.parse("saas/shop");
    // --upstream saas: the copy destination (audit takes a 0 share, so never this event)
    assertThat(new Replay.Selection(null, "saas").destinations(ROUTES, "selfhosted/shop", null, "e1")).containsExactly(saasShop);
    // --upstream selfhosted: the route itself
    assertThat(new Replay.Selection(null, "selfhosted").destinations(ROUTES, "selfhosted/shop", null, "e1")).containsExactly(shop);
    // --route saas/shop: from its own records and from the copies of selfhosted/shop
    assertThat(new Replay.Selection(saasShop, null).destinations(ROUTES, "saas/shop", null, "e1")).containsExactly(saasShop);
    assertThat(new Replay.Selection(saasShop, null).destinations(ROUTES, "selfhosted/shop", null, "e1")).containsExactly(saasShop);
    assertThat(new Replay.Selection(saasShop, null).destinations(ROUTES, "selfhosted/blog", null, "e1")).isEmpty();
    // a record already restricted to one destination (an earlier redrive) keeps to it
    assertThat(new Replay.Selection(null, "saas").destinations(ROUTES, "selfhosted/shop", "selfhosted/shop", "e1")).isEmpty();
    assertThat(new Replay.Selection(null, "selfhosted").destinations(ROUTES, "selfhosted/shop", "selfhosted/shop", "e1")).containsExactly(shop);
    // a route no longer configured is matched by its name; "a" is not a prefix of "ab"
    assertThat(new Replay.Selection(null, "gone").destinations(ROUTES, "gone/x", null, "e1")).containsExactly(Route.parse("gone/x"));
    assertThat(new Replay.Selection(null, "gon").destinations(ROUTES, "gone/x", null, "e1")).isEmpty();
    assertThat(new Replay.Selection(null, "saas").destinations(ROUTES, null, null, "e1")).isEmpty();
    assertThatThrownBy(() -> new Replay.Selection(shop, "saas")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aRequestRejectsANegativeRate() {
    Replay.Request r = Replay.Request.of(new Bound.At(NOW), null, Replay.Selection.all());
    assertThat(r.rate(25).rate()).isEqualTo(25);
    assertThatThrownBy(() -> r.rate(-1)).hasMessageContaining("--rate");
    assertThat(List.of(r.dryRun(true).dryRun(), r.dryRun())).containsExactly(true, false);
  }
}
