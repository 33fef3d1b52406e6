package io.spillway.edge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The edge's series. Labels are route names, endpoint kinds, statuses and reasons: small closed
 * sets. Keys never become labels (a request with an unknown key is counted under route
 * {@code unknown}), so a scan with random keys cannot blow up the series count or leak a key.
 *
 * <pre>
 * spillway_edge_requests_total{route,kind,status}   every answered request
 * spillway_edge_accepted_total{route,kind}          stored in Redis and answered 2xx
 * spillway_edge_rejected_total{route,kind,reason}   answered 4xx/5xx (or dropped connection), by reason
 * spillway_edge_request_seconds{kind}               handler start to answer (histogram)
 * spillway_edge_redis_write_seconds                 XADD sent to XADD confirmed (histogram)
 * spillway_edge_redis_buffer_bytes                  Redis used_memory at the last poll
 * spillway_edge_in_flight                           XADDs waiting for Redis
 * spillway_edge_body_bytes_total{route,kind}        accepted body bytes
 * spillway_edge_dropped_total{route,kind,reason}    answered as accepted but not stored (a stage's
 *                                                   decision, e.g. an inbound filter)
 * spillway_edge_held_body_bytes                     bodies held while received, checked or written
 * </pre>
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
    this.redisWrite = Timer.builder("spillway.edge.redis.write")
        .description("XADD sent until Redis confirmed it")
        .publishPercentileHistogram()
        .register(registry);
    Gauge.builder("spillway.edge.redis.buffer", redis, RedisBuffer::usedMemory)
        .baseUnit("bytes").description("Redis used_memory at the last poll (-1 unknown)").register(registry);
    Gauge.builder("spillway.edge.in.flight", inFlight, AtomicInteger::get)
        .description("XADDs waiting for Redis").register(registry);
  }

  void answered(String route, String kind, int status, String reason, long startNanos, int bodyBytes) {
    long now = System.nanoTime();
    counter("spillway.edge.requests", "route", route, "kind", kind, "status", Integer.toString(status)).increment();
    if (status < 400) {
      counter("spillway.edge.accepted", "route", route, "kind", kind, null, null).increment();
      counter("spillway.edge.body.bytes", "route", route, "kind", kind, null, null).increment(bodyBytes);
    } else {
      rejected(route, kind, reason);
    }
    requestTimers.computeIfAbsent(kind, k -> Timer.builder("spillway.edge.request")
            .description("request handled until answered").tag("kind", k)
            .publishPercentileHistogram().register(registry))
        .record(now - startNanos, TimeUnit.NANOSECONDS);
  }

  /** Answered like an accepted event (200) but not stored, by a stage's decision. */
  void dropped(String route, String kind, String reason) {
    counter("spillway.edge.dropped", "route", route, "kind", kind, "reason", reason).increment();
  }

  void heldBodyBytes(java.util.function.LongSupplier held) {
    Gauge.builder("spillway.edge.held.body", held, java.util.function.LongSupplier::getAsLong)
        .baseUnit("bytes").description("request bodies held while received, checked or written").register(registry);
  }

  void rejected(String route, String kind, String reason) {
    counter("spillway.edge.rejected", "route", route, "kind", kind, "reason", reason).increment();
  }

  void redisWrite(long nanos) {
    redisWrite.record(nanos, TimeUnit.NANOSECONDS);
  }

  private Counter counter(String name, String k1, String v1, String k2, String v2, String k3, String v3) {
    String id = name + '|' + v1 + '|' + v2 + '|' + v3;
    Counter c = counters.get(id);
    if (c != null) return c;
    return counters.computeIfAbsent(id, x -> {
      Counter.Builder b = Counter.builder(name).tag(k1, v1).tag(k2, v2);
      if (k3 != null) b.tag(k3, v3);
      return b.register(registry);
    });
  }
}
