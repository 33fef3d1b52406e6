package io.spillway.proof;

import io.spillway.schemas.KafkaForm;
import io.spillway.testkit.SentryUpstream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
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
 * what happened to every event the scenario sent. Counting is by event id and per destination: each
 * upstream's accepted requests and the DLQ topic's {@code event-id} headers (by the destination that
 * gave up) are compared with what the edge answered 200 on the routes that go there.
 */
final class FaultSuite {
  /** A fault: injected at {@code at} into the scenario, undone {@code lasting} later. */
  interface Action {
    void run(Pipeline p, LoadGenerator load, Ledger ledger) throws Exception;
  }

  record Scenario(String name, Duration load, Duration at, Duration lasting, Action inject, Action undo, String note,
      boolean lossAllowed) {}

  /**
   * What one destination made of the events routed to it. {@code owed}: acknowledged ids routed there;
   * {@code delivered}: of those, accepted (2xx) by its upstream at least once; {@code duplicates}: extra
   * accepted deliveries of ids this scenario sent; {@code deadLettered}: owed ids found in the DLQ topic
   * for this destination and never delivered; {@code lost}: owed, neither delivered nor dead-lettered;
   * {@code stray}: ids of this scenario its upstream accepted although they were not routed there.
   */
  record Tally(String destination, long owed, long delivered, long duplicates, long deadLettered, long lost, long stray,
      Map<String, Long> dlqReasons) {}

  /**
   * A place events are counted at: the upstream {@code name} of the pipeline's config, and which of a
   * scenario's sent ids are routed there.
   */
  record Destination(String name, SentryUpstream upstream, java.util.function.Function<Ledger, Set<String>> routed) {}

  /**
   * One row of the report. {@code destinations}: one tally per destination, the main upstream first
   * (every event of the scenario), then the copy's (the copied route's events);
   * {@code deliveredUnacked}: delivered to the main upstream although the client got no 200 (the edge
   * stored it, the answer was lost — an SDK would send it again).
   */
  record Row(String scenario, long sent, long acked, List<Tally> destinations, long rejected, String rejectedDetail,
      long noAnswer, long skipped, long deliveredUnacked, long poisonDelivered, String note, boolean lossAllowed,
      Duration drainedIn, long largeWhole, long largeNotWhole) {
    Tally main() {
      return destinations.get(0);
    }

    Tally copy() {
      return destinations.get(1);
    }
  }

  private final Pipeline pipeline;
  private final List<Destination> destinations;
  private final int rate;
  private final Duration drainTimeout;
  private final List<String> log = new ArrayList<>();

  FaultSuite(Pipeline pipeline, int rate, Duration drainTimeout) {
    this.pipeline = pipeline;
    this.destinations = List.of(new Destination("main", pipeline.upstream, l -> l.sent),
        new Destination("copy", pipeline.copy, l -> l.copied));
    this.rate = rate;
    this.drainTimeout = drainTimeout;
  }

  List<String> log() {
    return log;
  }

  Row run(Scenario s) throws Exception {
    Ledger ledger = new Ledger(s.name());
    List<Map<Integer, Integer>> statusBefore = destinations.stream().map(d -> d.upstream().statusCounts()).toList();
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
    // what each upstream answered during this scenario (proves the fault reached delivery)
    StringBuilder answers = new StringBuilder();
    for (int i = 0; i < destinations.size(); i++) {
      StringBuilder a = new StringBuilder();
      Map<Integer, Integer> before = statusBefore.get(i);
      destinations.get(i).upstream().statusCounts().forEach((status, n) -> {
        int d = n - before.getOrDefault(status, 0);
        if (d > 0) a.append(a.length() == 0 ? "" : ", ").append(status).append("×").append(d);
      });
      answers.append(i == 0 ? "" : "; ").append(destinations.get(i).name()).append(" answered ").append(a.length() == 0 ? "nothing" : a);
    }
    String note = s.note() + "; " + String.join("; ", ledger.notes) + (ledger.notes.isEmpty() ? "" : "; ") + answers;
    long[] large = largeWholeness(ledger);
    if (!ledger.largeDigests.isEmpty()) note += "; large events: " + large[0] + " delivered whole, " + large[1] + " not whole";
    row = new Row(row.scenario(), row.sent(), row.acked(), row.destinations(), row.rejected(), row.rejectedDetail(), row.noAnswer(),
        row.skipped(), row.deliveredUnacked(), row.poisonDelivered(), note, row.lossAllowed(), drained, large[0], large[1]);
    StringBuilder perDestination = new StringBuilder();
    for (Tally t : row.destinations()) {
      perDestination.append(" | ").append(t.destination()).append(": owed=").append(t.owed()).append(" delivered=").append(t.delivered())
          .append(" duplicates=").append(t.duplicates()).append(" dead-lettered=").append(t.deadLettered()).append(" lost=")
          .append(t.lost()).append(" stray=").append(t.stray()).append(" dlq=").append(t.dlqReasons());
    }
    say("  " + s.name() + ": sent=" + row.sent() + " acked=" + row.acked() + " rejected=" + row.rejected()
        + " [" + row.rejectedDetail() + "] no-answer=" + row.noAnswer() + " skipped=" + row.skipped()
        + " delivered-without-200=" + row.deliveredUnacked() + perDestination + " | drained in "
        + drained.toMillis() + " ms; " + pipeline.liveness());
    return row;
  }

  /**
   * Waits (up to the drain timeout) until every acknowledged id is delivered or dead-lettered at every
   * destination it was routed to, then counts.
   */
  private Row count(Scenario s, Ledger ledger, boolean wait) {
    long deadline = System.nanoTime() + drainTimeout.toNanos();
    while (true) {
      List<Map<String, Integer>> accepted = destinations.stream().map(d -> acceptedCounts(d.upstream())).toList();
      Map<String, Map<String, String>> dlq = deadLettersByDestination(pipeline.kafka.bootstrapServers(), pipeline.dlqTopic, this::say);
      boolean outstanding = false;
      for (int i = 0; i < destinations.size() && !outstanding; i++) {
        Set<String> routed = destinations.get(i).routed().apply(ledger);
        Map<String, String> dead = dlq.getOrDefault(destinations.get(i).name(), Map.of());
        for (String id : ledger.acked) {
          if (routed.contains(id) && !accepted.get(i).containsKey(id) && !dead.containsKey(id)) {
            outstanding = true;
            break;
          }
        }
      }
      if (!outstanding || !wait || System.nanoTime() > deadline) {
        return row(s, ledger, accepted, dlq);
      }
      Pipeline.sleep(1000);
    }
  }

  private Row row(Scenario s, Ledger ledger, List<Map<String, Integer>> accepted, Map<String, Map<String, String>> dlq) {
    List<Tally> tallies = new ArrayList<>();
    for (int i = 0; i < destinations.size(); i++) {
      Destination d = destinations.get(i);
      tallies.add(tally(d.name(), d.routed().apply(ledger), ledger, accepted.get(i), dlq.getOrDefault(d.name(), Map.of())));
    }
    Map<String, Integer> atMain = accepted.get(0);
    long poisonDelivered = ledger.ackedPoison.stream().filter(atMain::containsKey).count();
    long deliveredUnacked = ledger.sent.stream().filter(id -> atMain.containsKey(id) && !ledger.acked.contains(id)).count();
    return new Row(s.name(), ledger.sent.size(), ledger.acked.size(), List.copyOf(tallies), ledger.rejectedTotal(),
        ledger.rejectedSummary(), ledger.noAnswer.get(), ledger.skipped.get(), deliveredUnacked, poisonDelivered, s.note(),
        s.lossAllowed(), Duration.ZERO, 0, 0);
  }

  /** One destination's tally: {@code routed} = the scenario's sent ids routed there, {@code dlq} = its dead letters (id → reason). */
  static Tally tally(String destination, Set<String> routed, Ledger ledger, Map<String, Integer> accepted, Map<String, String> dlq) {
    long owed = 0;
    long delivered = 0;
    long dead = 0;
    long lost = 0;
    Map<String, Long> reasons = new HashMap<>();
    for (String id : ledger.acked) {
      if (!routed.contains(id)) continue;
      owed++;
      if (accepted.containsKey(id)) {
        delivered++;
      } else if (dlq.containsKey(id)) {
        dead++;
        reasons.merge(dlq.get(id), 1L, Long::sum);
      } else {
        lost++;
      }
    }
    long duplicates = 0;
    long stray = 0;
    for (String id : ledger.sent) {
      Integer n = accepted.get(id);
      if (n == null) continue;
      duplicates += n - 1;
      if (!routed.contains(id)) stray++;
    }
    return new Tally(destination, owed, delivered, duplicates, dead, lost, stray, reasons);
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

  /** Event id → DLQ reason of every record in {@code dlqTopic} (any destination), read from the beginning to the end offsets. */
  static Map<String, String> deadLetters(String bootstrap, String dlqTopic, java.util.function.Consumer<String> say) {
    Map<String, String> out = new HashMap<>();
    deadLettersByDestination(bootstrap, dlqTopic, say).values().forEach(out::putAll);
    return out;
  }

  /**
   * Upstream → (event id → DLQ reason) of every record in {@code dlqTopic}, read from the beginning to
   * the end offsets. The upstream is that of the destination that gave up ({@code spillway.dlq.destination}),
   * else of the record's route (its key).
   */
  static Map<String, Map<String, String>> deadLettersByDestination(String bootstrap, String dlqTopic,
      java.util.function.Consumer<String> say) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
    Map<String, Map<String, String>> out = new HashMap<>();
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
          if (id == null) continue;
          String destination = header(r, KafkaForm.DeadLetter.DESTINATION);
          if (destination == null && r.key() != null) destination = new String(r.key(), StandardCharsets.UTF_8);
          String upstream = destination == null ? "" : destination.substring(0, Math.max(0, destination.indexOf('/')));
          out.computeIfAbsent(upstream, k -> new HashMap<>()).put(id, String.valueOf(header(r, KafkaForm.DeadLetter.REASON)));
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
