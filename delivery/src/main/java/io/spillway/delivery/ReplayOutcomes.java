package io.spillway.delivery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.spillway.runtime.SpillwayMetric;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What delivery made of the records a {@code replay} wrote (they carry {@code spillway.replay}):
 * {@code spillway_delivery_replay_total{replay, upstream, outcome}} with outcome {@code ok},
 * {@code held}, {@code retried}, {@code dlq} or {@code dropped} (quota guard). {@code replay --wait}
 * reads it from each delivery instance's {@code /metrics}, with {@code spillway_delivery_started_seconds}
 * (when this instance started) to tell a restarted instance's new counts from its earlier ones.
 * Counted per destination and per answer, like the upstream counters ({@code held} and
 * {@code retried} are answers, not events).
 *
 * <p>Label cardinality is bounded: only the {@link #MAX_REPLAYS} replays counted most recently
 * keep their series; an older replay's series are removed when a newer one needs room.
 */
final class ReplayOutcomes {
  static final int MAX_REPLAYS = 16;

  private final MeterRegistry registry;
  /** Replay id → its counters (by upstream and outcome); access order, oldest first. */
  private final LinkedHashMap<String, Map<String, Counter>> byReplay = new LinkedHashMap<>(32, 0.75f, true);

  ReplayOutcomes(MeterRegistry registry) {
    if (registry == null) throw new NullPointerException("registry == null");
    this.registry = registry;
    // Counters start at 0 with each instance: replay --wait tells a restart by this value changing.
    double started = System.currentTimeMillis() / 1000.0;
    SpillwayMetric.DELIVERY_STARTED.gauge(this, o -> started).register(registry);
  }

  /** One outcome of a replayed record; {@code replayId} null = not a replay copy (nothing counted). */
  void count(String replayId, String upstream, String outcome) {
    if (replayId == null) return;
    Counter c;
    synchronized (this) {
      Map<String, Counter> counters = byReplay.get(replayId);
      if (counters == null) {
        evictBeyond(MAX_REPLAYS - 1);
        counters = new LinkedHashMap<>();
        byReplay.put(replayId, counters);
      }
      c = counters.computeIfAbsent(upstream + '\0' + outcome,
          k -> SpillwayMetric.DELIVERY_REPLAY.counter(replayId, upstream, outcome).register(registry));
    }
    c.increment();
  }

  private void evictBeyond(int keep) {
    List<Counter> gone = new ArrayList<>();
    for (Iterator<Map<String, Counter>> it = byReplay.values().iterator(); byReplay.size() > keep && it.hasNext(); ) {
      gone.addAll(it.next().values());
      it.remove();
    }
    gone.forEach(registry::remove);
  }
}
