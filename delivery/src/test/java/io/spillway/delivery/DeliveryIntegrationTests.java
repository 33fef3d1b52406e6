package io.spillway.delivery;

import static io.spillway.delivery.Pipeline.config;
import static io.spillway.delivery.Pipeline.envelope;
import static io.spillway.delivery.Pipeline.eventId;
import static io.spillway.delivery.Pipeline.header;
import static io.spillway.delivery.Pipeline.produce;
import static io.spillway.delivery.Pipeline.unique;
import static io.spillway.delivery.Pipeline.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.KafkaForm;
import io.spillway.schemas.Route;
import io.spillway.testkit.SentryUpstream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Kafka → upstream with a real broker, real Redis and real HTTP (issue 4, acceptance 2, 3, 6, 7 and 1 at this level). */
@Timeout(180)
class DeliveryIntegrationTests {
  SentryUpstream a;
  SentryUpstream b;
  final List<AutoCloseable> closeMe = new ArrayList<>();

  @BeforeEach
  void upstreams() {
    a = SentryUpstream.start().project(101, "aaaa1111aaaa1111aaaa1111aaaa1111", "asecret1").project(102, "aaaa2222aaaa2222aaaa2222aaaa2222", null);
    b = SentryUpstream.start().project(201, "bbbb1111bbbb1111bbbb1111bbbb1111", null).project(202, "bbbb2222bbbb2222bbbb2222bbbb2222", "bsecret2");
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closeMe) c.close();
    a.close();
    b.close();
  }

  String upstreamsYaml(String extraA, String extraB) {
    return """
        a:
          url: "%s"
          %s
          projects:
            a1: { id: 101, key: aaaa1111aaaa1111aaaa1111aaaa1111, secret: asecret1 }
            a2: { id: 102, key: aaaa2222aaaa2222aaaa2222aaaa2222 }
        b:
          url: "%s"
          %s
          projects:
            b1: { id: 201, key: bbbb1111bbbb1111bbbb1111bbbb1111 }
            b2: { id: 202, key: bbbb2222bbbb2222bbbb2222bbbb2222, secret: bsecret2 }
        """.formatted(a.url(), extraA, b.url(), extraB);
  }

  DeliveryService start(String yaml) {
    DeliveryService s = DeliveryService.start(config(yaml));
    closeMe.add(0, s);
    return s;
  }

  static List<BufferedEvent> envelopes(Route route, int n) {
    List<BufferedEvent> out = new ArrayList<>();
    for (int i = 0; i < n; i++) out.add(envelope(route, eventId()));
    return out;
  }

  static Set<String> ids(List<BufferedEvent> events) {
    return events.stream().map(BufferedEvent::eventId).collect(Collectors.toSet());
  }

  @Test
  void badRequestsAndTooLargeGoToTheDlqWithReasonsAndTheRestFlows() {
    String topic = unique("events");
    start(yaml(topic, unique("app"), upstreamsYaml("", "")));
    List<BufferedEvent> events = envelopes(new Route("a", "a1"), 30);
    Set<String> bad = Set.of(events.get(3).eventId(), events.get(10).eventId(), events.get(20).eventId());
    Set<String> large = Set.of(events.get(5).eventId(), events.get(25).eventId());
    a.failWhen(r -> bad.contains(r.eventId()), 400, "invalid envelope");
    a.failWhen(r -> large.contains(r.eventId()), 413, "envelope exceeded size limits");
    produce(topic, events);
    // Records the delivery cannot even route: an unknown route and an undecodable one.
    BufferedEvent unknown = envelope(new Route("nope", "x"), eventId());
    produce(topic, List.of(unknown));
    try (KafkaProducer<byte[], byte[]> p = Pipeline.producer()) {
      p.send(new ProducerRecord<>(topic, "a/a1".getBytes(), "not a record".getBytes())).get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }

    Set<String> good = new HashSet<>(ids(events));
    good.removeAll(bad);
    good.removeAll(large);
    await().atMost(Duration.ofSeconds(60)).until(() -> new HashSet<>(a.acceptedEventIds()).containsAll(good));
    List<ConsumerRecord<byte[], byte[]>> dlq = Pipeline.readAll(topic + ".dlq", 7, Duration.ofSeconds(60));
    assertThat(dlq).hasSize(7);
    for (ConsumerRecord<byte[], byte[]> r : dlq) {
      String eid = header(r, "event-id");
      String reason = header(r, KafkaForm.DeadLetter.REASON);
      if (eid != null && bad.contains(eid)) {
        assertThat(reason).isEqualTo("http_400");
        assertThat(header(r, KafkaForm.DeadLetter.STATUS)).isEqualTo("400");
        assertThat(header(r, KafkaForm.DeadLetter.DETAIL)).isEqualTo("invalid envelope");
        assertThat(header(r, KafkaForm.DeadLetter.ATTEMPTS)).isEqualTo("1");
      } else if (eid != null && large.contains(eid)) {
        assertThat(reason).isEqualTo("http_413");
        assertThat(header(r, KafkaForm.DeadLetter.DETAIL)).isEqualTo("envelope exceeded size limits");
      } else if (unknown.eventId().equals(eid)) {
        assertThat(reason).isEqualTo("unknown_route");
      } else {
        assertThat(reason).isEqualTo("undecodable");
        assertThat(new String(r.value())).isEqualTo("not a record");
      }
      if (!"undecodable".equals(reason)) {
        // the original record comes along: it can be redriven as is
        BufferedEvent original = KafkaForm.decode(r.key(), r.value(), Pipeline.readHeaders(r));
        assertThat(original.eventId()).isEqualTo(eid);
      }
      assertThat(header(r, KafkaForm.DeadLetter.DETAIL)).doesNotContain("aaaa1111aaaa1111aaaa1111aaaa1111");
    }
    assertThat(dlq.stream().map(r -> header(r, "event-id")).collect(Collectors.toSet())).containsAll(bad).containsAll(large);
    assertThat(a.acceptedEventIds()).doesNotContainAnyElementsOf(bad).doesNotContainAnyElementsOf(large);
    assertThat(a.requests()).allSatisfy(r -> {
      assertThat(r.path()).isEqualTo("/api/101/envelope/");
      assertThat(r.key()).isEqualTo("aaaa1111aaaa1111aaaa1111aaaa1111");
      assertThat(r.secret()).isEqualTo("asecret1");
    });
  }
}
