package io.spillway.delivery.tools;

import io.spillway.runtime.SpillwayMetric;
import io.spillway.runtime.status.PrometheusText;
import io.spillway.runtime.status.Sample;
import io.spillway.schemas.config.SpillwayConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * {@code replay --wait}: follows a replay's copies through delivery until each has an outcome.
 *
 * <ul>
 *   <li><b>Delivered, held, retried, dropped</b>: delivery counts the outcomes of records carrying
 *       {@code spillway.replay} in {@code spillway_delivery_replay_total{replay, upstream, outcome}};
 *       the tool sums it over the {@code /metrics} of every delivery instance it is given
 *       ({@code delivery.admin}, or {@code --admin} for a fleet). Held and retried are answers
 *       (an event held twice counts twice), the others events.
 *   <li><b>Dead-lettered</b>: read from the DLQ itself (records with the replay's id, dead-lettered
 *       after the replay began, found with offsets-for-times), so it holds across delivery restarts
 *       and whichever instance dead-lettered them.
 *   <li><b>Still pending</b> = deliveries the copies asked for − delivered − dead-lettered − dropped.
 * </ul>
 * It ends when nothing is pending or after the timeout. A restarted delivery instance counts from
 * 0 again: {@link Totals} keeps what it counted before.
 */
public final class ReplayWatch {
  private static final Duration POLL = Duration.ofSeconds(1);

  private ReplayWatch() {}

  /**
   * Where the replay stands.
   *
   * @param expected     deliveries the copies asked for (per destination)
   * @param unreachable  admin addresses that did not answer the last time (their counts are missing)
   */
  public record Outcome(long expected, long ok, long held, long retried, long deadLettered, long dropped, boolean finished,
      List<String> unreachable) {
    public long pending() {
      return Math.max(0, expected - ok - deadLettered - dropped);
    }
  }

  /**
   * Follows {@code replay} until nothing is pending or {@code timeout} passed; {@code progress}
   * gets a line about once a second.
   *
   * @param admins the admin base URIs of the delivery instances ({@code http://host:port})
   */
  public static Outcome follow(SpillwayConfig config, Replay.Summary replay, List<URI> admins, Duration timeout,
      Consumer<String> progress) {
    if (config == null) throw new NullPointerException("config == null");
    if (replay == null) throw new NullPointerException("replay == null");
    if (admins == null || admins.isEmpty()) throw new IllegalArgumentException("no delivery admin address to follow the replay on");
    if (replay.dryRun()) throw new IllegalArgumentException("a dry run sends nothing to follow");
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    Totals totals = new Totals();
    try (DeadLettered dlq = new DeadLettered(config, replay)) {
      while (true) {
        Outcome o = look(http, admins, replay, totals, dlq.count());
        progress.accept(line(replay, o));
        if (o.finished() || System.nanoTime() > deadline) return o;
        try {
          Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return o;
        }
      }
    }
  }

  private static Outcome look(HttpClient http, List<URI> admins, Replay.Summary replay, Totals totals, long deadLettered) {
    List<String> unreachable = new ArrayList<>();
    for (URI admin : admins) {
      URI metrics = admin.resolve("/metrics");
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(3)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
          unreachable.add(metrics + " (HTTP " + r.statusCode() + ")");
          continue;
        }
        Map<String, Double> series = new HashMap<>();
        double started = Double.NaN;
        for (Sample s : PrometheusText.parse(r.body())) {
          if (s.is(SpillwayMetric.DELIVERY_REPLAY) && s.label("replay").equals(replay.replayId())) {
            series.merge(s.label("upstream") + '\0' + s.label("outcome"), s.value(), Double::sum);
          } else if (s.is(SpillwayMetric.DELIVERY_STARTED)) {
            started = s.value();
          }
        }
        totals.update(admin.toString(), started, series);
      } catch (java.io.IOException e) {
        unreachable.add(metrics + " (" + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        unreachable.add(metrics + " (interrupted)");
      }
    }
    long ok = totals.of("ok");
    long dropped = totals.of("dropped");
    boolean finished = unreachable.isEmpty() && ok + deadLettered + dropped >= replay.deliveries();
    return new Outcome(replay.deliveries(), ok, totals.of("held"), totals.of("retried"), deadLettered, dropped, finished,
        List.copyOf(unreachable));
  }

  /**
   * The replay's counts per delivery instance, kept across its restarts: when an instance's start
   * time changes, or one of its counts goes down or vanishes (a restart the tool did not see the
   * start time of), its last counts are set aside and its new ones added to them. An instance that
   * does not answer keeps its last counts.
   */
  static final class Totals {
    private static final class Instance {
      double started = Double.NaN;
      Map<String, Double> last = Map.of();
      final Map<String, Double> before = new HashMap<>();
    }

    private final Map<String, Instance> byAdmin = new HashMap<>();

    /** {@code series}: this look's counts by {@code upstream \0 outcome}; {@code started} NaN = not exported. */
    void update(String admin, double started, Map<String, Double> series) {
      Instance i = byAdmin.computeIfAbsent(admin, a -> new Instance());
      boolean restarted = !Double.isNaN(i.started) && !Double.isNaN(started) && started != i.started;
      for (var e : i.last.entrySet()) restarted |= series.getOrDefault(e.getKey(), 0.0) < e.getValue();
      if (restarted) i.last.forEach((k, v) -> i.before.merge(k, v, Double::sum));
      i.last = Map.copyOf(series);
      if (!Double.isNaN(started)) i.started = started;
    }

    /** The sum of one outcome over every instance, upstream and life. */
    long of(String outcome) {
      double sum = 0;
      String suffix = "\0" + outcome;
      for (Instance i : byAdmin.values()) {
        for (var e : i.before.entrySet()) if (e.getKey().endsWith(suffix)) sum += e.getValue();
        for (var e : i.last.entrySet()) if (e.getKey().endsWith(suffix)) sum += e.getValue();
      }
      return Math.round(sum);
    }
  }

  static String line(Replay.Summary replay, Outcome o) {
    return DeadLetters.bar(o.ok() + o.deadLettered() + o.dropped(), o.expected()) + " " + o.ok() + " delivered, "
        + o.deadLettered() + " dead-lettered, " + o.dropped() + " dropped, " + o.pending() + " pending (answers: "
        + o.held() + " held, " + o.retried() + " retried)" + (o.unreachable().isEmpty() ? "" : ", " + o.unreachable().size() + " admin(s) not answering");
  }

  /**
   * The replay's dead letters, counted as the DLQ grows: one per dead-lettered copy (a large event
   * once), read from the first record dead-lettered after the replay began.
   */
  private static final class DeadLettered implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String replayId;
    private final java.util.Set<String> incompleteSeen = new java.util.HashSet<>();
    private long count;

    DeadLettered(SpillwayConfig config, Replay.Summary replay) {
      this.consumer = ToolClients.consumer(config, "spillway-replay-wait");
      this.replayId = replay.replayId();
      List<TopicPartition> tps = ToolClients.partitions(consumer, config.kafka().dlqTopic(), "kafka.dlq_topic", config);
      // Dead letters are timestamped when dead-lettered: the replay's come after it began (a minute for clocks).
      List<Span> spans = Span.resolve(consumer, tps, new Bound.At(Instant.ofEpochMilli(replay.startedAt()).minusSeconds(60)), null);
      consumer.assign(tps);
      for (Span s : spans) consumer.seek(s.tp(), s.start());
    }

    /** Dead letters of the replay so far (reads what was added since the last call). */
    long count() {
      Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment());
      while (true) {
        boolean behind = false;
        for (var e : end.entrySet()) behind |= consumer.position(e.getKey()) < e.getValue();
        if (!behind) return count;
        ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
        for (ConsumerRecord<byte[], byte[]> r : records) {
          if (!replayId.equals(ToolClients.text(r, Replay.HEADER))) continue;
          DlqRecord d = DlqRecord.of(r);
          if (!d.isPiece()) {
            count++;
          } else if (d.ofIncompleteEvent()) {
            if (incompleteSeen.add(d.groupKey())) count++; // its first piece may be missing: counted at the first found
          } else if (d.index() == 0) {
            count++;
          }
        }
        if (records.isEmpty()) return count; // try again at the next look
      }
    }

    @Override
    public void close() {
      consumer.close(Duration.ofSeconds(2));
    }
  }
}
