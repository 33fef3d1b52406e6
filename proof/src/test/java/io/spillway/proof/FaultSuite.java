package io.spillway.proof;

import io.spillway.testkit.SentryUpstream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Runs scenarios one at a time against one {@link Pipeline}: steady load for the scenario's
 * time, its fault injected part-way through and undone, then a bounded drain, then the count of
 * what happened to every event the scenario sent. Counting is by event id: the upstream's accepted
 * requests and the DLQ topic's {@code event-id} headers are compared with what the edge answered 200.
 */
final class FaultSuite {
  /** A fault: injected at {@code at} into the scenario, undone {@code lasting} later. */
  interface Action {
    void run(Pipeline p, LoadGenerator load, Ledger ledger) throws Exception;
  }

  record Scenario(String name, Duration load, Duration at, Duration lasting, Action inject, Action undo, String note,
      boolean lossAllowed) {}

  /**
   * One row of the report. {@code delivered}: acknowledged ids the upstream accepted at least once;
   * {@code duplicates}: extra accepted deliveries of ids this scenario sent; {@code deadLettered}:
   * acknowledged ids found in the DLQ topic and never delivered; {@code lost}: acknowledged, neither
   * delivered nor dead-lettered; {@code deliveredUnacked}: delivered although the client got no
   * 200 (the edge stored it, the answer was lost — an SDK would send it again).
   */
  record Row(String scenario, long sent, long acked, long delivered, long duplicates, long deadLettered, long lost,
      long rejected, String rejectedDetail, long noAnswer, long skipped, long deliveredUnacked, long poisonDelivered,
      Map<String, Long> dlqReasons, String note, boolean lossAllowed, Duration drainedIn, long largeWhole, long largeNotWhole) {}

  private final Pipeline pipeline;
  private final int rate;
  private final Duration drainTimeout;
  private final List<String> log = new ArrayList<>();

  FaultSuite(Pipeline pipeline, int rate, Duration drainTimeout) {
    this.pipeline = pipeline;
    this.rate = rate;
    this.drainTimeout = drainTimeout;
  }

  List<String> log() {
    return log;
  }

  Row run(Scenario s) throws Exception {
    Ledger ledger = new Ledger(s.name());
    Map<Integer, Integer> statusBefore = pipeline.upstream.statusCounts();
    say("scenario " + s.name() + ": load " + rate + "/s for " + s.load().toSeconds() + " s, fault at " + s.at().toSeconds()
        + " s for " + s.lasting().toSeconds() + " s");
    try (LoadGenerator load = new LoadGenerator(pipeline)) {
      Thread fault = new Thread(() -> {
        try {
          Thread.sleep(s.at().toMillis());
          long t0 = System.nanoTime();
          s.inject().run(pipeline, load, ledger);
          long left = s.lasting().toMillis() - (System.nanoTime() - t0) / 1_000_000;
          if (left > 0) Thread.sleep(left);
          s.undo().run(pipeline, load, ledger);
          say("  " + s.name() + ": fault undone after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (Exception e) {
          say("  " + s.name() + ": fault action failed: " + e);
          throw new IllegalStateException(e);
        }
      }, "proof-fault");
      Throwable[] faultError = new Throwable[1];
      fault.setUncaughtExceptionHandler((t, e) -> faultError[0] = e);
      fault.start();
      load.run(ledger, rate, s.load());
      fault.join(Duration.ofMinutes(5).toMillis());
      if (fault.isAlive()) throw new IllegalStateException(s.name() + ": fault thread did not finish");
      if (faultError[0] != null) throw new IllegalStateException(s.name() + ": fault failed", faultError[0]);
      load.awaitQuiet();
    }
    long drainStart = System.nanoTime();
    Row row = count(s, ledger, true);
    Duration drained = Duration.ofNanos(System.nanoTime() - drainStart);
    // what the upstream answered during this scenario (proves the fault reached delivery)
    StringBuilder answers = new StringBuilder();
    pipeline.upstream.statusCounts().forEach((status, n) -> {
      int d = n - statusBefore.getOrDefault(status, 0);
      if (d > 0) answers.append(answers.length() == 0 ? "" : ", ").append(status).append("×").append(d);
    });
    String note = s.note() + "; upstream answered " + answers;
    long[] large = largeWholeness(ledger);
    if (!ledger.largeDigests.isEmpty()) note += "; large events: " + large[0] + " delivered whole, " + large[1] + " not whole";
    row = new Row(row.scenario(), row.sent(), row.acked(), row.delivered(), row.duplicates(), row.deadLettered(), row.lost(),
        row.rejected(), row.rejectedDetail(), row.noAnswer(), row.skipped(), row.deliveredUnacked(), row.poisonDelivered(),
        row.dlqReasons(), note, row.lossAllowed(), drained, large[0], large[1]);
    say("  " + s.name() + ": sent=" + row.sent() + " acked=" + row.acked() + " delivered=" + row.delivered() + " duplicates="
        + row.duplicates() + " dead-lettered=" + row.deadLettered() + " lost=" + row.lost() + " rejected=" + row.rejected()
        + " [" + row.rejectedDetail() + "] no-answer=" + row.noAnswer() + " skipped=" + row.skipped()
        + " delivered-without-200=" + row.deliveredUnacked() + " dlq=" + row.dlqReasons() + " drained in "
        + drained.toMillis() + " ms; " + pipeline.liveness());
    return row;
  }

  /** Waits (up to the drain timeout) until every acknowledged id is delivered or dead-lettered, then counts. */
  private Row count(Scenario s, Ledger ledger, boolean wait) {
    long deadline = System.nanoTime() + drainTimeout.toNanos();
    while (true) {
      Map<String, Integer> accepted = acceptedCounts(pipeline.upstream);
      Map<String, String> dlq = deadLetters();
      Set<String> outstanding = new HashSet<>();
      for (String id : ledger.acked) {
        if (!accepted.containsKey(id) && !dlq.containsKey(id)) outstanding.add(id);
      }
      if (outstanding.isEmpty() || !wait || System.nanoTime() > deadline) {
        return row(s, ledger, accepted, dlq);
      }
      Pipeline.sleep(1000);
    }
  }

  private Row row(Scenario s, Ledger ledger, Map<String, Integer> accepted, Map<String, String> dlq) {
    long delivered = 0;
    long dead = 0;
    long lost = 0;
    long poisonDelivered = 0;
    Map<String, Long> reasons = new HashMap<>();
    for (String id : ledger.acked) {
      if (accepted.containsKey(id)) {
        delivered++;
        if (ledger.ackedPoison.contains(id)) poisonDelivered++;
      } else if (dlq.containsKey(id)) {
        dead++;
        reasons.merge(dlq.get(id), 1L, Long::sum);
      } else {
        lost++;
      }
    }
    long duplicates = 0;
    long deliveredUnacked = 0;
    for (String id : ledger.sent) {
      Integer n = accepted.get(id);
      if (n == null) continue;
      duplicates += n - 1;
      if (!ledger.acked.contains(id)) deliveredUnacked++;
    }
    return new Row(s.name(), ledger.sent.size(), ledger.acked.size(), delivered, duplicates, dead, lost,
        ledger.rejectedTotal(), ledger.rejectedSummary(), ledger.noAnswer.get(), ledger.skipped.get(), deliveredUnacked,
        poisonDelivered, reasons, s.note(), s.lossAllowed(), Duration.ZERO, 0, 0);
  }

  /** Of the large events acknowledged: {delivered with exactly the bytes sent, every delivery; delivered otherwise (any copy)}. */
  private long[] largeWholeness(Ledger ledger) {
    long whole = 0;
    long notWhole = 0;
    Map<String, List<String>> digests = new HashMap<>();
    for (SentryUpstream.Received r : pipeline.upstream.accepted()) {
      if (r.eventId() != null && ledger.largeDigests.containsKey(r.eventId())) {
        digests.computeIfAbsent(r.eventId(), k -> new ArrayList<>()).add(r.bodySha256());
      }
    }
    for (var e : digests.entrySet()) {
      String want = ledger.largeDigests.get(e.getKey());
      if (e.getValue().stream().allMatch(want::equals)) whole++;
      else notWhole++;
    }
    return new long[] {whole, notWhole};
  }

  static Map<String, Integer> acceptedCounts(SentryUpstream upstream) {
    Map<String, Integer> m = new HashMap<>();
    for (String id : upstream.acceptedEventIds()) m.merge(id, 1, Integer::sum);
    return m;
  }

  /** Event id → DLQ reason of every record in the DLQ topic, read from the beginning to the end offsets. */
  Map<String, String> deadLetters() {
    return deadLetters(pipeline.kafka.bootstrapServers(), pipeline.dlqTopic, this::say);
  }

  /** Event id → DLQ reason of every record in {@code dlqTopic}, read from the beginning to the end offsets. */
  static Map<String, String> deadLetters(String bootstrap, String dlqTopic, java.util.function.Consumer<String> say) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
    Map<String, String> out = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
      List<TopicPartition> parts = c.partitionsFor(dlqTopic, Duration.ofSeconds(15)).stream()
          .map(i -> new TopicPartition(i.topic(), i.partition())).collect(Collectors.toList());
      if (parts.isEmpty()) return out;
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts, Duration.ofSeconds(15));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline) {
        boolean done = true;
        for (TopicPartition tp : parts) if (c.position(tp) < end.get(tp)) done = false;
        if (done) break;
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
          String id = header(r, "event-id");
          if (id != null) out.put(id, String.valueOf(header(r, "spillway.dlq.reason")));
        }
      }
    } catch (RuntimeException e) {
      say.accept("  cannot read the DLQ topic (counted as empty this round): " + e);
    }
    return out;
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  void say(String line) {
    String l = Instant.now() + " " + line;
    synchronized (log) {
      log.add(l);
    }
    System.out.println(l);
    // failsafe buffers the test's stdout until the end: a long run's progress is followed here
    try {
      java.nio.file.Files.writeString(java.nio.file.Path.of("target", "proof-progress.log"), l + "\n",
          java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    } catch (java.io.IOException ignored) {
      // progress only
    }
  }
}
