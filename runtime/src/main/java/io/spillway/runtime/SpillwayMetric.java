package io.spillway.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusNamingConvention;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Every series Spillway exports, declared once: Micrometer name, type, base unit, help text and
 * label names. The services register their meters through these declarations ({@link #counter},
 * {@link #gauge} …), and whatever reads {@code /metrics} (the status page, {@code replay --wait},
 * tests) finds a series by {@link #exportedName()}, never by a retyped string.
 *
 * <p>The convention: Micrometer names {@code spillway.<service>.<what>} (lowercase words between
 * dots, service = edge, bridge, delivery or mirror) and the unit as Micrometer's base unit, so
 * Prometheus sees {@code spillway_<service>_<what>[_<unit>]}, counters with {@code _total}, timers
 * in {@code _seconds}. The names documented in earlier releases are kept as they were: dashboards
 * and alerts depend on them. The docs, Grafana dashboards and bench scripts cannot import these
 * constants; {@code SpillwayMetricDocsUnitTests} checks every name they mention.
 */
public enum SpillwayMetric {
  EDGE_REQUESTS(Meter.Type.COUNTER, "spillway.edge.requests", null, "requests answered, by status", "route", "kind", "status"),
  EDGE_ACCEPTED(Meter.Type.COUNTER, "spillway.edge.accepted", null, "events stored in Redis and answered 2xx", "route", "kind"),
  EDGE_REJECTED(Meter.Type.COUNTER, "spillway.edge.rejected", null,
      "requests answered 4xx/5xx (or connections dropped), by reason", "route", "kind", "reason"),
  EDGE_BODY(Meter.Type.COUNTER, "spillway.edge.body", "bytes", "body bytes of accepted events", "route", "kind"),
  EDGE_REQUEST(Meter.Type.TIMER, "spillway.edge.request", null, "request handled until answered", "kind"),
  EDGE_REDIS_WRITE(Meter.Type.TIMER, "spillway.edge.redis.write", null, "XADD sent until Redis confirmed it"),
  EDGE_REDIS_BUFFER(Meter.Type.GAUGE, "spillway.edge.redis.buffer", "bytes", "Redis used_memory at the last poll (-1 unknown)"),
  EDGE_IN_FLIGHT(Meter.Type.GAUGE, "spillway.edge.in.flight", null, "XADDs waiting for Redis"),
  EDGE_HELD_BODY(Meter.Type.GAUGE, "spillway.edge.held.body", "bytes", "request bodies held while received, checked or written"),
  EDGE_DROPPED(Meter.Type.COUNTER, "spillway.edge.dropped", null,
      "events answered as accepted but not stored, by the stage's reason (e.g. an inbound filter)", "route", "kind", "reason"),
  EDGE_FILTERED(Meter.Type.COUNTER, "spillway.edge.filtered", null,
      "events dropped at the edge by an inbound filter (answered as accepted, never stored)", "route", "filter"),
  EDGE_SCRUBBED(Meter.Type.COUNTER, "spillway.edge.scrubbed", null,
      "values scrubbed (or attachments dropped) at the edge before storing, by rule", "route", "rule"),

  BRIDGE_ENTRIES_MOVED(Meter.Type.COUNTER, "spillway.bridge.entries.moved", null,
      "entries produced to Kafka, acknowledged and removed from the stream", "stream"),
  BRIDGE_PRODUCE_LATENCY(Meter.Type.TIMER, "spillway.bridge.produce.latency", null,
      "from send() to Kafka's acknowledgement, per record"),
  BRIDGE_BATCH_SIZE(Meter.Type.DISTRIBUTION_SUMMARY, "spillway.bridge.batch.size", null, "entries per XREADGROUP/XAUTOCLAIM batch"),
  BRIDGE_REDIS_BACKLOG_LENGTH(Meter.Type.GAUGE, "spillway.bridge.redis.backlog.length", null,
      "XLEN: entries in the stream (not yet moved, or in flight)", "stream"),
  BRIDGE_REDIS_BACKLOG_PENDING(Meter.Type.GAUGE, "spillway.bridge.redis.backlog.pending", null,
      "entries delivered to a bridge but not yet acknowledged (XPENDING)", "stream"),
  BRIDGE_REDIS_BACKLOG_OLDEST_AGE(Meter.Type.GAUGE, "spillway.bridge.redis.backlog.oldest.age", "seconds",
      "age of the oldest entry in the stream, from its id", "stream"),
  BRIDGE_ERRORS(Meter.Type.COUNTER, "spillway.bridge.errors", null, "errors by kind: redis, kafka, decode, trimmed, internal", "kind"),
  BRIDGE_DEAD_LETTERED(Meter.Type.COUNTER, "spillway.bridge.dead.lettered", null,
      "entries that could not be decoded, moved to the dead-letter stream", "stream"),
  BRIDGE_ENTRIES_CLAIMED(Meter.Type.COUNTER, "spillway.bridge.entries.claimed", null,
      "entries taken over from another (presumably dead) bridge", "stream"),

  DELIVERY_SENT(Meter.Type.COUNTER, "spillway.delivery.sent", null, "requests sent", "upstream"),
  DELIVERY_OK(Meter.Type.COUNTER, "spillway.delivery.ok", null, "events the upstream took (2xx)", "upstream"),
  DELIVERY_RETRIED(Meter.Type.COUNTER, "spillway.delivery.retried", null,
      "attempts that will be retried (network error, timeout, 502/503/504)", "upstream"),
  DELIVERY_HELD(Meter.Type.COUNTER, "spillway.delivery.held", null,
      "answers that put a hold on the upstream (429 / X-Sentry-Rate-Limits)", "upstream"),
  DELIVERY_DLQ(Meter.Type.COUNTER, "spillway.delivery.dlq", null, "events sent to the DLQ", "upstream", "reason"),
  DELIVERY_SENT_AT_REWRITTEN(Meter.Type.COUNTER, "spillway.delivery.sent.at.rewritten", null,
      "envelopes whose sent_at was shifted by their wait", "upstream"),
  DELIVERY_IN_FLIGHT(Meter.Type.GAUGE, "spillway.delivery.in.flight", null, "requests in flight from this instance", "upstream"),
  DELIVERY_IN_FLIGHT_LIMIT(Meter.Type.GAUGE, "spillway.delivery.in.flight.limit", null, "this instance's share of max_in_flight",
      "upstream"),
  DELIVERY_CONNECTIONS(Meter.Type.GAUGE, "spillway.delivery.connections", null,
      "connections open (or being opened) to the upstream", "upstream"),
  DELIVERY_PENDING(Meter.Type.GAUGE, "spillway.delivery.pending", null,
      "events waiting in this instance's store for this upstream (queued, held, retrying, in flight)", "upstream"),
  DELIVERY_LATENCY(Meter.Type.TIMER, "spillway.delivery.latency", null, "time to the upstream's answer", "upstream"),
  DELIVERY_RATE_LIMIT(Meter.Type.GAUGE, "spillway.delivery.rate.limit", null, "fleet-wide events/s limit (-1 = none)", "upstream"),
  DELIVERY_HELD_UNTIL(Meter.Type.GAUGE, "spillway.delivery.held.until", "seconds",
      "end of the latest active hold, epoch seconds (0 = none)", "upstream"),
  DELIVERY_BREAKER_OPEN(Meter.Type.GAUGE, "spillway.delivery.breaker.open", null,
      "1 while the circuit breaker stops sends after repeated network errors", "upstream"),
  DELIVERY_LIMITER_REDIS_UP(Meter.Type.GAUGE, "spillway.delivery.limiter.redis.up", null,
      "1 while the fleet-wide token buckets in Redis answer"),
  DELIVERY_LIVE_INSTANCES(Meter.Type.GAUGE, "spillway.delivery.live.instances", null,
      "delivery instances this one divides max_in_flight by"),
  DELIVERY_REPLAY(Meter.Type.COUNTER, "spillway.delivery.replay", null,
      "outcomes of records written by a replay (replay id; the 16 most recent replays)", "replay", "upstream", "outcome"),
  DELIVERY_STARTED(Meter.Type.GAUGE, "spillway.delivery.started", "seconds",
      "when this delivery instance started, epoch seconds: a new value means its counters began again"),
  DELIVERY_DUPLICATES_DROPPED(Meter.Type.COUNTER, "spillway.delivery.duplicates.dropped", null,
      "second copies of an event dropped (same spillway.id within delivery.dedup_window)", "source"),
  DELIVERY_REPEATED_CHUNKS(Meter.Type.COUNTER, "spillway.delivery.repeated.chunks", null,
      "pieces of large events that arrived a second time (bridge re-sends), dropped"),
  DELIVERY_QUOTA_GUARD_DROPPED(Meter.Type.COUNTER, "spillway.delivery.quota.guard.dropped", null,
      "events dropped by the quota guard (an issue over max_per_issue in its window)", "route"),
  DELIVERY_QUOTA_GUARD_CAPPED(Meter.Type.GAUGE, "spillway.delivery.quota.guard.capped", null,
      "events of an issue dropped by the quota guard in its current window (the top issues)", "route", "issue", "title"),
  /**
   * Kafka's own consumer metric, which Micrometer's {@code KafkaStreamsMetrics} registers under
   * Kafka's name (the one series here not named by Spillway); declared for the status page and docs.
   */
  DELIVERY_CONSUMER_LAG(Meter.Type.GAUGE, "kafka.consumer.fetch.manager.records.lag", null,
      "delivery's consumer lag (Kafka Streams client metric), per source topic", "topic", "partition"),

  MIRROR_LAG_RECORDS(Meter.Type.GAUGE, "spillway.mirror.lag.records", "records",
      "records of the datacenter's topic not copied to the central cluster yet (NaN: unreachable)", "datacenter"),
  MIRROR_LAG_SECONDS(Meter.Type.GAUGE, "spillway.mirror.lag.seconds", "seconds",
      "age of the oldest record not copied yet; 0 when none waits (NaN: unreachable)", "datacenter"),
  MIRROR_SOURCE_UP(Meter.Type.GAUGE, "spillway.mirror.source.up", null,
      "1 while the datacenter's cluster answers and has the topic", "datacenter"),
  MIRROR_RUNNING(Meter.Type.GAUGE, "spillway.mirror.running", null,
      "1 while MirrorMaker 2's connector and tasks for the datacenter run", "datacenter"),
  MIRROR_GAP(Meter.Type.COUNTER, "spillway.mirror.gap", "records",
      "records the datacenter's retention deleted before they were copied (lost to the central site)", "datacenter"),
  MIRROR_RECORDS(Meter.Type.COUNTER, "spillway.mirror.records", null,
      "copies written to the central cluster (records copied again after a restart included)", "datacenter");

  private final Meter.Type type;
  private final String name;
  private final String baseUnit;
  private final String description;
  private final List<String> labels;
  private final String exportedName;

  SpillwayMetric(Meter.Type type, String name, String baseUnit, String description, String... labels) {
    this.type = type;
    this.name = name;
    this.baseUnit = baseUnit;
    this.description = description;
    this.labels = List.of(labels);
    this.exportedName = Prometheus.exportedName(name, type, baseUnit);
  }

  /**
   * The name Prometheus sees, the one dashboards, alerts and {@code /metrics} readers use: the
   * registry's naming of this meter ({@code spillway_edge_accepted_total}). Histograms and
   * summaries add their own suffixes to it ({@code _bucket}, {@code _count}, {@code _sum}, {@code _max}).
   */
  public String exportedName() {
    return exportedName;
  }

  /** The label names, in the order {@link #tags} and the builders take their values. */
  public List<String> labels() {
    return labels;
  }

  Meter.Type type() {
    return type;
  }

  /** The Micrometer name, for {@code registry.find(...)} / {@code get(...)} in tests. */
  public String meterName() {
    return name;
  }

  public Counter.Builder counter(String... labelValues) {
    return Counter.builder(name(Meter.Type.COUNTER)).description(description).baseUnit(baseUnit).tags(tags(labelValues));
  }

  public <T> FunctionCounter.Builder<T> functionCounter(T obj, ToDoubleFunction<T> count, String... labelValues) {
    return FunctionCounter.builder(name(Meter.Type.COUNTER), obj, count).description(description).baseUnit(baseUnit)
        .tags(tags(labelValues));
  }

  public <T> Gauge.Builder<T> gauge(T obj, ToDoubleFunction<T> value, String... labelValues) {
    return Gauge.builder(name(Meter.Type.GAUGE), obj, value).description(description).baseUnit(baseUnit).tags(tags(labelValues));
  }

  /** A gauge with one series per row; each row's tags from {@link #tags}. */
  public MultiGauge.Builder multiGauge() {
    return MultiGauge.builder(name(Meter.Type.GAUGE)).description(description).baseUnit(baseUnit);
  }

  public Timer.Builder timer(String... labelValues) {
    return Timer.builder(name(Meter.Type.TIMER)).description(description).tags(tags(labelValues));
  }

  public DistributionSummary.Builder summary(String... labelValues) {
    return DistributionSummary.builder(name(Meter.Type.DISTRIBUTION_SUMMARY)).description(description).baseUnit(baseUnit)
        .tags(tags(labelValues));
  }

  /** The values of {@link #labels()}, in their order, as tags. */
  public Tags tags(String... labelValues) {
    if (labelValues.length != labels.size()) {
      throw new IllegalArgumentException(exportedName + " has labels " + labels + ", got " + labelValues.length + " values");
    }
    Tags tags = Tags.empty();
    for (int i = 0; i < labelValues.length; i++) tags = tags.and(labels.get(i), labelValues[i]);
    return tags;
  }

  private String name(Meter.Type as) {
    if (type != as) throw new IllegalStateException(exportedName + " is declared as a " + type + ", not a " + as);
    return name;
  }

  /** How the Prometheus registry names a meter; a class of its own so the enum's constructor can use it. */
  private static final class Prometheus {
    static final PrometheusNamingConvention NAMING = new PrometheusNamingConvention();

    static String exportedName(String name, Meter.Type type, String baseUnit) {
      String n = NAMING.name(name, type, baseUnit);
      // Micrometer leaves the suffix to the Prometheus client, which adds it to every counter.
      return type == Meter.Type.COUNTER ? n + "_total" : n;
    }
  }
}
