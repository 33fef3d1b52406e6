package io.spillway.delivery;

import static io.spillway.delivery.Pipeline.config;
import static io.spillway.delivery.Pipeline.eventId;
import static io.spillway.delivery.Pipeline.header;
import static io.spillway.delivery.Pipeline.produce;
import static io.spillway.delivery.Pipeline.unique;
import static io.spillway.delivery.Pipeline.yaml;
import static io.spillway.runtime.SpillwayMetric.DELIVERY_DLQ;
import static io.spillway.runtime.SpillwayMetric.DELIVERY_SENT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.Chunks;
import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.KafkaForm;
import io.spillway.schemas.Route;
import io.spillway.schemas.SpillwayId;
import io.spillway.schemas.body.ContentEncoding;
import io.spillway.testkit.SentryUpstream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Large events in pieces, with a real broker and a real HTTP upstream (issue 15, large payloads end to end). */
@Timeout(180)
class LargeEventIntegrationTests {
  static final SpillwayId IDS = new SpillwayId();
  SentryUpstream up;
  final List<AutoCloseable> closeMe = new ArrayList<>();

  @BeforeEach
  void upstream() {
    up = SentryUpstream.start().project(501, "eeee1111eeee1111eeee1111eeee1111", null);
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closeMe) c.close();
    up.close();
  }

  String upstreams() {
    return """
        e:
          url: "%s"
          projects:
            e1: { id: 501, key: eeee1111eeee1111eeee1111eeee1111 }
        """.formatted(up.url());
  }

  DeliveryService start(String yaml) {
    DeliveryService s = DeliveryService.start(config(yaml));
    closeMe.add(0, s);
    return s;
  }

  /**
   * A 30 MiB attachment envelope and a 20 MiB minidump upload arrive at the upstream as the client
   * sent them, each once, although their pieces reached Kafka out of order, some twice, and mixed
   * with other events (as bridges re-produce after failures).
   */
  @Test
  void largeEventsArriveWholeOnceWhateverOrderTheirPiecesCameIn() {
    String topic = unique("events");
    DeliveryService service = start(yaml(topic, unique("app"), upstreams()));
    Random random = new Random(15);
    byte[] attachment = new byte[30 * 1024 * 1024];
    random.nextBytes(attachment);
    String envelopeId = eventId();
    byte[] envelope = envelopeBody(envelopeId, attachment);
    BufferedEvent big = event(EndpointKind.ENVELOPE, "/api/42/envelope/", "application/x-sentry-envelope", envelopeId, envelope);
    byte[] dump = new byte[20 * 1024 * 1024];
    random.nextBytes(dump);
    System.arraycopy("MDMP".getBytes(StandardCharsets.US_ASCII), 0, dump, 0, 4);
    BufferedEvent minidump = event(EndpointKind.MINIDUMP, "/api/42/minidump/", "application/octet-stream", null, dump);

    List<BufferedEvent> records = new ArrayList<>();
    List<BufferedEvent> small = new ArrayList<>();
    for (int i = 0; i < 20; i++) small.add(Pipeline.envelope(new Route("e", "e1"), eventId()));
    List<BufferedEvent> envelopePieces = new ArrayList<>(Chunks.split(big));
    List<BufferedEvent> dumpPieces = Chunks.split(minidump);
    int n = envelopePieces.size();
    assertThat(n).isEqualTo((envelope.length + Chunks.CHUNK_BYTES - 1) / Chunks.CHUNK_BYTES);
    Collections.shuffle(envelopePieces, random);
    records.addAll(small.subList(0, 10));
    records.addAll(envelopePieces.subList(0, 30));
    records.addAll(dumpPieces);
    records.addAll(envelopePieces.subList(20, 40)); // ten pieces twice
    records.addAll(small.subList(10, 20));
    records.addAll(envelopePieces.subList(40, n));
    records.addAll(dumpPieces.subList(0, 5)); // a repeat after the minidump completed
    produce(topic, records);

    await().atMost(Duration.ofSeconds(120)).conditionEvaluationListener(c -> {
      if (c.getRemainingTimeInMS() < 1000) {
        System.out.printf("upstream answers %s, pending %s, sent %s, dlq %s%n", up.statusCounts(),
            DeliveryIntegrationTests.pending(service, "e"), Pipeline.metric(service.adminPort(), DELIVERY_SENT, null),
            Pipeline.metric(service.adminPort(), DELIVERY_DLQ, null));
      }
    }).until(() -> up.acceptedCount() >= 22);
    SentryUpstream.Received gotEnvelope = only(envelopeId);
    assertThat(gotEnvelope.body()).as("the envelope, byte for byte (it has no sent_at to rewrite)").isEqualTo(envelope);
    SentryUpstream.Received gotDump = up.accepted().stream().filter(r -> r.path().contains("minidump")).findFirst().orElseThrow();
    assertThat(gotDump.body()).as("the minidump, byte for byte").isEqualTo(dump);
    assertThat(gotDump.path()).isEqualTo("/api/501/minidump/");
    // nothing twice, nothing partial
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> up.acceptedCount() == 22);
    assertThat(up.requests()).allSatisfy(r -> assertThat(r.status()).isEqualTo(200));
  }

  /**
   * An event whose pieces stop coming is given up once newer events keep arriving past
   * {@code delivery.chunk_timeout}: the pieces that came go to the DLQ, marked incomplete.
   */
  @Test
  void anEventThatCannotBeCompletedGoesToTheDlqMarkedIncomplete() {
    String topic = unique("events");
    start(yaml(topic, unique("app"), upstreams()).replace("punctuate_interval: 20ms", "punctuate_interval: 20ms, chunk_timeout: 2s"));
    byte[] body = new byte[3 * Chunks.CHUNK_BYTES + 10];
    new Random(16).nextBytes(body);
    long then = System.currentTimeMillis() - 10_000;
    BufferedEvent big = event(EndpointKind.MINIDUMP, "/api/42/minidump/", "application/octet-stream", null, body)
        .toBuilder().receivedAt(then).id(IDS.next(then)).build();
    List<BufferedEvent> pieces = Chunks.split(big);
    produce(topic, List.of(pieces.get(0), pieces.get(2))); // pieces 1 and 3 never come
    // newer events on the same route (same partition) keep arriving after the timeout
    await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> true);
    produce(topic, List.of(Pipeline.envelope(new Route("e", "e1"), eventId())));
    List<ConsumerRecord<byte[], byte[]>> dlq = Pipeline.readAll(topic + ".dlq", 2, Duration.ofSeconds(30));
    assertThat(dlq).hasSize(2).allSatisfy(r -> {
      assertThat(header(r, KafkaForm.DeadLetter.REASON)).isEqualTo("incomplete");
      assertThat(header(r, KafkaForm.DeadLetter.DETAIL)).isEqualTo("chunks [0, 2] of 4 arrived; the rest did not within delivery.chunk_timeout");
      assertThat(header(r, "spillway.id")).isEqualTo(big.id());
    });
    assertThat(up.accepted()).noneSatisfy(r -> assertThat(r.path()).contains("minidump"));
  }

  private SentryUpstream.Received only(String eventId) {
    List<SentryUpstream.Received> got = up.accepted().stream().filter(r -> eventId.equals(r.eventId())).toList();
    assertThat(got).hasSize(1);
    return got.get(0);
  }

  static BufferedEvent event(EndpointKind kind, String path, String contentType, String eventId, byte[] body) {
    long now = System.currentTimeMillis();
    return BufferedEvent.builder().id(IDS.next(now)).receivedAt(now).route(new Route("e", "e1")).kind(kind).path(path)
        .contentType(contentType).eventId(eventId).body(body).build();
  }

  static byte[] envelopeBody(String eventId, byte[] attachment) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    String item = "{\"event_id\":\"" + eventId + "\",\"message\":\"crash with a big attachment\"}";
    b.writeBytes(("{\"event_id\":\"" + eventId + "\"}\n{\"type\":\"event\",\"length\":" + item.length() + "}\n" + item + "\n"
        + "{\"type\":\"attachment\",\"length\":" + attachment.length + ",\"filename\":\"big.bin\"}\n").getBytes(StandardCharsets.UTF_8));
    b.writeBytes(attachment);
    b.write('\n');
    return b.toByteArray();
  }

  static byte[] gzip(byte[] b) {
    return ContentEncoding.gzip(b);
  }
}
