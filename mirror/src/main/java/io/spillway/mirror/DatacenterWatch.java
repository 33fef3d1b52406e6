package io.spillway.mirror;

import io.spillway.kafka.KafkaClients;
import io.spillway.kafka.KafkaTopics;
import io.spillway.schemas.config.KafkaConfig;
import io.spillway.schemas.config.MirrorConfig;
import io.spillway.schemas.config.SpillwayConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches one datacenter from the central site, every few seconds on a thread of its own (a
 * datacenter behind a cut WAN link makes its calls wait for their timeouts; the others must not
 * wait with it): can its cluster be reached, does its topic exist, how far behind is the mirror
 * (records, and the age of the oldest record not copied yet), and has its retention deleted
 * records the mirror had not copied (the log start passed the last copied offset: a gap, counted
 * in the {@link GapLedger} before MirrorMaker 2 resumes and skips them in silence). It also creates
 * the central copy, so that the copy gets the central site's replication and min ISR.
 */
final class DatacenterWatch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DatacenterWatch.class);
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);

  /**
   * What the last round found. {@code lagRecords}/{@code lagSeconds} are {@code NaN} when unknown
   * (the datacenter could not be reached); {@code problem} is null when all is well and otherwise
   * names the config key to look at.
   */
  record State(boolean reachable, boolean topicExists, long lastContactMillis, String problem, double lagRecords,
      double lagSeconds, int partitions) {
    static State initial() {
      return new State(false, false, 0, "not checked yet", Double.NaN, Double.NaN, 0);
    }
  }

  private final String datacenter;
  private final String topic;
  private final String remoteTopic;
  private final String bootstrap;
  private final SpillwayConfig config;
  private final Admin source;
  private final KafkaConsumer<byte[], byte[]> probe;
  private final Admin central;
  private final CopyTail.Copies copies;
  private final GapLedger gaps;
  private final LongSupplier clock;
  private volatile State state = State.initial();
  private volatile boolean checked;
  /**
   * A suspected gap is reported only once it held this long: records MirrorMaker 2 fetched just
   * before the retention deleted them may still be on their way to the central cluster.
   */
  static final long SUSPECT_FOR_MS = 10_000;
  private final Map<Integer, Long> suspectedSince = new HashMap<>();
  private boolean remoteEnsured;
  private volatile String remoteProblem;
  private long unreachableSince;

  DatacenterWatch(SpillwayConfig config, MirrorConfig.Source source, Admin central, CopyTail.Copies copies, GapLedger gaps,
      LongSupplier clock) {
    this.config = config;
    this.datacenter = source.name();
    this.topic = config.kafka().topic();
    this.remoteTopic = MirrorConfig.remoteTopic(datacenter, topic);
    this.bootstrap = source.bootstrapServers();
    this.central = central;
    this.copies = copies;
    this.gaps = gaps;
    this.clock = clock;
    KafkaConfig dc = sourceKafka(config, source);
    this.source = Admin.create(adminProperties(dc, "spillway-mirror-watch-" + datacenter));
    Properties c = KafkaClients.toolConsumer(dc, "spillway-mirror-probe-" + datacenter);
    // it reads one record per lagging partition (for its timestamp): small fetches over the WAN
    c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, "16384");
    c.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, "262144");
    c.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(CALL_TIMEOUT.toMillis()));
    c.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(CALL_TIMEOUT.toMillis()));
    this.probe = KafkaClients.newConsumer(c);
  }

  /** A datacenter's cluster as a {@link KafkaConfig}: its address and client settings, the central config's topic. */
  static KafkaConfig sourceKafka(SpillwayConfig config, MirrorConfig.Source source) {
    KafkaConfig k = config.kafka();
    return new KafkaConfig(source.bootstrapServers(), k.topic(), k.dlqTopic(), k.partitions(), k.replicationFactor(),
        k.minInsyncReplicas(), source.properties());
  }

  /** An admin client whose calls give up within {@link #CALL_TIMEOUT}: a cut WAN link must not stall a round. */
  static Properties adminProperties(KafkaConfig cluster, String clientId) {
    Properties p = KafkaClients.admin(cluster, clientId);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(CALL_TIMEOUT.toMillis() - 1000));
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(CALL_TIMEOUT.toMillis()));
    return p;
  }

  String datacenter() {
    return datacenter;
  }

  State state() {
    return state;
  }

  /** True once a first round finished (successfully or not). */
  boolean checked() {
    return checked;
  }

  /** One round; never throws (what went wrong is in {@link #state()}). */
  void check() {
    try {
      round();
    } finally {
      checked = true;
    }
  }

  private void round() {
    long now = clock.getAsLong();
    try {
      TopicDescription d;
      try {
        d = source.describeTopics(List.of(topic)).allTopicNames().get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).get(topic);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof UnknownTopicOrPartitionException) {
          unreachableSince = 0;
          state = new State(true, false, now, "mirror.sources." + datacenter + ": topic " + topic + " (kafka.topic) does not exist on "
              + bootstrap + "; its edges and bridges have not run yet, or they use another kafka.topic", Double.NaN, Double.NaN, 0);
          return;
        }
        throw e;
      }
      List<TopicPartition> parts = new ArrayList<>();
      d.partitions().forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
      Map<TopicPartition, Long> start = offsets(source, parts, OffsetSpec.earliest());
      Map<TopicPartition, Long> end = offsets(source, parts, OffsetSpec.latest());
      unreachableSince = 0;
      if (!remoteEnsured) remoteEnsured = ensureRemoteTopic(parts.size());
      detectGaps(parts, start);
      long lag = 0;
      Map<TopicPartition, Long> next = new HashMap<>();
      for (TopicPartition tp : parts) {
        Long copied = copies.copiedUpTo.get(tp.partition());
        long from = copied == null ? start.get(tp) : Math.max(copied + 1, start.get(tp));
        long behind = Math.max(0, end.get(tp) - from);
        lag += behind;
        if (behind > 0) next.put(tp, from);
      }
      double age = next.isEmpty() ? 0 : oldestAgeSeconds(next, now);
      state = new State(true, true, now, remoteProblem, lag, age, parts.size());
    } catch (Exception e) {
      if (e instanceof InterruptedException) Thread.currentThread().interrupt();
      if (unreachableSince == 0) unreachableSince = now;
      Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      String why = e instanceof TimeoutException ? "no answer within " + CALL_TIMEOUT.toSeconds() + " s" : KafkaClients.describe(cause);
      state = new State(false, state.topicExists(), state.lastContactMillis(), "mirror.sources." + datacenter
          + ".bootstrap_servers (" + bootstrap + "): not reachable for " + Math.max(0, (now - unreachableSince) / 1000) + " s: " + why,
          Double.NaN, Double.NaN, state.partitions());
    }
  }

  /**
   * A partition's log start passed its last copied offset + 1: offsets in between are deleted and
   * were never copied. Certain only once the tail has read every copy written before the log start
   * was read (otherwise the copies of those offsets may just not have been read yet), so the
   * central ends are read after the datacenter's offsets.
   */
  private void detectGaps(List<TopicPartition> parts, Map<TopicPartition, Long> start) throws Exception {
    List<TopicPartition> suspects = new ArrayList<>();
    long now = clock.getAsLong();
    for (TopicPartition tp : parts) {
      Long copied = copies.copiedUpTo.get(tp.partition());
      if (copied != null && start.get(tp) > copied + 1) {
        long since = suspectedSince.computeIfAbsent(tp.partition(), k -> now);
        if (now - since >= SUSPECT_FOR_MS) suspects.add(tp);
      } else {
        suspectedSince.remove(tp.partition());
      }
    }
    if (suspects.isEmpty()) return;
    List<TopicPartition> remote = new ArrayList<>();
    suspects.forEach(tp -> remote.add(new TopicPartition(remoteTopic, tp.partition())));
    Map<TopicPartition, Long> remoteEnd = offsets(central, remote, OffsetSpec.latest());
    for (TopicPartition tp : suspects) {
      Long read = copies.readUpTo.get(tp.partition());
      Long copied = copies.copiedUpTo.get(tp.partition());
      long written = remoteEnd.get(new TopicPartition(remoteTopic, tp.partition()));
      if (read == null || read < written || copied == null || start.get(tp) <= copied + 1) continue; // not certain yet
      long n = gaps.report(datacenter, tp.partition(), copied + 1, start.get(tp), clock.getAsLong(),
          "the datacenter's log start " + start.get(tp) + " passed the last copied offset " + copied);
      if (n > 0) {
        log.error("mirror gap: {} records of {} partition {} (offsets {}..{}) were deleted by the datacenter's retention before "
            + "they were copied", n, datacenter, tp.partition(), copied + 1, start.get(tp) - 1);
      }
    }
  }

  /** Age of the oldest record not copied yet: the first record at each lagging partition's next offset. */
  private double oldestAgeSeconds(Map<TopicPartition, Long> next, long now) {
    try {
      probe.assign(next.keySet());
      next.forEach(probe::seek);
      Map<TopicPartition, Long> first = new HashMap<>();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      while (first.size() < next.size() && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : probe.poll(Duration.ofMillis(200))) {
          TopicPartition tp = new TopicPartition(r.topic(), r.partition());
          first.putIfAbsent(tp, r.timestamp());
          probe.pause(List.of(tp));
        }
      }
      probe.resume(probe.paused());
      long oldest = first.values().stream().mapToLong(Long::longValue).min().orElse(now);
      return Math.max(0, (now - oldest) / 1000.0);
    } catch (RuntimeException e) {
      return Double.NaN;
    }
  }

  /**
   * Creates {@code <dc>.<topic>} on the central cluster with the datacenter topic's partitions (a
   * copy keeps each record's partition) and the settings of Spillway's own event topics there
   * ({@code kafka.replication_factor}, {@code kafka.min_insync_replicas}, {@code max.message.bytes}):
   * MirrorMaker 2 would copy the source's settings instead, and never min ISR. An existing copy is
   * checked like every Spillway topic.
   */
  private boolean ensureRemoteTopic(int partitions) {
    try {
      KafkaTopics.Spec events = KafkaTopics.events(config.kafka(), remoteTopic);
      KafkaTopics.ensure(central, List.of(new KafkaTopics.Spec(remoteTopic, partitions, events.replicationFactor(), events.configs())),
          CALL_TIMEOUT);
      remoteProblem = null;
      return true;
    } catch (KafkaTopics.TopicsException e) {
      if (!e.getMessage().equals(remoteProblem)) log.warn("central copy of {}: {}", datacenter, e.getMessage());
      remoteProblem = e.getMessage();
      return false;
    }
  }

  private static Map<TopicPartition, Long> offsets(Admin admin, List<TopicPartition> parts, OffsetSpec spec) throws Exception {
    Map<TopicPartition, OffsetSpec> q = new HashMap<>();
    parts.forEach(tp -> q.put(tp, spec));
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> r =
        admin.listOffsets(q).all().get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    Map<TopicPartition, Long> out = new HashMap<>();
    r.forEach((tp, info) -> out.put(tp, info.offset()));
    return out;
  }

  @Override
  public void close() {
    source.close(Duration.ofSeconds(2));
    probe.close(Duration.ofSeconds(2));
  }
}
