package io.spillway.delivery;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
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
    sent = Counter.builder("spillway_delivery_sent").description("requests sent").tag("upstream", name).register(registry);
    ok = Counter.builder("spillway_delivery_ok").description("events the upstream took (2xx)").tag("upstream", name).register(registry);
    retried = Counter.builder("spillway_delivery_retried").description("attempts that will be retried (network error, timeout, 502/503/504)")
        .tag("upstream", name).register(registry);
    held = Counter.builder("spillway_delivery_held").description("answers that put a hold on the upstream (429 / X-Sentry-Rate-Limits)")
        .tag("upstream", name).register(registry);
    rewritten = Counter.builder("spillway_delivery_sent_at_rewritten").description("envelopes whose sent_at was shifted by their wait")
        .tag("upstream", name).register(registry);
    latency = Timer.builder("spillway_delivery_latency").description("time to the upstream's answer")
        .tag("upstream", name).publishPercentileHistogram().register(registry);
    Gauge.builder("spillway_delivery_in_flight", inFlight, AtomicInteger::get).description("requests in flight from this instance")
        .tag("upstream", name).register(registry);
    // Kafka lag does not show events delivery has already taken in (held by a 429, backing off): this does.
    Gauge.builder("spillway_delivery_pending", pending, AtomicLong::get)
        .description("events waiting in this instance's store for this upstream (queued, held, retrying, in flight)")
        .tag("upstream", name).register(registry);
    Gauge.builder("spillway_delivery_in_flight_limit", this, Upstream::maxInFlight)
        .description("this instance's share of max_in_flight").tag("upstream", name).register(registry);
    Gauge.builder("spillway_delivery_rate_limit", this, u -> u.config.rateLimit() == null ? -1 : u.config.rateLimit().eventsPerSecond())
        .description("fleet-wide events/s limit (-1 = none)").tag("upstream", name).register(registry);
    Gauge.builder("spillway_delivery_held_until_seconds", this, u -> u.holds.latestUntil(clock.getAsLong()) / 1000.0)
        .description("end of the latest active hold, epoch seconds (0 = none)").tag("upstream", name).register(registry);
    Gauge.builder("spillway_delivery_breaker_open", breaker, b -> b.getState() == CircuitBreaker.State.OPEN ? 1 : 0)
        .description("1 while the circuit breaker stops sends after repeated network errors").tag("upstream", name).register(registry);
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
    Counter.builder("spillway_delivery_dlq").description("events sent to the DLQ")
        .tag("upstream", name).tag("reason", reason).register(registry).increment();
  }
}
