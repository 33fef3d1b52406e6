package io.spillway.delivery;

import static io.spillway.delivery.Pipeline.envelope;
import static io.spillway.delivery.Pipeline.eventId;
import static io.spillway.delivery.Pipeline.produce;
import static io.spillway.delivery.Pipeline.unique;
import static io.spillway.delivery.Pipeline.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.spillway.schemas.BufferedEvent;
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
 * Issue 5, acceptance 3: events dead-lettered by a 400 are listed with their reason; once the
 * upstream is fixed, a redrive delivers them; a second redrive sends nothing again.
 */
@Timeout(150)
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
        for (int i = 0; i < 15; i++) events.add(envelope(new Route("a", "a1"), eventId()));
        Set<String> bad = new HashSet<>();
        for (int i = 0; i < 15; i += 3) bad.add(events.get(i).eventId());
        Set<String> good = events.stream().map(BufferedEvent::eventId).filter(id -> !bad.contains(id)).collect(Collectors.toSet());
        a.failWhen(r -> bad.contains(r.eventId()), 400, "invalid envelope");
        produce(topic, events);
        await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(a.acceptedEventIds()).containsAll(good));
        await().atMost(Duration.ofSeconds(60)).until(() -> DeadLetters.list(config, DeadLetters.Filter.all()).size() >= 5);

        List<DeadLetters.Entry> listed = DeadLetters.list(config, DeadLetters.Filter.all());
        assertThat(listed).hasSize(5).allSatisfy(e -> {
          assertThat(e.route()).isEqualTo("a/a1");
          assertThat(e.reason()).isEqualTo("http_400");
          assertThat(e.status()).isEqualTo("400");
          assertThat(e.detail()).isEqualTo("invalid envelope");
          assertThat(e.attempts()).isEqualTo("1");
          assertThat(e.deadAt()).isPositive();
          assertThat(e.redriven()).isFalse();
        });
        assertThat(listed.stream().map(DeadLetters.Entry::eventId).collect(Collectors.toSet())).isEqualTo(bad);
        assertThat(DeadLetters.list(config, new DeadLetters.Filter(null, null, "http_413"))).isEmpty();
        assertThat(DeadLetters.list(config, new DeadLetters.Filter("a/a2", null, null))).isEmpty();
        assertThat(DeadLetters.list(config, new DeadLetters.Filter(null, "a", "http_400"))).hasSize(5);

        String shown = DeadLetters.show(config, listed.get(0).id());
        assertThat(shown).contains(KafkaForm.DeadLetter.REASON + ": http_400").contains("redriven: no")
            .contains("(decoded from gzip)").contains("\"event_id\":\"" + listed.get(0).eventId() + "\"")
            .doesNotContain("aaaa1111aaaa1111aaaa1111aaaa1111").doesNotContain("asecret1");
        assertThat(a.acceptedEventIds()).doesNotContainAnyElementsOf(bad);

        // The upstream is fixed; a dry run counts, a redrive delivers.
        a.reset();
        DeadLetters.Redrive dry = DeadLetters.redrive(config, DeadLetters.Filter.all(), true);
        assertThat(dry).isEqualTo(new DeadLetters.Redrive(5, 0, 0, true));
        DeadLetters.Redrive done = DeadLetters.redrive(config, new DeadLetters.Filter(null, null, "http_400"), false);
        assertThat(done).isEqualTo(new DeadLetters.Redrive(5, 0, 5, false));
        await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(a.acceptedEventIds()).containsAll(bad));

        var copies = Pipeline.readAll(topic, 20, Duration.ofSeconds(10)).stream()
            .filter(r -> r.headers().lastHeader(DeadLetters.HEADER) != null).toList();
        assertThat(copies).hasSize(5).allSatisfy(r -> {
          assertThat(r.headers().lastHeader(KafkaForm.DeadLetter.REASON)).isNull();
          assertThat(Pipeline.header(r, "event-id")).isIn(bad);
        });
        assertThat(DeadLetters.list(config, DeadLetters.Filter.all())).hasSize(5).allSatisfy(e -> assertThat(e.redriven()).isTrue());

        // Redriving again sends nothing: each dead letter goes back once.
        assertThat(DeadLetters.redrive(config, DeadLetters.Filter.all(), false)).isEqualTo(new DeadLetters.Redrive(5, 5, 0, false));
        assertThat(Pipeline.readAll(topic, 20, Duration.ofSeconds(5))).hasSize(20);
        assertThat(Pipeline.counts(a.acceptedEventIds()).values()).allSatisfy(n -> assertThat(n).isEqualTo(1));
      }
    }
  }
}
