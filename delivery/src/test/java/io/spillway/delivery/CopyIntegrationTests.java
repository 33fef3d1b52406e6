package io.spillway.delivery;

import static io.spillway.delivery.Pipeline.config;
import static io.spillway.delivery.Pipeline.envelope;
import static io.spillway.delivery.Pipeline.eventId;
import static io.spillway.delivery.Pipeline.produce;
import static io.spillway.delivery.Pipeline.unique;
import static io.spillway.delivery.Pipeline.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.Route;
import io.spillway.testkit.SentryUpstream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A route copied to a second Sentry (issue 12, part 1): each destination gets every event with its
 * own real key and project id, and one that is down or held never delays the other.
 */
@Timeout(180)
class CopyIntegrationTests {
  SentryUpstream selfhosted;
  SentryUpstream saas;
  final List<AutoCloseable> closeMe = new ArrayList<>();

  @BeforeEach
  void upstreams() {
    selfhosted = SentryUpstream.start().project(3, "5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f", null);
    saas = SentryUpstream.start().project(4501234, "5aa55aa55aa55aa55aa55aa55aa55aa5", null)
        .project(4501235, "5bb55bb55bb55bb55bb55bb55bb55bb5", null);
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closeMe) c.close();
    selfhosted.close();
    saas.close();
  }

  String upstreams(String sampled) {
    return """
        selfhosted:
          url: "%s"
          projects:
            shop: { alias: shop, id: 3, key: 5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f, copy_to: ["saas/shop", "saas/sampled"] }
        saas:
          url: "%s"
          projects:
            shop: { id: 4501234, key: 5aa55aa55aa55aa55aa55aa55aa55aa5 }
            sampled: { id: 4501235, key: 5bb55bb55bb55bb55bb55bb55bb55bb5, copy_to_sample_rate: %s }
        """.formatted(selfhosted.url(), saas.url(), sampled);
  }

  DeliveryService start(String yaml) {
    DeliveryService s = DeliveryService.start(config(yaml));
    closeMe.add(0, s);
    return s;
  }

  @Test
  void bothDestinationsGetEveryEventAndADownOneDelaysNobody() {
    String topic = unique("events");
    DeliveryService service = start(yaml(topic, unique("app"), upstreams("0.0")));
    saas.down();
    List<BufferedEvent> events = new ArrayList<>();
    for (int i = 0; i < 200; i++) events.add(envelope(new Route("selfhosted", "shop"), eventId()));
    produce(topic, events);
    Set<String> ids = new HashSet<>();
    events.forEach(e -> ids.add(e.eventId()));
    await().atMost(Duration.ofSeconds(30)).until(() -> new HashSet<>(selfhosted.acceptedEventIds()).containsAll(ids));
    assertThat(DeliveryIntegrationTests.pending(service, "saas")).as("the copies wait for saas").isEqualTo(200);
    assertThat(DeliveryIntegrationTests.pending(service, "selfhosted")).isZero();
    saas.up();
    await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(saas.acceptedEventIds()).containsAll(ids));
    assertThat(selfhosted.accepted()).allSatisfy(r -> {
      assertThat(r.path()).isEqualTo("/api/3/envelope/");
      assertThat(r.key()).isEqualTo("5e1f5e1f5e1f5e1f5e1f5e1f5e1f5e1f");
    });
    assertThat(saas.accepted()).allSatisfy(r -> {
      assertThat(r.path()).isEqualTo("/api/4501234/envelope/");
      assertThat(r.key()).isEqualTo("5aa55aa55aa55aa55aa55aa55aa55aa5");
    });
    assertThat(saas.acceptedEventIds()).hasSize(200); // the sampled destination took none (rate 0)
    await().atMost(Duration.ofSeconds(10)).until(() -> DeliveryIntegrationTests.pending(service, "saas") == 0);
  }

  @Test
  void aSampledCopyTakesItsShareByEventId() {
    String topic = unique("events");
    start(yaml(topic, unique("app"), upstreams("0.1")));
    List<BufferedEvent> events = new ArrayList<>();
    for (int i = 0; i < 2000; i++) events.add(envelope(new Route("selfhosted", "shop"), eventId()));
    produce(topic, events);
    await().atMost(Duration.ofSeconds(90)).until(() -> saas.acceptedCount() >= 2000 && selfhosted.acceptedCount() >= 2000);
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).until(() -> true);
    long sampled = saas.accepted().stream().filter(r -> r.path().equals("/api/4501235/envelope/")).count();
    System.out.printf("sampled copy took %d of %d%n", sampled, events.size());
    assertThat(sampled).isBetween(140L, 260L); // 10 % of 2,000 ± 3 points
  }
}
