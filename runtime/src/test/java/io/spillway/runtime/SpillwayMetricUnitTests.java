package io.spillway.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spillway.runtime.status.PrometheusText;
import io.spillway.runtime.status.Sample;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SpillwayMetricUnitTests {

  /**
   * The series the README documented before the names were declared in one place (0.1, commit
   * 1f42ac9): dashboards and alerts use them, so they are exported exactly so, whatever the
   * catalogue's Micrometer names are.
   */
  static final List<String> PUBLISHED = List.of(
      "spillway_edge_requests_total", "spillway_edge_accepted_total", "spillway_edge_rejected_total",
      "spillway_edge_body_bytes_total", "spillway_edge_request_seconds", "spillway_edge_redis_write_seconds",
      "spillway_edge_redis_buffer_bytes", "spillway_edge_in_flight",
      "spillway_bridge_entries_moved_total", "spillway_bridge_produce_latency_seconds", "spillway_bridge_batch_size",
      "spillway_bridge_redis_backlog_length", "spillway_bridge_redis_backlog_pending",
      "spillway_bridge_redis_backlog_oldest_age_seconds", "spillway_bridge_errors_total", "spillway_bridge_dead_lettered_total",
      "spillway_bridge_entries_claimed_total",
      "spillway_delivery_sent_total", "spillway_delivery_ok_total", "spillway_delivery_retried_total", "spillway_delivery_held_total",
      "spillway_delivery_dlq_total", "spillway_delivery_sent_at_rewritten_total", "spillway_delivery_in_flight",
      "spillway_delivery_in_flight_limit", "spillway_delivery_pending", "spillway_delivery_latency_seconds",
      "spillway_delivery_rate_limit", "spillway_delivery_held_until_seconds", "spillway_delivery_breaker_open",
      "spillway_delivery_limiter_redis_up", "spillway_delivery_live_instances", "kafka_consumer_fetch_manager_records_lag");

  @Test
  void namesPublishedBeforeAreStillExported() {
    assertThat(Arrays.stream(SpillwayMetric.values()).map(SpillwayMetric::exportedName)).containsAll(PUBLISHED);
  }

  @Test
  void everyNameFollowsTheConvention() {
    for (SpillwayMetric m : SpillwayMetric.values()) {
      if (m == SpillwayMetric.DELIVERY_CONSUMER_LAG) continue; // Kafka's name, not ours
      String service = m.name().substring(0, m.name().indexOf('_')).toLowerCase();
      assertThat(service).as(m.name()).isIn("edge", "bridge", "delivery", "mirror");
      assertThat(m.meterName()).as(m.name()).matches("spillway\\." + service + "(\\.[a-z0-9]+)+");
      assertThat(m.name()).as("the constant is the Micrometer name without spillway.")
          .isEqualTo(m.meterName().substring("spillway.".length()).replace('.', '_').toUpperCase());
      assertThat(m.exportedName()).as(m.name()).startsWith("spillway_" + service + "_");
      if (m.type() == Meter.Type.COUNTER) assertThat(m.exportedName()).endsWith("_total");
      if (m.type() == Meter.Type.TIMER) assertThat(m.exportedName()).endsWith("_seconds");
      assertThat(m.labels()).as(m.name()).doesNotHaveDuplicates().doesNotContain("service", "instance");
    }
    assertThat(Arrays.stream(SpillwayMetric.values()).map(SpillwayMetric::exportedName).distinct())
        .hasSize(SpillwayMetric.values().length);
  }

  /** The one function that gives the exported name agrees with what the Prometheus registry writes. */
  @Test
  void exportedNameIsWhatTheRegistryWrites() {
    PrometheusMeterRegistry registry = Metrics.registry("test", "i1");
    for (SpillwayMetric m : SpillwayMetric.values()) {
      String[] values = m.labels().stream().map(l -> "v").toArray(String[]::new);
      switch (m.type()) {
        case COUNTER -> m.counter(values).register(registry).increment();
        case GAUGE -> m.gauge(m, x -> 1, values).register(registry);
        case TIMER -> m.timer(values).publishPercentileHistogram().register(registry).record(java.time.Duration.ofMillis(3));
        case DISTRIBUTION_SUMMARY -> m.summary(values).register(registry).record(3);
        default -> throw new AssertionError(m + ": " + m.type());
      }
    }
    String scrape = registry.scrape();
    Map<String, Map<String, String>> exported = new HashMap<>();
    for (Sample s : PrometheusText.parse(scrape)) exported.putIfAbsent(s.name(), s.labels());
    for (SpillwayMetric m : SpillwayMetric.values()) {
      boolean distribution = m.type() == Meter.Type.TIMER || m.type() == Meter.Type.DISTRIBUTION_SUMMARY;
      String sample = distribution ? m.exportedName() + "_count" : m.exportedName();
      assertThat(exported).as(m.name()).containsKey(sample);
      assertThat(exported.get(sample).keySet()).as(m.name()).containsAll(m.labels()).contains("service", "instance");
      assertThat(scrape).as("help text of " + m).contains("# HELP " + m.exportedName());
    }
  }

  @Test
  void builtThroughTheirDeclarationOnly() {
    assertThatThrownBy(() -> SpillwayMetric.EDGE_ACCEPTED.counter("only-the-route"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[route, kind]");
    assertThatThrownBy(() -> SpillwayMetric.EDGE_ACCEPTED.gauge(1, x -> x, "r", "k"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("COUNTER");
    PrometheusMeterRegistry registry = Metrics.registry("test", "i1");
    MultiGauge capped = SpillwayMetric.DELIVERY_QUOTA_GUARD_CAPPED.multiGauge().register(registry);
    capped.register(List.of(MultiGauge.Row.of(SpillwayMetric.DELIVERY_QUOTA_GUARD_CAPPED.tags("r", "aa", "T: x"), 5)));
    Set<String> names = PrometheusText.parse(registry.scrape()).stream().map(Sample::name).collect(Collectors.toSet());
    assertThat(names).contains(SpillwayMetric.DELIVERY_QUOTA_GUARD_CAPPED.exportedName());
  }
}
