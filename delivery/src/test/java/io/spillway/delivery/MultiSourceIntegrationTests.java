package io.spillway.delivery;

import static io.spillway.delivery.Pipeline.envelope;
import static io.spillway.delivery.Pipeline.eventId;
import static io.spillway.delivery.Pipeline.produce;
import static io.spillway.delivery.Pipeline.unique;
import static io.spillway.delivery.Pipeline.yaml;
import static io.spillway.runtime.SpillwayMetric.DELIVERY_DUPLICATES_DROPPED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.Route;
import io.spillway.testkit.SentryUpstream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Delivery at a central site: it reads {@code kafka.topic} and each datacenter's copy
 * {@code <dc>.<topic>} (made by the mirror; here written directly), records of different topics at
 * the same partition and offset never collide, a copy created after delivery started is read too,
 * and a second copy of an event (MirrorMaker 2 after a restart) is dropped and counted per source —
 * unless {@code delivery.dedup_window} is 0.
 */
@Timeout(300)
class MultiSourceIntegrationTests {
  static final String KEY = "dddd3333dddd3333dddd3333dddd3333";

  static String centralYaml(SentryUpstream up, String topic, String dedup) {
    return yaml(topic, unique("app"), """
        m:
          url: "%s"
          projects:
            p: { id: 601, key: %s }
        """.formatted(up.url(), KEY))
        .replace("delivery: { ", "delivery: { dedup_window: " + dedup + ", ")
        + "mirror: { sources: { dc1: { bootstrap_servers: \"dc1-kafka:9092\" }, dc2: { bootstrap_servers: \"dc2-kafka:9092\" } } }\n";
  }

  static List<BufferedEvent> events(int n) {
    List<BufferedEvent> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(envelope(new Route("m", "p"), eventId()));
    return out;
  }

  static Set<String> ids(List<BufferedEvent> events) {
    Set<String> s = new HashSet<>();
    events.forEach(e -> s.add(e.eventId()));
    return s;
  }

  @Test
  void readsEveryDatacenterCopyAndDropsSecondCopies() throws Exception {
    try (SentryUpstream up = SentryUpstream.start().project(601, KEY, null)) {
      String topic = unique("events");
      Pipeline.kafka().createTopic("dc1." + topic, 2, (short) 1); // a datacenter with fewer partitions than central
      try (DeliveryService delivery = DeliveryService.start(Pipeline.config(centralYaml(up, topic, "1h")))) {
        List<BufferedEvent> own = events(100);
        List<BufferedEvent> dc1 = events(300);
        List<BufferedEvent> dc2 = events(200);
        produce(topic, own);
        produce("dc1." + topic, dc1);
        produce("dc1." + topic, dc1.subList(0, 120)); // copied again, as MM2 does after a kill -9
        Set<String> want = ids(own);
        want.addAll(ids(dc1));
        await().atMost(Duration.ofSeconds(90)).until(() -> new HashSet<>(up.acceptedEventIds()).containsAll(want));

        // dc2's copy appears while delivery runs (the mirror creates it when dc2 first answers)
        Pipeline.kafka().createTopic("dc2." + topic, 3, (short) 1);
        produce("dc2." + topic, dc2);
        want.addAll(ids(dc2));
        await().atMost(Duration.ofSeconds(120)).until(() -> new HashSet<>(up.acceptedEventIds()).containsAll(want));
        int admin = delivery.adminPort();
        await().atMost(Duration.ofSeconds(10)).until(() ->
            Pipeline.metric(admin, DELIVERY_DUPLICATES_DROPPED, "source=\"dc1." + topic + "\"") == 120);

        Map<String, Integer> counts = Pipeline.counts(up.acceptedEventIds());
        assertThat(counts.keySet()).isEqualTo(want);
        assertThat(counts.values()).as("each event once: the copies were dropped, no record of one topic took another's place")
            .allMatch(n -> n == 1);
      }
    }
  }

  @Test
  void withDedupOffSecondCopiesAreDelivered() throws Exception {
    try (SentryUpstream up = SentryUpstream.start().project(601, KEY, null)) {
      String topic = unique("events");
      Pipeline.kafka().createTopic("dc1." + topic, 2, (short) 1);
      Pipeline.kafka().createTopic("dc2." + topic, 2, (short) 1);
      try (DeliveryService delivery = DeliveryService.start(Pipeline.config(centralYaml(up, topic, "0")))) {
        List<BufferedEvent> dc1 = events(100);
        produce("dc1." + topic, dc1);
        produce("dc1." + topic, dc1.subList(0, 30));
        await().atMost(Duration.ofSeconds(90)).until(() -> up.acceptedEventIds().size() >= 130);
        assertThat(Pipeline.counts(up.acceptedEventIds()).values().stream().filter(n -> n == 2).count()).isEqualTo(30);
        assertThat(Pipeline.metric(delivery.adminPort(), DELIVERY_DUPLICATES_DROPPED, null)).isZero();
      }
    }
  }

  /**
   * One task reads the same partition of every source topic, so an event of a datacenter's copy is
   * filed below the events already pending from the central topic ({@code dc1.*} sorts first). Scans
   * that wrap around start at the lowest pending key they saw, not at the range's start (RocksDB
   * tombstones): an event filed below it must still be sent at once, not after the held ones.
   */
  @Test
  void anEventFiledBelowHeldOnesIsSentAtOnce() throws Exception {
    try (SentryUpstream up = SentryUpstream.start().project(601, KEY, null)) {
      String topic = unique("events");
      Pipeline.kafka().createTopic("dc1." + topic, 3, (short) 1); // as many partitions as central: the same task
      up.rateLimitWhen(r -> r.itemTypes().contains("transaction"), Duration.ofSeconds(90), "90", "90:transaction:key");
      try (DeliveryService delivery = DeliveryService.start(Pipeline.config(centralYaml(up, topic, "1h")))) {
        long now = System.currentTimeMillis();
        List<BufferedEvent> held = new ArrayList<>();
        for (int i = 0; i < 5; i++) held.add(envelope(new Route("m", "p"), eventId(), now, Instant.ofEpochMilli(now), "transaction"));
        produce(topic, held);
        await().atMost(Duration.ofSeconds(60)).until(() -> up.statusCounts().containsKey(429));
        // the held transactions are scanned again every 200 ms from here on: the scan's start moves up to them
        await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(2)).until(() -> true);
        List<BufferedEvent> errors = events(5);
        produce("dc1." + topic, errors);
        await().atMost(Duration.ofSeconds(40)).until(() -> new HashSet<>(up.acceptedEventIds()).containsAll(ids(errors)));
        assertThat(up.acceptedEventIds()).as("the transactions are still held").doesNotContainAnyElementsOf(ids(held));
      }
    }
  }
}
