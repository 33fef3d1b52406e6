package io.spillway.delivery.tools;

import io.spillway.schemas.config.SpillwayConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Which dead letters were redriven: the compacted topic {@code <dlq_topic>.redriven}, one record
 * per redriven DLQ record (key {@code partition:offset}, value the epoch ms of the redrive),
 * written only after its copy was acknowledged.
 *
 * <p>Never read whole for a part of the DLQ: a marker is written after its dead letter existed,
 * so the markers of dead letters timestamped at or after T all lie at or after T in the marker
 * topic's own time index. A tool reads the markers from (the oldest dead letter it looks at −
 * {@link #CLOCK_MARGIN}) on, found with offsets-for-times, and keeps only those of the dead letters
 * it looks at. The margin covers clocks of the delivery hosts (which stamp dead letters) running
 * ahead of the host running the tool (which stamps markers). Beyond it a marker can be missed:
 * that dead letter shows as not redriven and could be redriven a second time — a duplicate, never
 * a loss.
 */
final class RedriveMarkers {
  static final Duration CLOCK_MARGIN = Duration.ofHours(1);

  private RedriveMarkers() {}

  static String topic(SpillwayConfig config) {
    return config.kafka().dlqTopic() + ".redriven";
  }

  static ProducerRecord<byte[], byte[]> marker(SpillwayConfig config, String dlqId) {
    return new ProducerRecord<>(topic(config), dlqId.getBytes(StandardCharsets.UTF_8),
        Long.toString(System.currentTimeMillis()).getBytes(StandardCharsets.UTF_8));
  }

  /** Receives markers as {@code (partition, offset)} of the dead letter. */
  interface Sink {
    void marked(int partition, long offset);
  }

  /**
   * Streams the markers written since {@code sinceMillis} − {@link #CLOCK_MARGIN} ({@code sinceMillis}
   * ≤ 0: all of them); returns how many were read. No marker topic: none.
   */
  static long read(SpillwayConfig config, long sinceMillis, Sink sink) {
    String topic = topic(config);
    if (!ToolClients.exists(config, topic)) return 0;
    try (KafkaConsumer<byte[], byte[]> consumer = ToolClients.consumer(config, "spillway-dlq-markers")) {
      List<TopicPartition> tps = ToolClients.partitions(consumer, topic, "kafka.dlq_topic + .redriven", config);
      Bound from = sinceMillis <= 0 ? null : new Bound.At(java.time.Instant.ofEpochMilli(sinceMillis).minus(CLOCK_MARGIN));
      return RangeReader.read(consumer, Span.resolve(consumer, tps, from, null), (r, pastEnd) -> {
        if (r.key() == null || r.value() == null) return true;
        String k = new String(r.key(), StandardCharsets.UTF_8);
        int colon = k.indexOf(':');
        if (colon <= 0) return true;
        try {
          sink.marked(Integer.parseInt(k.substring(0, colon)), Long.parseLong(k.substring(colon + 1)));
        } catch (NumberFormatException e) {
          // not a marker of ours
        }
        return true;
      });
    }
  }

  /** The redriven dead letters among {@code ids} ({@code partition:offset}). */
  static Set<String> among(SpillwayConfig config, long sinceMillis, Set<String> ids) {
    Set<String> out = new java.util.HashSet<>();
    if (ids.isEmpty()) return out;
    read(config, sinceMillis, (p, o) -> {
      String id = p + ":" + o;
      if (ids.contains(id)) out.add(id);
    });
    return out;
  }

  /** The redriven dead letters within {@code spans} (of the DLQ), one bit per offset from each span's start. */
  static Marked within(SpillwayConfig config, long sinceMillis, List<Span> spans) {
    Marked m = new Marked(spans);
    read(config, sinceMillis, m::mark);
    return m;
  }

  /** Redriven offsets of some DLQ spans: at most one bit per offset of each span (1,000,000 dead letters: 122 KiB). */
  static final class Marked {
    private final Map<Integer, Span> spans = new HashMap<>();
    private final Map<Integer, BitSet> bits = new HashMap<>();

    Marked(List<Span> spans) {
      for (Span s : spans) this.spans.put(s.tp().partition(), s);
    }

    void mark(int partition, long offset) {
      Span s = spans.get(partition);
      if (s == null || offset < s.start() || offset >= s.hardEnd() || offset - s.start() >= Integer.MAX_VALUE) return;
      bits.computeIfAbsent(partition, k -> new BitSet()).set((int) (offset - s.start()));
    }

    boolean contains(int partition, long offset) {
      Span s = spans.get(partition);
      BitSet b = bits.get(partition);
      // Beyond 2^31 dead letters in one partition's range a marker is not kept: shown not redriven (a second redrive duplicates, never loses).
      return s != null && b != null && offset >= s.start() && offset < s.hardEnd() && offset - s.start() < Integer.MAX_VALUE
          && b.get((int) (offset - s.start()));
    }
  }
}
