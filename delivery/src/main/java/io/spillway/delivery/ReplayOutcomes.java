package io.spillway.delivery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What delivery made of the records a {@code replay} wrote (they carry {@code spillway.replay}):
 * {@code spillway_delivery_replay_total{replay, upstream, outcome}} with outcome {@code ok},
 * {@code held}, {@code retried}, {@code dlq} or {@code dropped} (quota guard). {@code replay --wait}
 * reads it from each delivery instance's {@code /metrics}. Counted per destination and per answer,
 * like the upstream counters ({@code held} and {@code retried} are answers, not events).
 *
 * <p>Label cardinality is bounded: only the {@link #MAX_REPLAYS} replays counted most recently
 * keep their series; an older replay's series are removed when a newer one needs room.
 */
final class ReplayOutcomes {
  static final int MAX_REPLAYS = 16;
  static final String METRIC = io.spillway.delivery.tools.Replay.OUTCOMES_METRIC;

  private final MeterRegistry registry;
  /** Replay id → its counters (by upstream and outcome); access order, oldest first. */
  private final LinkedHashMap<String, Map<String, Counter>> byReplay = new LinkedHashMap<>(32, 0.75f, true);

  ReplayOutcomes(MeterRegistry registry) {
    if (registry == null) throw new NullPointerException("registry == null");
    this.registry = registry;
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
      c = counters.computeIfAbsent(upstream + '\0' + outcome, k -> Counter.builder(METRIC)
          .description("outcomes of records written by a replay (replay id; the 16 most recent replays)")
          .tag("replay", replayId).tag("upstream", upstream).tag("outcome", outcome).register(registry));
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
