package io.spillway.delivery;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.spillway.delivery.upstream.Holds;
import io.spillway.runtime.SpillwayMetric;
import io.spillway.schemas.config.UpstreamConfig;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * One upstream's runtime state in this instance, shared by all stream threads and HTTP
 * completion threads: its holds, circuit breaker, requests in flight and metrics. Metric labels
 * are the upstream's name only (never a key).
 */
final class Upstream {
  final String name;
  final UpstreamConfig config;
  final Holds holds = new Holds();
  final CircuitBreaker breaker;
  final AtomicInteger inFlight = new AtomicInteger();
  /** Events of this upstream in this instance's stores: queued, held, backing off or in flight. */
  final AtomicLong pending = new AtomicLong();
  final Counter sent;
  final Counter ok;
  final Counter retried;
  final Counter held;
  final Counter rewritten;
  final Timer latency;
  private final MeterRegistry registry;
  private final IntSupplier liveInstances;

  Upstream(UpstreamConfig config, CircuitBreaker breaker, MeterRegistry registry, LongSupplier clock,
      IntSupplier liveInstances) {
    this.name = config.name();
    this.config = config;
    this.breaker = breaker;
    this.registry = registry;
    this.liveInstances = liveInstances;
    sent = SpillwayMetric.DELIVERY_SENT.counter(name).register(registry);
    ok = SpillwayMetric.DELIVERY_OK.counter(name).register(registry);
    retried = SpillwayMetric.DELIVERY_RETRIED.counter(name).register(registry);
    held = SpillwayMetric.DELIVERY_HELD.counter(name).register(registry);
    rewritten = SpillwayMetric.DELIVERY_SENT_AT_REWRITTEN.counter(name).register(registry);
    latency = SpillwayMetric.DELIVERY_LATENCY.timer(name).publishPercentileHistogram().register(registry);
    SpillwayMetric.DELIVERY_IN_FLIGHT.gauge(inFlight, AtomicInteger::get, name).register(registry);
    // Kafka lag does not show events delivery has already taken in (held by a 429, backing off): this does.
    SpillwayMetric.DELIVERY_PENDING.gauge(pending, AtomicLong::get, name).register(registry);
    SpillwayMetric.DELIVERY_IN_FLIGHT_LIMIT.gauge(this, Upstream::maxInFlight, name).register(registry);
    SpillwayMetric.DELIVERY_RATE_LIMIT.gauge(this, u -> u.config.rateLimit() == null ? -1 : u.config.rateLimit().eventsPerSecond(), name)
        .register(registry);
    SpillwayMetric.DELIVERY_HELD_UNTIL.gauge(this, u -> u.holds.latestUntil(clock.getAsLong()) / 1000.0, name).register(registry);
    SpillwayMetric.DELIVERY_BREAKER_OPEN.gauge(breaker, b -> b.getState() == CircuitBreaker.State.OPEN ? 1 : 0, name).register(registry);
  }

  /** This instance's share of the fleet-wide max_in_flight (documented bound: the sum over instances ≤ max_in_flight + instances). */
  int maxInFlight() {
    return Math.max(1, config.maxInFlight() / Math.max(1, liveInstances.getAsInt()));
  }

  /** Takes an in-flight slot if one is free; never blocks. */
  boolean tryStart() {
    int cap = maxInFlight();
    while (true) {
      int n = inFlight.get();
      if (n >= cap) return false;
      if (inFlight.compareAndSet(n, n + 1)) return true;
    }
  }

  void deadLettered(String reason) {
    SpillwayMetric.DELIVERY_DLQ.counter(name, reason).register(registry).increment();
  }
}
