package io.spillway.delivery.limits;

import static io.spillway.runtime.SpillwayMetric.DELIVERY_QUOTA_GUARD_CAPPED;
import static io.spillway.runtime.SpillwayMetric.DELIVERY_QUOTA_GUARD_DROPPED;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.Route;
import io.spillway.schemas.SpillwayId;
import io.spillway.schemas.config.QuotaGuardConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * The guard's counting, on Kafka Streams' own key-value store: a crash loop of one issue next to
 * normal traffic gets exactly its cap per window; the same event processed again gets the same
 * decision; a new guard over the same store (a restart, or the task moved) carries on counting.
 */
class QuotaGuardUnitTests {
  static final Route ROUTE = new Route("wow", "vod_be");
  static final SpillwayId IDS = new SpillwayId();
  static final long T0 = 1_795_000_040_000L; // 20 s into a minute
  static final String CRASH = "{\"exception\":{\"values\":[{\"type\":\"NullPointerException\",\"value\":\"boom\"}]}}";

  static KeyValueStore<Bytes, byte[]> store() {
    return Stores.inMemoryKeyValueStore(QuotaGuard.STORE).get();
  }

  static BufferedEvent event(String id, long receivedAt, String json) {
    byte[] body = ("{\"event_id\":\"0123456789abcdef0123456789abcdef\"}\n{\"type\":\"event\"}\n" + json + "\n")
        .getBytes(StandardCharsets.UTF_8);
    return new BufferedEvent(id, receivedAt, "edge-1", "dc1", ROUTE, EndpointKind.ENVELOPE, "POST", "/api/20/envelope/", null,
        "application/x-sentry-envelope", null, null, null, null, null, null, body, null);
  }

  static String normal(int i) {
    return "{\"exception\":{\"values\":[{\"type\":\"Error" + i + "\",\"value\":\"v\"}]}}";
  }

  /** 500/s of one issue for two minutes, one event/s each of 20 other issues: per window, exactly the cap. */
  @Test
  void aCrashLoopGetsExactlyItsCapPerWindowAndOtherIssuesAllPass() {
    QuotaGuardConfig guard = new QuotaGuardConfig(100, Duration.ofMinutes(1));
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    QuotaGuardMetrics metrics = new QuotaGuardMetrics(registry);
    QuotaGuard g = new QuotaGuard(store(), metrics, QuotaGuard.retentionFor(List.of(guard)));
    Map<Long, Integer> crashPassed = new HashMap<>();
    int otherSent = 0, otherPassed = 0, crashDropped = 0;
    for (int ms = 0; ms < 120_000; ms += 2) {
      long t = T0 + ms;
      if (g.admit(event(IDS.next(T0), t, CRASH), guard, false, t)) crashPassed.merge(Math.floorDiv(t, 60_000L), 1, Integer::sum);
      else crashDropped++;
      if (ms % 1000 == 0) {
        for (int i = 0; i < 20; i++) {
          otherSent++;
          if (g.admit(event(IDS.next(T0), t, normal(i)), guard, false, t)) otherPassed++;
        }
      }
    }
    // T0 is 20 s into a minute: three windows (40 s, 60 s, 20 s of the loop), each full.
    assertThat(crashPassed).hasSize(3).allSatisfy((w, n) -> assertThat(n).as("window %d", w).isEqualTo(100));
    assertThat(crashDropped).isEqualTo(60_000 - 300);
    assertThat(otherPassed).isEqualTo(otherSent);
    assertThat(metrics.droppedTotal("wow/vod_be")).isEqualTo(60_000 - 300);
    metrics.refresh(T0 + 120_000);
    assertThat(registry.scrape()).contains(DELIVERY_QUOTA_GUARD_CAPPED.exportedName() + "{").contains("title=\"NullPointerException: boom\"")
        .contains(DELIVERY_QUOTA_GUARD_DROPPED.exportedName() + "{route=\"wow/vod_be\"} 59700.0");
  }

  @Test
  void anEventSeenAgainGetsTheSameDecisionAndIsNotCountedTwice() {
    QuotaGuardConfig guard = new QuotaGuardConfig(2, Duration.ofMinutes(1));
    KeyValueStore<Bytes, byte[]> store = store();
    QuotaGuard g = new QuotaGuard(store, new QuotaGuardMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)), 3_600_000);
    BufferedEvent a = event(IDS.next(T0), T0, CRASH), b = event(IDS.next(T0), T0 + 1, CRASH), c = event(IDS.next(T0), T0 + 2, CRASH);
    assertThat(g.admit(a, guard, false, T0)).isTrue();
    assertThat(g.admit(b, guard, false, T0)).isTrue();
    assertThat(g.admit(c, guard, false, T0)).isFalse();
    assertThat(g.admit(c, guard, true, T0)).as("a DLQ redrive passed the guard before").isTrue();
    assertThat(g.admit(a, guard, false, T0)).as("reprocessed after a crash").isTrue();
    assertThat(g.admit(c, guard, false, T0)).isFalse();
    // A restart (or the task on another instance, its store restored from the changelog): same state.
    QuotaGuard restarted = new QuotaGuard(store, new QuotaGuardMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)), 3_600_000);
    assertThat(restarted.admit(b, guard, false, T0)).isTrue();
    assertThat(restarted.admit(event(IDS.next(T0), T0 + 3, CRASH), guard, false, T0)).isFalse();
    assertThat(restarted.admit(event(IDS.next(T0), T0 + 60_000, CRASH), guard, false, T0)).as("next window").isTrue();
  }

  @Test
  void nonIssuesAndRoutesWithoutAGuardAlwaysPass() {
    QuotaGuardConfig guard = new QuotaGuardConfig(1, Duration.ofSeconds(10));
    QuotaGuard g = new QuotaGuard(store(), new QuotaGuardMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)), 3_600_000);
    for (int i = 0; i < 10; i++) {
      assertThat(g.admit(event(IDS.next(T0), T0, "{\"type\":\"transaction\",\"transaction\":\"/x\"}"), guard, false, T0)).isTrue();
      assertThat(g.admit(event(IDS.next(T0), T0, CRASH), null, false, T0)).isTrue();
    }
  }

  @Test
  void oldWindowsArePruned() {
    QuotaGuardConfig guard = new QuotaGuardConfig(5, Duration.ofMinutes(1));
    KeyValueStore<Bytes, byte[]> store = store();
    QuotaGuard g = new QuotaGuard(store, new QuotaGuardMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT)), 3_600_000);
    for (int i = 0; i < 3; i++) g.admit(event(IDS.next(T0), T0, CRASH), guard, false, T0);
    g.admit(event(IDS.next(T0), T0 + 7_200_000, CRASH), guard, false, T0);
    assertThat(store.approximateNumEntries()).isEqualTo(1 + 3 + 1 + 1);
    assertThat(g.prune(T0 + 7_200_000 - 3_600_000)).isEqualTo(4);
    assertThat(store.approximateNumEntries()).isEqualTo(2);
  }
}
