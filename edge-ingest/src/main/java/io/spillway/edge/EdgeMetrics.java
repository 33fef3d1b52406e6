package io.spillway.edge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.spillway.runtime.SpillwayMetric;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The edge's series ({@link SpillwayMetric}{@code .EDGE_*}). Labels are route names, endpoint kinds,
 * statuses and reasons: small closed sets. Keys never become labels (a request with an unknown key
 * is counted under route {@code unknown}), so a scan with random keys cannot blow up the series
 * count or leak a key.
 */
final class EdgeMetrics {
  static final String UNKNOWN_ROUTE = "unknown";

  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Timer> requestTimers = new ConcurrentHashMap<>();
  private final Timer redisWrite;
  final AtomicInteger inFlight = new AtomicInteger();

  EdgeMetrics(MeterRegistry registry, RedisBuffer redis) {
    this.registry = registry;
    this.redisWrite = SpillwayMetric.EDGE_REDIS_WRITE.timer().publishPercentileHistogram().register(registry);
    SpillwayMetric.EDGE_REDIS_BUFFER.gauge(redis, RedisBuffer::usedMemory).register(registry);
    SpillwayMetric.EDGE_IN_FLIGHT.gauge(inFlight, AtomicInteger::get).register(registry);
  }

  void answered(String route, String kind, int status, String reason, long startNanos, int bodyBytes) {
    long now = System.nanoTime();
    counter(SpillwayMetric.EDGE_REQUESTS, route, kind, Integer.toString(status)).increment();
    if (status < 400) {
      counter(SpillwayMetric.EDGE_ACCEPTED, route, kind).increment();
      counter(SpillwayMetric.EDGE_BODY, route, kind).increment(bodyBytes);
    } else {
      rejected(route, kind, reason);
    }
    requestTimers.computeIfAbsent(kind, k -> SpillwayMetric.EDGE_REQUEST.timer(k).publishPercentileHistogram().register(registry))
        .record(now - startNanos, TimeUnit.NANOSECONDS);
  }

  /** Answered like an accepted event (200) but not stored, by a stage's decision. */
  void dropped(String route, String kind, String reason) {
    counter(SpillwayMetric.EDGE_DROPPED, route, kind, reason).increment();
  }

  void heldBodyBytes(java.util.function.LongSupplier held) {
    SpillwayMetric.EDGE_HELD_BODY.gauge(held, java.util.function.LongSupplier::getAsLong).register(registry);
  }

  void rejected(String route, String kind, String reason) {
    counter(SpillwayMetric.EDGE_REJECTED, route, kind, reason).increment();
  }

  void redisWrite(long nanos) {
    redisWrite.record(nanos, TimeUnit.NANOSECONDS);
  }

  private Counter counter(SpillwayMetric metric, String... labelValues) {
    String id = metric.name() + '|' + String.join("|", labelValues);
    Counter c = counters.get(id);
    if (c != null) return c;
    return counters.computeIfAbsent(id, x -> metric.counter(labelValues).register(registry));
  }
}
