package io.spillway.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.spillway.delivery.tools.Bound;
import io.spillway.delivery.tools.DeadLetters;
import io.spillway.schemas.KafkaForm;
import io.spillway.schemas.config.SpillwayConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 16: the DLQ tools on a DLQ far larger than what they are asked about (the short version of
 * {@code bench/dlq}, which does the same with 1,000,000 dead letters). Two days of dead letters,
 * the last minutes holding 200 events (four of them large, in three pieces): what is read is the
 * range asked for (counted by the tools, not timed), a page stops where the page ends, pages
 * follow one another without a gap or a repeat, and a large event is one entry everywhere.
 */
@Timeout(180)
class DeadLetterScaleIntegrationTests {
  static final int EVENTS = 20_000;
  static final int RECENT = 200;
  static final int LARGE_EVERY = 50;
  static String topic;
  static SpillwayConfig config;
  static DlqFixture.Written written;

  @BeforeAll
  static void aLargeDlq() {
    topic = Pipeline.unique("events");
    config = Pipeline.config(Pipeline.yaml(topic, Pipeline.unique("app"), """
        a: { url: "http://127.0.0.1:9", projects: { a1: { id: 1, key: k1 }, a2: { id: 2, key: k2 } } }
        b: { url: "http://127.0.0.1:9", projects: { b1: { id: 3, key: k3 }, b2: { id: 4, key: k4 } } }
        c: { url: "http://127.0.0.1:9", projects: { c1: { id: 5, key: k5 } } }
        """));
    Pipeline.kafka().createTopic(topic, 3, (short) 1);
    Pipeline.kafka().createTopic(config.kafka().dlqTopic(), 3, (short) 1);
    written = DlqFixture.write(Pipeline.kafka().bootstrapServers(), config.kafka().dlqTopic(), EVENTS, RECENT, LARGE_EVERY,
        System.currentTimeMillis());
    assertThat(written.recentLarge()).isEqualTo(4);
    assertThat(written.recentRecords()).isEqualTo(RECENT + 4 * 2);
  }

  static DeadLetters.Query lastMinutes() {
    return new DeadLetters.Query(null, null, null, Bound.parse("-10m", Instant.now()), null);
  }

  @Test
  void theLastMinutesAreReadAloneAndEachEventIsOneEntry() {
    DeadLetters.Page page = DeadLetters.list(config, lastMinutes(), null, 10_000);
    assertThat(page.scanned()).as("records read: the range, not the DLQ").isEqualTo(written.recentRecords());
    assertThat(page.next()).isNull();
    assertThat(page.entries()).hasSize(RECENT);
    Map<String, Long> seen = new TreeMap<>();
    for (DeadLetters.Entry e : page.entries()) seen.merge(e.eventId(), e.pieces() == 0 ? 1L : e.pieces(), Long::sum);
    assertThat(seen).as("every event once, large ones with their pieces").isEqualTo(written.recentEventIds());
    assertThat(page.entries()).filteredOn(e -> e.pieces() > 0).hasSize(4).allSatisfy(e -> {
      assertThat(e.complete()).isTrue();
      assertThat(e.pieces()).isEqualTo(3);
      assertThat(DeadLetters.show(config, e.id())).contains("large event: 3 pieces");
    });
    assertThat(page.entries()).filteredOn(e -> DlqFixture.COPY_DESTINATION.equals(e.destination())).hasSize(RECENT / 5);
  }

  @Test
  void pagesFollowOneAnotherWithoutGapOrRepeatAndAPageReadsAboutItsOwnSize() {
    int limit = 30;
    List<String> ids = new ArrayList<>();
    String after = null;
    int pages = 0;
    do {
      DeadLetters.Page page = DeadLetters.list(config, lastMinutes(), after, limit);
      assertThat(page.entries().size()).isLessThanOrEqualTo(limit);
      assertThat(page.scanned()).as("a page of %d reads at most its entries' pieces and the cursor", limit).isLessThanOrEqualTo(limit * 3L + 1);
      page.entries().forEach(e -> ids.add(e.id()));
      after = page.next();
      pages++;
    } while (after != null && pages < 100);
    assertThat(ids).doesNotHaveDuplicates().hasSize(RECENT);
    // From the start of two days, a page stops after its page.
    DeadLetters.Page first = DeadLetters.list(config, DeadLetters.Query.all(), null, 10);
    assertThat(first.entries()).hasSize(10);
    assertThat(first.next()).isNotNull();
    assertThat(first.scanned()).isLessThanOrEqualTo(10 * 3 + 1);
  }

  @Test
  void statsCountTheRangeByDestinationAndReasonAndARedriveSendsItBackOnce() {
    DeadLetters.Stats stats = DeadLetters.stats(config, lastMinutes(), s -> { });
    assertThat(stats.scanned()).isEqualTo(written.recentRecords());
    assertThat(stats.entries()).isEqualTo(RECENT);
    assertThat(stats.records()).isEqualTo(written.recentRecords());
    Map<String, Long> rows = new TreeMap<>();
    for (DeadLetters.Stat r : stats.rows()) rows.put(r.destination() + " " + r.reason(), r.entries());
    assertThat(rows).isEqualTo(written.recentByDestinationReason());

    DeadLetters.Query recent = lastMinutes();
    List<String> progress = new ArrayList<>();
    assertThat(DeadLetters.redrive(config, recent, true, progress::add))
        .isEqualTo(new DeadLetters.Redrive(RECENT, 0, RECENT, written.recentRecords(), 0, true));
    assertThat(progress).last().asString().contains(written.recentRecords() + "/" + written.recentRecords() + " read");
    assertThat(DeadLetters.redrive(config, recent, false, s -> { }))
        .isEqualTo(new DeadLetters.Redrive(RECENT, 0, RECENT, written.recentRecords(), 0, false));
    var copies = Pipeline.readAll(topic, (int) written.recentRecords(), Duration.ofSeconds(20));
    assertThat(copies).hasSize((int) written.recentRecords()).allSatisfy(r -> {
      assertThat(r.headers().lastHeader(KafkaForm.DeadLetter.REASON)).isNull();
      assertThat(Pipeline.header(r, DeadLetters.HEADER)).isNotNull();
    });
    assertThat(copies).filteredOn(r -> DlqFixture.COPY_DESTINATION.equals(Pipeline.header(r, KafkaForm.ONLY_DESTINATION)))
        .hasSize((int) (RECENT / 5 + 2 * countLargeCopies()));
    Map<String, Set<String>> entryOfPieces = new HashMap<>();
    for (var r : copies) {
      if (Pipeline.header(r, "spillway.chunk") != null) {
        entryOfPieces.computeIfAbsent(Pipeline.header(r, "spillway.id"), k -> new HashSet<>()).add(Pipeline.header(r, DeadLetters.HEADER));
      }
    }
    assertThat(entryOfPieces).hasSize(4).allSatisfy((id, entry) -> assertThat(entry).as("one entry id on every piece").hasSize(1));

    assertThat(DeadLetters.redrive(config, recent, false, s -> { }))
        .isEqualTo(new DeadLetters.Redrive(RECENT, RECENT, 0, 0, 0, false));
    assertThat(DeadLetters.list(config, recent, null, 1000).entries()).allSatisfy(e -> assertThat(e.redriven()).isTrue());
    assertThat(DeadLetters.stats(config, recent, s -> { }).redriven()).isEqualTo(RECENT);
    // Older dead letters were left alone.
    DeadLetters.Page older = DeadLetters.list(config, new DeadLetters.Query(null, null, null, null, Bound.parse("-1h", Instant.now())), null, 5);
    assertThat(older.entries()).hasSize(5).allSatisfy(e -> assertThat(e.redriven()).isFalse());
  }

  /** Large events among the recent ones that are copies' (every fifth event is, every 50th is large). */
  private static long countLargeCopies() {
    long n = 0;
    for (long i = EVENTS - RECENT; i < EVENTS; i++) if (DlqFixture.isLarge(i, LARGE_EVERY) && i % 5 == 0) n++;
    return n;
  }
}
