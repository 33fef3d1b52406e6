package io.spillway.delivery;

import static io.spillway.delivery.Pipeline.envelope;
import static io.spillway.delivery.Pipeline.eventId;
import static io.spillway.delivery.Pipeline.produce;
import static io.spillway.delivery.Pipeline.unique;
import static io.spillway.delivery.Pipeline.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.spillway.delivery.tools.Bound;
import io.spillway.delivery.tools.DeadLetters;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.Chunks;
import io.spillway.schemas.KafkaForm;
import io.spillway.schemas.Route;
import io.spillway.schemas.config.SpillwayConfig;
import io.spillway.testkit.SentryUpstream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 5, acceptance 3, and issue 16 (the tools per destination and for large events): events
 * dead-lettered by a 400 are listed with their reason; once the upstream is fixed, a redrive
 * delivers them; a second redrive sends nothing again.
 */
@Timeout(240)
class DeadLetterIntegrationTests {
  @Test
  void deadLettersAreListedShownAndRedrivenOnceAfterTheUpstreamIsFixed() {
    try (SentryUpstream a = SentryUpstream.start().project(101, "aaaa1111aaaa1111aaaa1111aaaa1111", "asecret1")) {
      String topic = unique("events");
      SpillwayConfig config = Pipeline.config(yaml(topic, unique("app"), """
          a:
            url: "%s"
            projects:
              a1: { id: 101, key: aaaa1111aaaa1111aaaa1111aaaa1111, secret: asecret1 }
          """.formatted(a.url())));
      try (DeliveryService service = DeliveryService.start(config)) {
        List<BufferedEvent> events = new ArrayList<>();
        // The ones that will fail arrived two hours ago (held back by an outage, say): the DLQ still
        // dates them by their dead-lettering, so --from -10m finds them.
        long twoHoursAgo = System.currentTimeMillis() - 2 * 3600_000;
        for (int i = 0; i < 15; i++) {
          events.add(i % 3 == 0 ? envelope(new Route("a", "a1"), eventId(), twoHoursAgo, java.time.Instant.ofEpochMilli(twoHoursAgo))
              : envelope(new Route("a", "a1"), eventId()));
        }
        Set<String> bad = new HashSet<>();
        for (int i = 0; i < 15; i += 3) bad.add(events.get(i).eventId());
        Set<String> good = events.stream().map(BufferedEvent::eventId).filter(id -> !bad.contains(id)).collect(Collectors.toSet());
        a.failWhen(r -> bad.contains(r.eventId()), 400, "invalid envelope");
        produce(topic, events);
        await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(a.acceptedEventIds()).containsAll(good));
        await().atMost(Duration.ofSeconds(60)).until(() -> list(config, DeadLetters.Query.all()).size() >= 5);

        List<DeadLetters.Entry> listed = list(config, DeadLetters.Query.all());
        assertThat(listed).hasSize(5).allSatisfy(e -> {
          assertThat(e.route()).isEqualTo("a/a1");
          assertThat(e.destination()).isEqualTo("a/a1");
          assertThat(e.reason()).isEqualTo("http_400");
          assertThat(e.status()).isEqualTo("400");
          assertThat(e.detail()).isEqualTo("invalid envelope");
          assertThat(e.attempts()).isEqualTo("1");
          assertThat(e.deadAt()).isPositive();
          assertThat(e.pieces()).isZero();
          assertThat(e.complete()).isTrue();
          assertThat(e.redriven()).isFalse();
        });
        assertThat(listed.stream().map(DeadLetters.Entry::eventId).collect(Collectors.toSet())).isEqualTo(bad);
        assertThat(list(config, new DeadLetters.Query(null, null, "http_413", null, null))).isEmpty();
        assertThat(list(config, new DeadLetters.Query("a/a2", null, null, null, null))).isEmpty();
        assertThat(list(config, new DeadLetters.Query(null, "a", "http_400", null, null))).hasSize(5);
        assertThat(list(config, new DeadLetters.Query(null, null, null, Bound.parse("-10m", java.time.Instant.now()), null))).hasSize(5);
        assertThat(list(config, new DeadLetters.Query(null, null, null, null, Bound.parse("-10m", java.time.Instant.now())))).isEmpty();

        String shown = DeadLetters.show(config, listed.get(0).id());
        assertThat(shown).contains(KafkaForm.DeadLetter.REASON + ": http_400").contains("redriven: no")
            .contains("(decoded from gzip)").contains("\"event_id\":\"" + listed.get(0).eventId() + "\"")
            .doesNotContain("aaaa1111aaaa1111aaaa1111aaaa1111").doesNotContain("asecret1");
        assertThat(a.acceptedEventIds()).doesNotContainAnyElementsOf(bad);

        // The upstream is fixed; a dry run counts, a redrive delivers.
        a.reset();
        List<String> progress = new ArrayList<>();
        DeadLetters.Redrive dry = DeadLetters.redrive(config, DeadLetters.Query.all(), true, progress::add);
        assertThat(dry).isEqualTo(new DeadLetters.Redrive(5, 0, 5, 5, 0, true));
        assertThat(progress).last().asString().contains("5/5 read");
        DeadLetters.Redrive done = DeadLetters.redrive(config, new DeadLetters.Query(null, null, "http_400", null, null), false, s -> { });
        assertThat(done).isEqualTo(new DeadLetters.Redrive(5, 0, 5, 5, 0, false));
        await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(a.acceptedEventIds()).containsAll(bad));

        var copies = Pipeline.readAll(topic, 20, Duration.ofSeconds(10)).stream()
            .filter(r -> r.headers().lastHeader(DeadLetters.HEADER) != null).toList();
        assertThat(copies).hasSize(5).allSatisfy(r -> {
          assertThat(r.headers().lastHeader(KafkaForm.DeadLetter.REASON)).isNull();
          assertThat(Pipeline.header(r, "event-id")).isIn(bad);
          // dead-lettered at its own route: the copy goes back to that destination only
          assertThat(Pipeline.header(r, KafkaForm.ONLY_DESTINATION)).isEqualTo("a/a1");
        });
        assertThat(list(config, DeadLetters.Query.all())).hasSize(5).allSatisfy(e -> assertThat(e.redriven()).isTrue());

        // Redriving again sends nothing: each dead letter goes back once.
        assertThat(DeadLetters.redrive(config, DeadLetters.Query.all(), false, s -> { })).isEqualTo(new DeadLetters.Redrive(5, 5, 0, 0, 0, false));
        assertThat(Pipeline.readAll(topic, 20, Duration.ofSeconds(5))).hasSize(20);
        assertThat(Pipeline.counts(a.acceptedEventIds()).values()).allSatisfy(n -> assertThat(n).isEqualTo(1));
      }
    }
  }

  /**
   * A route copied to a second upstream ({@code copy_to}) whose copy fails with 400 for two small
   * events and a large one (3 pieces): the DLQ names that destination; list, stats and the
   * {@code --upstream} filter go by it; the large event is one entry; the redrive, right after
   * (well within {@code delivery.chunk_timeout}, when delivery still remembers the event's pieces),
   * gives the copy destination each event once more, the large one whole, and the first
   * destination nothing twice.
   */
  @Test
  void aCopyDestinationsDeadLettersAreListedByItAndRedrivenToItAloneTheLargeOneWhole() {
    try (SentryUpstream selfhosted = Pipeline.selfhosted(); SentryUpstream saas = Pipeline.saas()) {
      String topic = unique("events");
      SpillwayConfig config = Pipeline.config(yaml(topic, unique("app"), Pipeline.copiedRoute(selfhosted, saas)));
      try (DeliveryService service = DeliveryService.start(config)) {
        Route shop = new Route("selfhosted", "shop");
        List<BufferedEvent> small = new ArrayList<>();
        for (int i = 0; i < 4; i++) small.add(envelope(shop, eventId()));
        String bigId = eventId();
        BufferedEvent big = Pipeline.largeEnvelope(shop, bigId, 16);
        byte[] bigBody = big.body();
        List<BufferedEvent> pieces = Chunks.split(big);
        assertThat(pieces).hasSize(3);
        Set<String> failing = Set.of(small.get(0).eventId(), small.get(1).eventId(), bigId);
        saas.failWhen(r -> failing.contains(r.eventId()), 400, "project over quota");
        List<BufferedEvent> records = new ArrayList<>(small);
        records.addAll(pieces);
        produce(topic, records);
        Set<String> all = new HashSet<>(failing);
        small.forEach(e -> all.add(e.eventId()));
        await().atMost(Duration.ofSeconds(90)).until(() -> new HashSet<>(selfhosted.acceptedEventIds()).containsAll(all)
            && completeEntries(config) >= 3);

        List<DeadLetters.Entry> listed = list(config, new DeadLetters.Query(null, "saas", null, null, null));
        assertThat(listed).hasSize(3).allSatisfy(e -> {
          assertThat(e.route()).isEqualTo("selfhosted/shop");
          assertThat(e.destination()).isEqualTo("saas/shop");
          assertThat(e.reason()).isEqualTo("http_400");
        });
        DeadLetters.Entry large = listed.stream().filter(e -> bigId.equals(e.eventId())).findFirst().orElseThrow();
        assertThat(large.pieces()).isEqualTo(3);
        assertThat(large.complete()).isTrue();
        assertThat(large.size()).isEqualTo(bigBody.length);
        assertThat(list(config, new DeadLetters.Query(null, "selfhosted", null, null, null))).isEmpty();
        assertThat(list(config, new DeadLetters.Query("saas/shop", null, null, null, null))).hasSize(3);

        DeadLetters.Stats stats = DeadLetters.stats(config, DeadLetters.Query.all(), s -> { });
        assertThat(stats.rows()).singleElement().satisfies(r -> {
          assertThat(r.destination()).isEqualTo("saas/shop");
          assertThat(r.reason()).isEqualTo("http_400");
          assertThat(r.entries()).isEqualTo(3);
          assertThat(r.records()).isEqualTo(5);
          assertThat(r.redriven()).isZero();
        });
        String shown = DeadLetters.show(config, large.id());
        assertThat(shown).contains("large event: 3 pieces, " + bigBody.length + " bytes; all in the DLQ")
            .contains("spillway.dlq.destination: saas/shop");
        assertThat(shown.split("dead letter ", -1)).as("shown once").hasSize(2);

        saas.reset();
        saas.clear();
        selfhosted.clear();
        DeadLetters.Redrive r = DeadLetters.redrive(config, new DeadLetters.Query(null, "saas", null, null, null), false, s -> { });
        assertThat(r).isEqualTo(new DeadLetters.Redrive(3, 0, 3, 5, 0, false));
        await().atMost(Duration.ofSeconds(90)).until(() -> new HashSet<>(saas.acceptedEventIds()).containsAll(failing));
        SentryUpstream.Received whole = saas.accepted().stream().filter(x -> bigId.equals(x.eventId())).findFirst().orElseThrow();
        assertThat(whole.body()).as("the large event, whole, byte for byte").isEqualTo(bigBody);
        // nothing twice, and nothing at all for the destination that had them
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> saas.acceptedCount() == 3);
        assertThat(selfhosted.requests()).isEmpty();
        var copies = Pipeline.readAll(topic, 12, Duration.ofSeconds(10)).stream()
            .filter(x -> x.headers().lastHeader(DeadLetters.HEADER) != null).toList();
        assertThat(copies).hasSize(5).allSatisfy(x -> assertThat(Pipeline.header(x, KafkaForm.ONLY_DESTINATION)).isEqualTo("saas/shop"));
        assertThat(copies.stream().filter(x -> x.headers().lastHeader("spillway.chunk") != null))
            .as("every piece carries the large event's entry id").hasSize(3)
            .allSatisfy(x -> assertThat(Pipeline.header(x, DeadLetters.HEADER)).isEqualTo(large.id()));
        assertThat(DeadLetters.stats(config, DeadLetters.Query.all(), s -> { }).redriven()).isEqualTo(3);
      }
    }
  }

  static List<DeadLetters.Entry> list(SpillwayConfig config, DeadLetters.Query query) {
    return DeadLetters.list(config, query, null, 1000).entries();
  }

  /** Entries whose pieces are all in the DLQ: a large event's pieces are written one after another, and a listing may come between them. */
  private static long completeEntries(SpillwayConfig config) {
    return list(config, DeadLetters.Query.all()).stream().filter(DeadLetters.Entry::complete).count();
  }
}
