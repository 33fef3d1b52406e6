package io.spillway.delivery.tools;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Streams the records of some {@link Span}s to a {@link Visitor}, one at a time: nothing is kept,
 * so memory is the consumer's fetch buffer ({@link ToolClients#FETCH_MAX_BYTES}) whatever the
 * range. A partition is read past its span's end (never past {@code hardEnd}) only while the
 * visitor asks for more of it: pieces of a large event whose first piece was in the range.
 */
final class RangeReader {
  /** A read gives up when the broker hands nothing for this long while records are still expected. */
  static final Duration STALL = Duration.ofSeconds(30);

  interface Visitor {
    /**
     * One record. {@code pastEnd}: at or after its span's end, read because {@link #more} asked.
     * Returns false to stop reading altogether.
     */
    boolean visit(ConsumerRecord<byte[], byte[]> record, boolean pastEnd);

    /** Whether to go on reading {@code tp} past its span's end. */
    default boolean more(TopicPartition tp) {
      return false;
    }
  }

  private RangeReader() {}

  /** Reads the spans (all partitions at once); returns how many records were visited. */
  static long read(KafkaConsumer<byte[], byte[]> consumer, List<Span> spans, Visitor visitor) {
    Map<TopicPartition, Span> open = new HashMap<>();
    for (Span s : spans) if (s.start() < s.end()) open.put(s.tp(), s);
    consumer.assign(open.keySet());
    for (Span s : open.values()) consumer.seek(s.tp(), s.start());
    long visited = 0;
    long lastProgress = System.nanoTime();
    while (!open.isEmpty()) {
      ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
      if (!records.isEmpty()) lastProgress = System.nanoTime();
      for (ConsumerRecord<byte[], byte[]> r : records) {
        Span s = open.get(new TopicPartition(r.topic(), r.partition()));
        if (s == null || r.offset() < s.start() || r.offset() >= s.hardEnd()) continue;
        boolean pastEnd = r.offset() >= s.end();
        if (pastEnd && !visitor.more(s.tp())) continue;
        visited++;
        if (!visitor.visit(r, pastEnd)) {
          consumer.unsubscribe();
          return visited;
        }
      }
      // Positions also move past transaction markers and compacted gaps, so ask the consumer.
      for (Span s : List.copyOf(open.values())) {
        long position = consumer.position(s.tp());
        if (position >= s.hardEnd() || (position >= s.end() && !visitor.more(s.tp()))) open.remove(s.tp());
      }
      consumer.pause(consumer.assignment().stream().filter(tp -> !open.containsKey(tp)).toList());
      if (System.nanoTime() - lastProgress > STALL.toNanos()) {
        throw new IllegalStateException("no records from Kafka for " + STALL.toSeconds() + " s while reading " + open.values());
      }
    }
    consumer.unsubscribe();
    return visited;
  }
}
