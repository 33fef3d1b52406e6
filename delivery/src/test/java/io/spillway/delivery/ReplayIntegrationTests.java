package io.spillway.delivery;

import static io.spillway.delivery.Pipeline.envelope;
import static io.spillway.delivery.Pipeline.eventId;
import static io.spillway.delivery.Pipeline.produce;
import static io.spillway.delivery.Pipeline.unique;
import static io.spillway.delivery.Pipeline.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.spillway.delivery.tools.Bound;
import io.spillway.delivery.tools.Replay;
import io.spillway.delivery.tools.ReplayWatch;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.Chunks;
import io.spillway.schemas.KafkaForm;
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
        Replay.Request range = Replay.Request.of(new Bound.At(from), new Bound.At(to), new Replay.Selection(null, "a"));
        Replay.Summary dry = Replay.run(config, range.dryRun(true), progress::add);
        assertThat(dry.dryRun()).isTrue();
        assertThat(dry.scanned()).isEqualTo(50);
        assertThat(dry.selected()).isEqualTo(40);
        assertThat(dry.sent()).isZero();
        assertThat(progress).isNotEmpty().last().asString().contains("50/50 read, 40 would be replayed");
        assertThat(Pipeline.readAll(topic, 51, Duration.ofSeconds(5))).as("a dry run writes nothing").hasSize(51);

        Replay.Summary run = Replay.run(config, range, s -> { });
        assertThat(run.selected()).isEqualTo(40);
        assertThat(run.sent()).isEqualTo(40);
        assertThat(run.deliveries()).isEqualTo(40);
        await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(a.acceptedEventIds()).containsAll(idsA));

        var copies = Pipeline.readAll(topic, 91, Duration.ofSeconds(10)).stream()
            .filter(r -> r.headers().lastHeader(Replay.HEADER) != null).toList();
        assertThat(copies).hasSize(40).allSatisfy(r -> {
          assertThat(Pipeline.header(r, Replay.HEADER)).isEqualTo(run.replayId());
          assertThat(new String(r.key())).isEqualTo("a/a1");
          assertThat(Pipeline.header(r, KafkaForm.ONLY_DESTINATION)).isEqualTo("a/a1");
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
        Replay.Summary again = Replay.run(config, Replay.Request.of(new Bound.At(from), Bound.parse("now", Instant.now().plusSeconds(1)),
            Replay.Selection.all()).dryRun(true), s -> { });
        assertThat(again.skippedCopies()).isEqualTo(40);
        assertThat(again.selected()).isEqualTo(50);
      }
    }
  }

  /**
   * Issue 16 (and issue 12 §1): a route copied to a second upstream. {@code replay --upstream saas}
   * gives saas, and only saas, the events of the range again; a large event whole although
   * {@code --to} cuts through its pieces; {@code --wait} follows them to the end (one answered 400:
   * dead-lettered). A range starting inside the large event skips it. {@code --rate} spaces the copies.
   */
  @Test
  void aReplayForOneDestinationGivesItAloneTheEventsAgainLargeOnesWholeAndWaitFollowsThem() {
    try (SentryUpstream selfhosted = Pipeline.selfhosted(); SentryUpstream saas = Pipeline.saas()) {
      String topic = unique("events");
      SpillwayConfig config = Pipeline.config(yaml(topic, unique("app"), Pipeline.copiedRoute(selfhosted, saas)));
      try (DeliveryService service = DeliveryService.start(config)) {
        Route shop = new Route("selfhosted", "shop");
        Instant from = Instant.now();
        List<BufferedEvent> before = new ArrayList<>();
        for (int i = 0; i < 5; i++) before.add(envelope(shop, eventId()));
        List<BufferedEvent> after = new ArrayList<>();
        for (int i = 0; i < 2; i++) after.add(envelope(shop, eventId()));
        String bigId = eventId();
        BufferedEvent big = Pipeline.largeEnvelope(shop, bigId, 17);
        byte[] bigBody = big.body();
        List<BufferedEvent> records = new ArrayList<>(before);
        records.addAll(Chunks.split(big));
        records.addAll(after);
        produce(topic, records);
        Set<String> ids = records.stream().map(BufferedEvent::eventId).collect(Collectors.toSet());
        assertThat(ids).hasSize(8);
        await().atMost(Duration.ofSeconds(90)).until(() -> new HashSet<>(selfhosted.acceptedEventIds()).containsAll(ids)
            && new HashSet<>(saas.acceptedEventIds()).containsAll(ids));
        var written = Pipeline.readAll(topic, 10, Duration.ofSeconds(10));
        int partition = written.get(0).partition();
        assertThat(written).allSatisfy(r -> assertThat(r.partition()).as("one route, one partition").isEqualTo(partition));
        long[] pieceAt = new long[3];
        for (var r : written) {
          String chunk = Pipeline.header(r, "spillway.chunk");
          if (chunk != null) pieceAt[Integer.parseInt(chunk.substring(0, 1))] = r.offset();
        }
        selfhosted.clear();
        saas.clear();
        String refused = before.get(1).eventId();
        saas.failWhen(r -> refused.equals(r.eventId()), 400, "invalid");

        // --to falls between the large event's first and second piece: it is in the range, all of it is copied
        Replay.Summary run = Replay.run(config, Replay.Request.of(new Bound.At(from), new Bound.Offsets(Map.of(partition, pieceAt[1]), null),
            new Replay.Selection(null, "saas")), s -> { });
        assertThat(run.selected()).isEqualTo(6);
        assertThat(run.records()).isEqualTo(8);
        assertThat(run.sent()).isEqualTo(8);
        assertThat(run.deliveries()).isEqualTo(6);
        ReplayWatch.Outcome outcome = ReplayWatch.follow(config, run, List.of(java.net.URI.create("http://127.0.0.1:" + service.adminPort())),
            Duration.ofSeconds(120), s -> { });
        assertThat(outcome.finished()).isTrue();
        assertThat(outcome.ok()).isEqualTo(5);
        assertThat(outcome.deadLettered()).isEqualTo(1);
        assertThat(outcome.pending()).isZero();
        assertThat(outcome.unreachable()).isEmpty();
        SentryUpstream.Received whole = saas.accepted().stream().filter(x -> bigId.equals(x.eventId())).findFirst().orElseThrow();
        assertThat(whole.body()).as("the large event, whole").isEqualTo(bigBody);
        Set<String> expected = new HashSet<>();
        before.forEach(e -> expected.add(e.eventId()));
        expected.remove(refused);
        expected.add(bigId);
        assertThat(new HashSet<>(saas.acceptedEventIds())).isEqualTo(expected);
        assertThat(selfhosted.requests()).as("the other destination gets nothing").isEmpty();
        var copies = Pipeline.readAll(topic, 18, Duration.ofSeconds(10)).stream()
            .filter(r -> run.replayId().equals(Pipeline.header(r, Replay.HEADER))).toList();
        assertThat(copies).hasSize(8).allSatisfy(r -> assertThat(Pipeline.header(r, KafkaForm.ONLY_DESTINATION)).isEqualTo("saas/shop"));

        // A range that starts at the large event's second piece leaves it out (its first piece is before).
        Replay.Summary inside = Replay.run(config, Replay.Request.of(new Bound.Offsets(Map.of(partition, pieceAt[1]), null), null,
            Replay.Selection.all()).dryRun(true), s -> { });
        assertThat(inside.skippedPieces()).isEqualTo(2);
        assertThat(inside.selected()).isEqualTo(2);
        assertThat(inside.skippedCopies()).isEqualTo(8);

        // --rate spaces the events it writes (the pieces of one event go together).
        saas.reset();
        saas.clear();
        double rate = 10;
        Replay.Summary paced = Replay.run(config, Replay.Request.of(new Bound.At(from), null, new Replay.Selection(null, "selfhosted"))
            .rate(rate), s -> { });
        assertThat(paced.selected()).isEqualTo(8);
        List<Long> times = Pipeline.readAll(topic, 28, Duration.ofSeconds(10)).stream()
            .filter(r -> paced.replayId().equals(Pipeline.header(r, Replay.HEADER)))
            .filter(r -> { String c = Pipeline.header(r, "spillway.chunk"); return c == null || c.startsWith("0/"); })
            .map(r -> r.timestamp()).sorted().toList();
        assertThat(times).hasSize(8);
        // Paced, not a burst: unpaced, the 8 would be written within a few milliseconds. The bound is half of
        // the nominal 700 ms, since the scheduler's jitter on a busy machine moves single sends by tens of ms.
        assertThat(times.get(7) - times.get(0)).as("8 events at %s/s", rate).isGreaterThanOrEqualTo((long) (7 * 1000 / rate / 2));
        await().atMost(Duration.ofSeconds(90)).until(() -> new HashSet<>(selfhosted.acceptedEventIds()).containsAll(ids));
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).until(() -> selfhosted.acceptedCount() == 8);
        assertThat(saas.requests()).isEmpty();
      }
    }
  }

  /**
   * {@code replay --wait} while the delivery instance restarts: the new instance counts from 0, and
   * the tool adds its counts to what the first one had counted (before the fix it ended at its
   * timeout with the first instance's deliveries "pending").
   */
  @Test
  void waitKeepsTheCountsOfADeliveryInstanceThatRestarted() throws Exception {
    try (SentryUpstream selfhosted = Pipeline.selfhosted()) {
      String topic = unique("events");
      int adminPort = io.spillway.testkit.RedisServer.freePort(); // the same address across the restart
      SpillwayConfig config = Pipeline.config(yaml(topic, unique("app"), """
          selfhosted:
            url: "%s"
            projects:
              shop: { id: 3, key: %s }
          """.formatted(selfhosted.url(), Pipeline.SELFHOSTED_KEY)).replace("admin: \"127.0.0.1:0\"", "admin: \"127.0.0.1:" + adminPort + "\""));
      Route shop = new Route("selfhosted", "shop");
      Instant from = Instant.now();
      List<BufferedEvent> events = new ArrayList<>();
      for (int i = 0; i < 10; i++) events.add(envelope(shop, eventId()));
      Set<String> later = events.subList(5, 10).stream().map(BufferedEvent::eventId).collect(Collectors.toSet());
      List<String> progress = new java.util.concurrent.CopyOnWriteArrayList<>();
      java.util.concurrent.CompletableFuture<ReplayWatch.Outcome> watch;
      try (DeliveryService one = DeliveryService.start(config)) {
        produce(topic, events);
        await().atMost(Duration.ofSeconds(60)).until(() -> selfhosted.acceptedCount() >= 10);
        selfhosted.clear();
        selfhosted.failWhen(r -> later.contains(r.eventId()), 503, "busy"); // half of the replay waits for the second instance
        Replay.Summary run = Replay.run(config, Replay.Request.of(new Bound.At(from), null, Replay.Selection.all()), s -> { });
        assertThat(run.deliveries()).isEqualTo(10);
        watch = java.util.concurrent.CompletableFuture.supplyAsync(() -> ReplayWatch.follow(config, run,
            List.of(java.net.URI.create("http://127.0.0.1:" + adminPort)), Duration.ofSeconds(150), progress::add));
        await().atMost(Duration.ofSeconds(60)).until(() -> progress.stream().anyMatch(l -> l.matches(".* 5 delivered, .*")));
      }
      selfhosted.reset();
      try (DeliveryService two = DeliveryService.start(config)) {
        ReplayWatch.Outcome outcome = watch.get(180, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(outcome.finished()).as("last line: %s", progress.get(progress.size() - 1)).isTrue();
        assertThat(outcome.ok()).isEqualTo(10);
        assertThat(outcome.pending()).isZero();
        assertThat(new HashSet<>(selfhosted.acceptedEventIds())).containsAll(later);
      }
    }
  }

  /**
   * Issue 14: {@code replay --datacenter dc1} reads the datacenter's central copy {@code dc1.<topic>}
   * (MirrorMaker 2's naming) and writes the copies to {@code kafka.topic}, which delivery reads too.
   */
  @Test
  void aDatacentersCentralCopyIsReplayedIntoTheTopic() {
    String topic = unique("events");
    SpillwayConfig config = Pipeline.config(yaml(topic, unique("app"), """
        a:
          url: "http://127.0.0.1:9"
          projects:
            a1: { id: 101, key: aaaa1111aaaa1111aaaa1111aaaa1111 }
        """));
    String copy = "dc1." + topic;
    Pipeline.kafka().createTopic(topic, 3, (short) 1);
    Pipeline.kafka().createTopic(copy, 3, (short) 1);
    Instant from = Instant.now();
    List<BufferedEvent> events = new ArrayList<>();
    for (int i = 0; i < 5; i++) events.add(envelope(new Route("a", "a1"), eventId()));
    produce(copy, events);
    Replay.Summary s = Replay.run(config, Replay.Request.of(new Bound.At(from), null, Replay.Selection.all()).source(copy), x -> { });
    assertThat(s.source()).isEqualTo(copy);
    assertThat(s.selected()).isEqualTo(5);
    assertThat(s.sent()).isEqualTo(5);
    var copies = Pipeline.readAll(topic, 5, Duration.ofSeconds(10));
    assertThat(copies).hasSize(5).allSatisfy(r -> assertThat(Pipeline.header(r, Replay.HEADER)).isEqualTo(s.replayId()));
    assertThat(copies.stream().map(r -> Pipeline.header(r, "event-id")).collect(Collectors.toSet()))
        .isEqualTo(events.stream().map(BufferedEvent::eventId).collect(Collectors.toSet()));
  }
}
