package io.spillway.delivery;

import static io.spillway.delivery.Pipeline.config;
import static io.spillway.delivery.Pipeline.eventId;
import static io.spillway.delivery.Pipeline.produce;
import static io.spillway.delivery.Pipeline.secondInstance;
import static io.spillway.delivery.Pipeline.unique;
import static io.spillway.delivery.Pipeline.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.Route;
import io.spillway.schemas.SpillwayId;
import io.spillway.schemas.body.ContentEncoding;
import io.spillway.testkit.SentryUpstream;
import java.nio.charset.StandardCharsets;
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
 * Quota guard, real Kafka and a Sentry-like upstream: a crash loop of one issue at 500 events/s
 * (by the edge's clock) next to normal traffic of the same route and a copy to a second Sentry; the
 * capped issue gets exactly its cap per window, every other issue gets through, and the count stays
 * exact across a delivery restart in the middle of a window (state restored from the changelog into
 * a fresh state directory). {@code mvn verify} runs 40 s of loop in 10 s windows; {@code
 * -Dspillway.guard.seconds=120 -Dspillway.guard.window=60} runs the issue's 2 minutes in 1 m windows.
 */
@Timeout(600)
class QuotaGuardIntegrationTests {
  static final int SECONDS = Integer.getInteger("spillway.guard.seconds", 40);
  static final int WINDOW_S = Integer.getInteger("spillway.guard.window", 10);
  static final int CAP = 50;
  static final Route ROUTE = new Route("sentry", "api");
  static final SpillwayId IDS = new SpillwayId();
  static final String CRASH = "{\"exception\":{\"values\":[{\"type\":\"NullPointerException\",\"value\":\"order is null\","
      + "\"stacktrace\":{\"frames\":[{\"module\":\"com.shop.Checkout\",\"function\":\"pay\",\"in_app\":true,\"lineno\":12}]}}]},"
      + "\"level\":\"error\",\"platform\":\"java\"}";
  SentryUpstream upstream, copy;
  final List<AutoCloseable> closeMe = new ArrayList<>();

  @BeforeEach
  void upstreams() {
    upstream = SentryUpstream.start().project(7, "7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a", null);
    copy = SentryUpstream.start().project(8, "8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b", null);
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closeMe) c.close();
    upstream.close();
    copy.close();
  }

  static BufferedEvent event(String eventId, long receivedAt, String eventJson) {
    String json = eventJson.replace("{\"exception\"", "{\"event_id\":\"" + eventId + "\",\"exception\"")
        .replace("{\"message\"", "{\"event_id\":\"" + eventId + "\",\"message\"");
    String env = "{\"event_id\":\"" + eventId + "\"}\n{\"type\":\"event\"}\n" + json + "\n";
    return BufferedEvent.builder().id(IDS.next(receivedAt)).receivedAt(receivedAt).route(ROUTE).kind(EndpointKind.ENVELOPE)
        .path("/api/7/envelope/").contentType("application/x-sentry-envelope").contentEncoding("gzip")
        .userAgent("sentry.java/8.63.0").sentryClient("sentry.java/8.63.0").sentryVersion("7").clientIp("198.51.100.7")
        .eventId(eventId).body(ContentEncoding.gzip(env.getBytes(StandardCharsets.UTF_8))).build();
  }

  /**
   * {@link #event} with an incompressible attachment of {@code attachmentBytes} after the event
   * item, gzip'd as sentry-java sends it: above a chunk, so it travels (and is filed) in pieces.
   */
  static BufferedEvent largeEvent(String eventId, long receivedAt, String eventJson, int attachmentBytes) {
    BufferedEvent small = event(eventId, receivedAt, eventJson);
    byte[] attachment = new byte[attachmentBytes];
    new java.util.Random(receivedAt).nextBytes(attachment);
    java.io.ByteArrayOutputStream env = new java.io.ByteArrayOutputStream();
    try (java.io.InputStream in = ContentEncoding.GZIP.decoder(small.body())) {
      in.transferTo(env);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    env.writeBytes(("{\"type\":\"attachment\",\"length\":" + attachmentBytes + ",\"filename\":\"heap.hprof\"}\n")
        .getBytes(StandardCharsets.UTF_8));
    env.writeBytes(attachment);
    env.write('\n');
    return small.toBuilder().body(ContentEncoding.gzip(env.toByteArray())).build();
  }

  @Test
  void aCrashLoopOfLargeEventsIsGuardedByTheIssueInTheirFirstPiece() throws Exception {
    String topic = unique("events");
    String yaml = yaml(topic, unique("app"), """
        sentry:
          url: "%s"
          projects:
            api: { id: 7, key: 7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a, quota_guard: { max_per_issue: 3, window: "1h" } }
        """.formatted(upstream.url()));
    long t = (System.currentTimeMillis() / 3_600_000L) * 3_600_000L; // all in one window
    List<BufferedEvent> records = new ArrayList<>();
    Set<String> crashes = new HashSet<>(), others = new HashSet<>();
    for (int i = 0; i < 8; i++) {
      String id = eventId();
      crashes.add(id);
      records.addAll(io.spillway.schemas.Chunks.split(largeEvent(id, t + i, CRASH, 2 * io.spillway.schemas.Chunks.CHUNK_BYTES)));
      if (i % 3 == 0) {
        String other = eventId();
        others.add(other);
        records.addAll(io.spillway.schemas.Chunks.split(largeEvent(other, t + i,
            "{\"message\":\"other issue " + other + "\"}", 2 * io.spillway.schemas.Chunks.CHUNK_BYTES)));
      }
    }
    String last = eventId(); // one partition (one route): filed after every large event before it
    others.add(last);
    records.add(event(last, t + 100, "{\"message\":\"the last one\"}"));
    assertThat(records.size()).as("the large events travel in pieces").isGreaterThan(3 * (crashes.size() + others.size() - 1));

    DeliveryService service = DeliveryService.start(config(yaml));
    closeMe.add(service);
    produce(topic, records);
    await().atMost(Duration.ofSeconds(120)).until(() -> upstream.acceptedEventIds().containsAll(others)
        && upstream.acceptedEventIds().stream().filter(crashes::contains).count() >= 3);
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> true); // anything more would come now
    List<String> got = upstream.acceptedEventIds();
    assertThat(got.stream().filter(crashes::contains).distinct().count()).as("the cap of the crash loop's issue").isEqualTo(3);
    assertThat(got.stream().filter(id -> !crashes.contains(id) && !others.contains(id))).isEmpty();
  }

  @Test
  void aCrashLoopGetsExactlyItsCapPerWindowAcrossARestartAndEverythingElsePasses() throws Exception {
    String topic = unique("events");
    String yaml = yaml(topic, unique("app"), """
        sentry:
          url: "%s"
          projects:
            api: { id: 7, key: 7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a, copy_to: ["copy/api"],
                   quota_guard: { max_per_issue: %d, window: "%ds" } }
        copy:
          url: "%s"
          projects:
            api: { id: 8, key: 8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b8b }
        """.formatted(upstream.url(), CAP, WINDOW_S, copy.url()));
    long window = WINDOW_S * 1000L;
    long base = (System.currentTimeMillis() / window - (SECONDS * 1000L / window) - 2) * window; // aligned, in the past
    List<BufferedEvent> first = new ArrayList<>(), second = new ArrayList<>();
    Set<String> normal = new HashSet<>();
    long split = base + window + window / 2; // the restart falls in the middle of the second window
    for (int ms = 0; ms < SECONDS * 1000; ms += 2) { // 500/s of one issue
      long t = base + ms;
      (t < split ? first : second).add(event(eventId(), t, CRASH));
      if (ms % 100 == 0) { // 10/s of other issues, each its own
        String id = eventId();
        normal.add(id);
        (t < split ? first : second).add(event(id, t, "{\"message\":\"other issue " + id + "\"}"));
      }
    }
    int windows = (int) ((SECONDS * 1000L + window - 1) / window);

    DeliveryService one = DeliveryService.start(config(yaml));
    closeMe.add(one);
    produce(topic, first);
    int firstNormal = (int) first.stream().filter(e -> normal.contains(e.eventId())).count();
    await().atMost(Duration.ofSeconds(120)).until(() -> upstream.acceptedCount() >= firstNormal + CAP + CAP);
    one.close();
    closeMe.remove(one);

    DeliveryService two = DeliveryService.start(secondInstance(yaml)); // empty state dir: restored from the changelog
    closeMe.add(two);
    produce(topic, second);
    int expected = normal.size() + windows * CAP;
    await().atMost(Duration.ofSeconds(240)).until(() -> upstream.acceptedCount() >= expected && copy.acceptedCount() >= expected);
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> true);

    List<String> got = upstream.acceptedEventIds();
    Set<String> gotSet = new HashSet<>(got);
    assertThat(gotSet).containsAll(normal);
    long crashes = got.stream().filter(id -> !normal.contains(id)).distinct().count();
    System.out.printf("quota guard: %d crash events over %d s (%d windows of %d s), %d delivered; %d other events, all delivered%n",
        first.size() + second.size() - normal.size(), SECONDS, windows, WINDOW_S, crashes, normal.size());
    assertThat(crashes).as("exactly the cap per window").isEqualTo((long) windows * CAP);
    assertThat(new HashSet<>(copy.acceptedEventIds())).as("the copy gets the same, once").isEqualTo(gotSet);
  }
}
