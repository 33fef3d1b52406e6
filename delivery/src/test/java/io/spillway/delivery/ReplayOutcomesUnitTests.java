package io.spillway.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.spillway.delivery.pending.ChunkGroups;
import io.spillway.runtime.SpillwayMetric;
import io.spillway.schemas.KafkaForm;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplayOutcomesUnitTests {

  @Test
  void outcomesAreCountedByReplayAndOnlyTheMostRecentReplaysKeepTheirSeries() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    long before = System.currentTimeMillis();
    ReplayOutcomes outcomes = new ReplayOutcomes(registry);
    // when this instance began counting: replay --wait tells a restart by it
    assertThat(registry.get(SpillwayMetric.DELIVERY_STARTED.meterName()).gauge().value() * 1000)
        .isBetween(before - 1.0, System.currentTimeMillis() + 1.0);
    outcomes.count(null, "a", "ok"); // not a replay copy
    assertThat(registry.find(SpillwayMetric.DELIVERY_REPLAY.meterName()).counters()).isEmpty();
    outcomes.count("r0", "a", "ok");
    outcomes.count("r0", "a", "ok");
    outcomes.count("r0", "b", "dlq");
    assertThat(registry.get(SpillwayMetric.DELIVERY_REPLAY.meterName()).tag("replay", "r0").tag("upstream", "a").tag("outcome", "ok").counter().count()).isEqualTo(2);
    for (int i = 1; i <= ReplayOutcomes.MAX_REPLAYS; i++) outcomes.count("r" + i, "a", "ok");
    // r0 was the least recently counted: its series are gone, the others stay
    assertThat(registry.find(SpillwayMetric.DELIVERY_REPLAY.meterName()).tag("replay", "r0").counters()).isEmpty();
    assertThat(registry.find(SpillwayMetric.DELIVERY_REPLAY.meterName()).counters()).hasSize(ReplayOutcomes.MAX_REPLAYS);
    outcomes.count("r1", "a", "held"); // r1 used again: r2 is now the oldest
    outcomes.count("r99", "a", "ok");
    assertThat(registry.find(SpillwayMetric.DELIVERY_REPLAY.meterName()).tag("replay", "r1").counters()).hasSize(2);
    assertThat(registry.find(SpillwayMetric.DELIVERY_REPLAY.meterName()).tag("replay", "r2").counters()).isEmpty();
  }

  @Test
  void aLargeEventsGroupIsOneCopyOfIt() {
    KafkaForm.Header replay = new KafkaForm.Header(KafkaForm.REPLAY, "R1".getBytes(StandardCharsets.UTF_8));
    KafkaForm.Header only = new KafkaForm.Header(KafkaForm.ONLY_DESTINATION, "b/b1".getBytes(StandardCharsets.UTF_8));
    KafkaForm.Header redrive = new KafkaForm.Header(KafkaForm.REDRIVE, "0:7".getBytes(StandardCharsets.UTF_8));
    KafkaForm.Header other = new KafkaForm.Header("spillway.id", "S1".getBytes(StandardCharsets.UTF_8));
    assertThat(ChunkGroups.groupId("S1", List.of(other))).as("an original keeps the plain id (groups stored before)").isEqualTo("S1");
    assertThat(ChunkGroups.groupId("S1", List.of(other, replay))).isEqualTo("S1\0R1\0\0");
    assertThat(ChunkGroups.groupId("S1", List.of(replay, only))).isEqualTo("S1\0R1\0\0b/b1");
    assertThat(ChunkGroups.groupId("S1", List.of(redrive))).isEqualTo("S1" + "\0" + "\0" + "0:7" + "\0");
  }
}
