package io.spillway.delivery;

import static io.spillway.delivery.Pipeline.envelope;
import static io.spillway.delivery.Pipeline.eventId;
import static io.spillway.delivery.Pipeline.produce;
import static io.spillway.delivery.Pipeline.unique;
import static io.spillway.delivery.Pipeline.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.Route;
import io.spillway.schemas.config.SpillwayConfig;
import io.spillway.testkit.SentryUpstream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 5, acceptance 2: events delivered, the upstream's record cleared, a replay of that time
 * range delivers them again through the running delivery, within the upstream's rate limit; a dry
 * run counts without sending. The rate check is on the arrival times the upstream recorded (the
 * documented bound of FleetRateLimit plus the same jitter allowance as its own test), not on our speed.
 */
@Timeout(150)
class ReplayIntegrationTests {
  static final int RATE = 20;
  static final int BURST = 5;
  static final long JITTER_MS = 250;

  @Test
  void aReplayedTimeRangeIsDeliveredAgainWithinTheRateLimitAndADryRunSendsNothing() {
    try (SentryUpstream a = SentryUpstream.start().project(101, "aaaa1111aaaa1111aaaa1111aaaa1111", null);
         SentryUpstream b = SentryUpstream.start().project(201, "bbbb1111bbbb1111bbbb1111bbbb1111", null)) {
      String topic = unique("events");
      SpillwayConfig config = Pipeline.config(yaml(topic, unique("app"), """
          a:
            url: "%s"
            rate_limit: { events_per_second: %d, burst: %d }
            projects:
              a1: { id: 101, key: aaaa1111aaaa1111aaaa1111aaaa1111 }
          b:
            url: "%s"
            projects:
              b1: { id: 201, key: bbbb1111bbbb1111bbbb1111bbbb1111 }
          """.formatted(a.url(), RATE, BURST, b.url())));
      try (DeliveryService service = DeliveryService.start(config)) {
        // Something before the range, which the replay must leave alone.
        BufferedEvent before = envelope(new Route("a", "a1"), eventId());
        produce(topic, List.of(before));
        await().atMost(Duration.ofSeconds(60)).until(() -> a.acceptedEventIds().contains(before.eventId()));
        Instant from = Instant.now();
        List<BufferedEvent> toA = new ArrayList<>();
        List<BufferedEvent> toB = new ArrayList<>();
        for (int i = 0; i < 40; i++) toA.add(envelope(new Route("a", "a1"), eventId()));
        for (int i = 0; i < 10; i++) toB.add(envelope(new Route("b", "b1"), eventId()));
        List<BufferedEvent> all = new ArrayList<>(toA);
        all.addAll(toB);
        produce(topic, all);
        Set<String> idsA = toA.stream().map(BufferedEvent::eventId).collect(Collectors.toSet());
        Set<String> idsB = toB.stream().map(BufferedEvent::eventId).collect(Collectors.toSet());
        await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(a.acceptedEventIds()).containsAll(idsA)
            && new HashSet<>(b.acceptedEventIds()).containsAll(idsB));
        Instant to = Instant.now().plusMillis(1);
        a.clear();
        b.clear();

        List<String> progress = new ArrayList<>();
        Replay.Summary dry = Replay.run(config, new Replay.At(from), new Replay.At(to), new Replay.Selection(null, "a"), true, progress::add);
        assertThat(dry.dryRun()).isTrue();
        assertThat(dry.scanned()).isEqualTo(50);
        assertThat(dry.selected()).isEqualTo(40);
        assertThat(dry.sent()).isZero();
        assertThat(progress).isNotEmpty().last().asString().contains("50/50 read, 40 would be replayed");
        assertThat(Pipeline.readAll(topic, 51, Duration.ofSeconds(5))).as("a dry run writes nothing").hasSize(51);

        Replay.Summary run = Replay.run(config, new Replay.At(from), new Replay.At(to), new Replay.Selection(null, "a"), false, s -> { });
        assertThat(run.selected()).isEqualTo(40);
        assertThat(run.sent()).isEqualTo(40);
        await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(a.acceptedEventIds()).containsAll(idsA));

        var copies = Pipeline.readAll(topic, 91, Duration.ofSeconds(10)).stream()
            .filter(r -> r.headers().lastHeader(Replay.HEADER) != null).toList();
        assertThat(copies).hasSize(40).allSatisfy(r -> {
          assertThat(Pipeline.header(r, Replay.HEADER)).isEqualTo(run.replayId());
          assertThat(new String(r.key())).isEqualTo("a/a1");
        });
        // The selection held: nothing for b, nothing from before the range; and the dry run sent
        // nothing: each event arrived exactly once after the clear.
        assertThat(b.requests()).isEmpty();
        assertThat(a.acceptedEventIds()).doesNotContain(before.eventId());
        Map<String, Integer> counts = Pipeline.counts(a.acceptedEventIds());
        assertThat(counts.keySet()).isEqualTo(idsA);
        assertThat(counts.values()).allSatisfy(n -> assertThat(n).isEqualTo(1));

        // Within the rate limit: any window W holds at most burst + rate × (W + 50 ms + jitter).
        List<Long> arrivals = a.acceptedArrivals();
        for (long window : new long[] {500, 1000}) {
          long bound = BURST + (long) Math.ceil(RATE * (window + 50 + JITTER_MS) / 1000.0);
          for (int i = 0; i < arrivals.size(); i++) {
            int n = 0;
            for (int j = i; j < arrivals.size() && arrivals.get(j) < arrivals.get(i) + window; j++) n++;
            assertThat(n).as("arrivals in %d ms from %d (all: %s)", window, arrivals.get(i), arrivals).isLessThanOrEqualTo((int) bound);
          }
        }

        // Replaying again over a range that now also holds the copies skips the copies.
        Replay.Summary again = Replay.run(config, new Replay.At(from), Replay.parseBound("now", Instant.now().plusSeconds(1)),
            Replay.Selection.all(), true, s -> { });
        assertThat(again.skippedCopies()).isEqualTo(40);
        assertThat(again.selected()).isEqualTo(50);
      }
    }
  }
}
