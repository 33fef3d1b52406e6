package io.spillway.bridge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.spillway.runtime.SpillwayMetric;
import java.time.Duration;

/** The bridge's meters ({@link SpillwayMetric}{@code .BRIDGE_*}). */
final class BridgeMetrics {
  final MeterRegistry registry;
  final Timer produceLatency;
  final DistributionSummary batchSize;

  BridgeMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.produceLatency = SpillwayMetric.BRIDGE_PRODUCE_LATENCY.timer()
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(60))
        .register(registry);
    this.batchSize = SpillwayMetric.BRIDGE_BATCH_SIZE.summary().register(registry);
  }

  /** Entries produced to Kafka, acknowledged, and removed from the stream. */
  Counter moved(String stream) {
    return SpillwayMetric.BRIDGE_ENTRIES_MOVED.counter(stream).register(registry);
  }

  /** Entries that could not be decoded and went to the dead-letter stream. */
  Counter deadLettered(String stream) {
    return SpillwayMetric.BRIDGE_DEAD_LETTERED.counter(stream).register(registry);
  }

  /** Entries taken over from another (presumably dead) consumer. */
  Counter claimed(String stream) {
    return SpillwayMetric.BRIDGE_ENTRIES_CLAIMED.counter(stream).register(registry);
  }

  /** Errors by kind: redis, kafka, decode, trimmed, internal. */
  void error(String kind) {
    SpillwayMetric.BRIDGE_ERRORS.counter(kind).register(registry).increment();
  }
}
