package io.spillway.delivery.tools;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;

/**
 * What a tool reads of one partition: {@code [start, end)}, and how far it may read on past
 * {@code end} to finish large events begun inside ({@code hardEnd}, the partition's end when the
 * tool started: records written meanwhile, for example by the tool itself, are never read).
 */
record Span(TopicPartition tp, long start, long end, long hardEnd) {
  Span {
    if (tp == null) throw new NullPointerException("tp == null");
    if (start > end || end > hardEnd) throw new IllegalArgumentException("span " + tp + " [" + start + "," + end + ") of " + hardEnd);
  }

  long size() {
    return end - start;
  }

  @Override
  public String toString() {
    return tp.partition() + ":[" + start + "," + end + ")";
  }

  /**
   * The spans of {@code from} (inclusive; null = each partition's start) to {@code to} (exclusive;
   * null = its end) over {@code tps}. A time is resolved with offsets-for-times: the first record
   * whose timestamp is at or after it (none: the end). Retention may have removed the start.
   */
  static List<Span> resolve(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> tps, Bound from, Bound to) {
    Map<TopicPartition, Long> first = consumer.beginningOffsets(tps);
    Map<TopicPartition, Long> last = consumer.endOffsets(tps);
    Map<TopicPartition, Long> start = from == null ? first : offsets(consumer, tps, from, first, last, true);
    Map<TopicPartition, Long> end = to == null ? last : offsets(consumer, tps, to, first, last, false);
    List<Span> out = new ArrayList<>();
    for (TopicPartition tp : tps) {
      long s = clamp(start.get(tp), first.get(tp), last.get(tp));
      long e = Math.max(s, clamp(end.get(tp), first.get(tp), last.get(tp)));
      out.add(new Span(tp, s, e, last.get(tp)));
    }
    return out;
  }

  private static long clamp(long v, long lo, long hi) {
    return Math.max(lo, Math.min(hi, v));
  }

  private static Map<TopicPartition, Long> offsets(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> tps, Bound bound,
      Map<TopicPartition, Long> first, Map<TopicPartition, Long> last, boolean isStart) {
    Map<TopicPartition, Long> out = new HashMap<>();
    if (bound instanceof Bound.At at) {
      Map<TopicPartition, Long> query = new HashMap<>();
      for (TopicPartition tp : tps) query.put(tp, at.time().toEpochMilli());
      Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, Duration.ofSeconds(30));
      for (TopicPartition tp : tps) {
        OffsetAndTimestamp o = found.get(tp);
        out.put(tp, o == null ? last.get(tp) : o.offset()); // nothing at or after that time: the end
      }
    } else {
      Bound.Offsets o = (Bound.Offsets) bound;
      for (Integer p : o.byPartition().keySet()) {
        if (tps.stream().noneMatch(tp -> tp.partition() == p)) {
          throw new IllegalArgumentException("partition " + p + " does not exist in " + tps.get(0).topic() + " (" + tps.size() + " partitions)");
        }
      }
      for (TopicPartition tp : tps) {
        Long v = o.byPartition().getOrDefault(tp.partition(), o.all());
        out.put(tp, v == null ? (isStart ? first.get(tp) : last.get(tp)) : v);
      }
    }
    return out;
  }
}
