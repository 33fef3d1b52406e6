package io.spillway.mirror;

import io.spillway.kafka.KafkaClients;
import io.spillway.schemas.config.KafkaConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the central copies ({@code <dc>.<topic>}) as MirrorMaker 2 writes them, on a thread of its
 * own, and keeps per partition the highest source offset copied so far (from the
 * {@link SourceOffsetHeader}). Copies arrive in source order per partition, so a source offset
 * more than one past the highest means the records in between were deleted by the datacenter's
 * retention before MM2 could read them: reported to the {@link GapLedger}. A lower one is a record
 * copied again after a restart (delivery drops those). On start it reads only the last copy of each
 * partition: what was copied before is known from that alone.
 */
final class CopyTail implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CopyTail.class);
  private static final long DISCOVER_EVERY_MS = 5_000;
  /**
   * Copies read back per partition on start: the highest source offset among them is what was
   * copied before. More than one, because a restart of MM2 copies again what came after its last
   * offset flush, so the very last copy may be an older record copied twice.
   */
  static final long READ_BACK = 2_000;

  /** One datacenter's figures as read from its central copy. */
  static final class Copies {
    /** Partition → highest source offset copied (absent: nothing copied yet, or unknown). */
    final Map<Integer, Long> copiedUpTo = new ConcurrentHashMap<>();
    /** Partition → the next offset of the central copy this tail will read. */
    final Map<Integer, Long> readUpTo = new ConcurrentHashMap<>();
    /** Copies written to the central cluster (duplicates included), counted since start. */
    final AtomicLong records = new AtomicLong();
    /** Timestamp (received-at) of the newest copy seen; 0 = none. */
    volatile long newestTimestamp;
  }

  private final Map<String, String> topicToDatacenter = new HashMap<>();
  private final Map<String, Copies> byDatacenter = new HashMap<>();
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final GapLedger gaps;
  private final LongSupplier clock;
  private final Thread thread;
  private volatile boolean running = true;
  private volatile String problem = "not started";

  /** @param remoteTopics datacenter → its central copy's topic */
  CopyTail(Map<String, String> remoteTopics, KafkaConfig central, GapLedger gaps, LongSupplier clock) {
    remoteTopics.forEach((dc, topic) -> {
      topicToDatacenter.put(topic, dc);
      byDatacenter.put(dc, new Copies());
    });
    this.gaps = gaps;
    this.clock = clock;
    Properties p = KafkaClients.toolConsumer(central, "spillway-mirror-tail");
    // the copies are read for their headers only: big fetches, few round trips
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
    p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "200");
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    this.consumer = KafkaClients.newConsumer(p);
    this.thread = new Thread(this::loop, "spillway-mirror-tail");
    thread.setDaemon(true);
  }

  CopyTail start() {
    thread.start();
    return this;
  }

  Copies copies(String datacenter) {
    return byDatacenter.get(datacenter);
  }

  /** Why the tail cannot read the central copies, or null while it can. */
  String problem() {
    return problem;
  }

  private void loop() {
    Set<TopicPartition> assigned = new HashSet<>();
    long nextDiscovery = 0;
    try {
      while (running) {
        try {
          if (System.currentTimeMillis() >= nextDiscovery) {
            discover(assigned);
            nextDiscovery = System.currentTimeMillis() + DISCOVER_EVERY_MS;
          }
          if (assigned.isEmpty()) {
            problem = null;
            sleep(200);
            continue;
          }
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) observe(r);
          for (TopicPartition tp : assigned) {
            Copies c = byDatacenter.get(topicToDatacenter.get(tp.topic()));
            c.readUpTo.put(tp.partition(), consumer.position(tp, Duration.ofSeconds(5)));
          }
          problem = null;
        } catch (WakeupException e) {
          return;
        } catch (RuntimeException e) {
          if (!running) return;
          problem = "cannot read the central copies: " + e;
          log.warn("mirror tail: {}", e.toString());
          sleep(1000);
        }
      }
    } finally {
      consumer.close(Duration.ofSeconds(2));
    }
  }

  /** Assigns partitions of the copies that appeared (MM2 creates a copy when it first sees its source topic). */
  private void discover(Set<TopicPartition> assigned) {
    List<TopicPartition> added = new ArrayList<>();
    for (String topic : topicToDatacenter.keySet()) {
      List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
      if (infos == null) continue;
      for (PartitionInfo i : infos) {
        TopicPartition tp = new TopicPartition(topic, i.partition());
        if (!assigned.contains(tp)) added.add(tp);
      }
    }
    if (added.isEmpty()) return;
    assigned.addAll(added);
    consumer.assign(assigned);
    Map<TopicPartition, Long> end = consumer.endOffsets(added, Duration.ofSeconds(10));
    Map<TopicPartition, Long> begin = consumer.beginningOffsets(added, Duration.ofSeconds(10));
    // The last copies tell what was copied before this mirror started; read from there on.
    for (TopicPartition tp : added) consumer.seek(tp, Math.max(begin.get(tp), end.get(tp) - READ_BACK));
    log.info("mirror tail: reading {}", added);
  }

  private void observe(ConsumerRecord<byte[], byte[]> r) {
    String dc = topicToDatacenter.get(r.topic());
    Copies c = byDatacenter.get(dc);
    c.records.incrementAndGet();
    if (r.timestamp() > c.newestTimestamp) c.newestTimestamp = r.timestamp();
    Header h = r.headers().lastHeader(SourceOffsetHeader.HEADER);
    long offset = SourceOffsetHeader.sourceOffset(h == null ? null : h.value());
    if (offset < 0) return;
    Long before = c.copiedUpTo.get(r.partition());
    if (before != null && offset > before + 1) {
      long n = gaps.report(dc, r.partition(), before + 1, offset, clock.getAsLong(),
          "the next copy came from offset " + offset + " after " + before);
      if (n > 0) {
        log.error("mirror gap: {} records of {} partition {} (offsets {}..{}) were deleted by the datacenter's retention "
            + "before they were copied", n, dc, r.partition(), before + 1, offset - 1);
      }
    }
    if (before == null || offset > before) c.copiedUpTo.put(r.partition(), offset);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
