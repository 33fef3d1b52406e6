package io.spillway.bridge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/** The bridge's meters, all prefixed {@code spillway.bridge}. */
final class BridgeMetrics {
  final MeterRegistry registry;
  final Timer produceLatency;
  final DistributionSummary batchSize;

  BridgeMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.produceLatency = Timer.builder("spillway.bridge.produce.latency")
        .description("from send() to Kafka's acknowledgement, per record")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(60))
        .register(registry);
    this.batchSize = DistributionSummary.builder("spillway.bridge.batch.size")
        .description("entries per XREADGROUP/XAUTOCLAIM batch")
        .register(registry);
  }

  /** Entries produced to Kafka, acknowledged, and removed from the stream. */
  Counter moved(String stream) {
    return Counter.builder("spillway.bridge.entries.moved").tag("stream", stream).register(registry);
  }

  /** Entries that could not be decoded and went to the dead-letter stream. */
  Counter deadLettered(String stream) {
    return Counter.builder("spillway.bridge.dead.lettered").tag("stream", stream).register(registry);
  }

  /** Entries taken over from another (presumably dead) consumer. */
  Counter claimed(String stream) {
    return Counter.builder("spillway.bridge.entries.claimed").tag("stream", stream).register(registry);
  }

  /** Errors by kind: redis, kafka, decode, trimmed, internal. */
  void error(String kind) {
    Counter.builder("spillway.bridge.errors").tag("kind", kind).register(registry).increment();
  }
}
