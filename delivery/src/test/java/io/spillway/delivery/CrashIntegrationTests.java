package io.spillway.delivery;

import static io.spillway.delivery.Pipeline.envelope;
import static io.spillway.delivery.Pipeline.eventId;
import static io.spillway.delivery.Pipeline.produce;
import static io.spillway.delivery.Pipeline.unique;
import static io.spillway.delivery.Pipeline.yaml;
import static io.spillway.runtime.SpillwayMetric.DELIVERY_PENDING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.Route;
import io.spillway.testkit.JavaProcess;
import io.spillway.testkit.SentryUpstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Issue 4, acceptance 5: kill -9 of a delivery process mid-run, restarted: every event delivered at least once. */
@Timeout(240)
class CrashIntegrationTests {

  @Test
  void killNineMidRunThenRestartDeliversEverythingAtLeastOnce() throws Exception {
    try (SentryUpstream up = SentryUpstream.start().project(301, "cccc1111cccc1111cccc1111cccc1111", null)
        .project(302, "cccc2222cccc2222cccc2222cccc2222", null)) {
      up.delay(Duration.ofMillis(20)); // a remote-ish upstream, so the kill lands with requests in flight
      String topic = unique("events");
      String yaml = yaml(topic, unique("app"), """
          c:
            url: "%s"
            max_in_flight: 16
            projects:
              c1: { id: 301, key: cccc1111cccc1111cccc1111cccc1111 }
              c2: { id: 302, key: cccc2222cccc2222cccc2222cccc2222 }
          """.formatted(up.url()))
          // a dead member must leave the group quickly so the restarted one gets its partitions
          .replace("replication_factor: 1 }", "replication_factor: 1, properties: { \"session.timeout.ms\": \"6000\", \"heartbeat.interval.ms\": \"1000\" } }");
      Path file = Files.createTempFile("spillway-delivery-", ".yml");
      Files.writeString(file, yaml);
      List<BufferedEvent> events = new ArrayList<>();
      for (int i = 0; i < 1500; i++) events.add(envelope(new Route("c", i % 2 == 0 ? "c1" : "c2"), eventId()));
      produce(topic, events);

      try (JavaProcess delivery = JavaProcess.start("io.spillway.delivery.DeliveryService", List.of("-Xmx256m"),
          "--config", file.toString())) {
        await().atMost(Duration.ofSeconds(90)).until(() -> up.acceptedCount() >= 300 || !delivery.isAlive());
        assertThat(delivery.isAlive()).as(delivery.output()).isTrue();
        delivery.kill();
        int atKill = up.acceptedCount();
        assertThat(atKill).as("killed mid-run").isLessThan(events.size());
        delivery.start();
        HashSet<String> want = new HashSet<>();
        events.forEach(e -> want.add(e.eventId()));
        await().atMost(Duration.ofSeconds(150)).until(() -> new HashSet<>(up.acceptedEventIds()).containsAll(want));
        // The restarted instance counted its restored store and the records it processed again without
        // counting any twice: nothing is left pending once everything is delivered.
        String out = delivery.output();
        int admin = Integer.parseInt(out.substring(out.lastIndexOf("delivery started admin=") + 23).split("\\s")[0]);
        await().atMost(Duration.ofSeconds(10)).until(() -> Pipeline.metric(admin, DELIVERY_PENDING, null) == 0);
        delivery.stop();

        Map<String, Integer> counts = Pipeline.counts(up.acceptedEventIds());
        int duplicates = up.acceptedEventIds().size() - counts.size();
        System.out.printf("kill -9 after %d of %d delivered; after restart: distinct=%d deliveries=%d duplicates=%d%n",
            atKill, events.size(), counts.size(), up.acceptedEventIds().size(), duplicates);
        assertThat(counts.keySet()).containsAll(want);
        assertThat(counts.values()).allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(1));
        // Bound on the replay: what was sent but whose deletion had not reached the changelog / offsets
        // commit (commit.interval.ms = 1 s) when the process died.
        assertThat(duplicates).isLessThan(events.size());
      } finally {
        Files.deleteIfExists(file);
      }
    }
  }

  @Test
  void gracefulCloseWaitsForRequestsInFlightSoARestartSendsNothingTwice() {
    try (SentryUpstream up = SentryUpstream.start().project(311, "cccc3333cccc3333cccc3333cccc3333", null)) {
      up.delay(Duration.ofMillis(300)); // many requests are in flight when close() is called
      String topic = unique("events");
      String yaml = yaml(topic, unique("app"), """
          g:
            url: "%s"
            max_in_flight: 50
            projects:
              g1: { id: 311, key: cccc3333cccc3333cccc3333cccc3333 }
          """.formatted(up.url()))
          .replace("replication_factor: 1 }", "replication_factor: 1, properties: { \"session.timeout.ms\": \"6000\", \"heartbeat.interval.ms\": \"1000\" } }");
      List<BufferedEvent> events = new ArrayList<>();
      for (int i = 0; i < 600; i++) events.add(envelope(new Route("g", "g1"), eventId()));
      produce(topic, events);
      DeliveryService first = DeliveryService.start(Pipeline.config(yaml));
      // Requests are recorded when they arrive and answered 300 ms later: once 150 arrived (batches
      // of 50), the last batch is certainly still waiting for its answer when close() starts.
      await().atMost(Duration.ofSeconds(60)).until(() -> up.requests().size() >= 150);
      first.close();
      int atClose = up.requests().size();
      assertThat(atClose).isGreaterThanOrEqualTo(150);
      assertThat(atClose).isLessThan(events.size());
      try (DeliveryService second = DeliveryService.start(Pipeline.config(yaml))) {
        HashSet<String> want = new HashSet<>();
        events.forEach(e -> want.add(e.eventId()));
        await().atMost(Duration.ofSeconds(90)).until(() -> new HashSet<>(up.acceptedEventIds()).containsAll(want));
      }
      int duplicates = up.acceptedEventIds().size() - Pipeline.counts(up.acceptedEventIds()).size();
      System.out.printf("graceful close after %d requests; after restart: deliveries=%d duplicates=%d%n",
          atClose, up.acceptedEventIds().size(), duplicates);
      assertThat(duplicates).as("every request in flight at close() was waited for and committed").isZero();
    }
  }
}
