package io.spillway.delivery;

import io.spillway.schemas.Route;
import io.spillway.schemas.SpillwayId;
import io.spillway.schemas.config.SpillwayConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * {@code spillway replay}: re-delivers a range of {@code kafka.topic}. The selected records are
 * written again to the same topic (same key, value and headers, plus {@value #HEADER} = the replay
 * id), so the running delivery sends them under its normal rules: holds, retries, the DLQ and the
 * fleet-wide rate limits all apply, and there is no second sender to keep in line with them.
 * The originals are only read (assigned partitions, no consumer group), never changed.
 * Records that are themselves replay copies are skipped: the originals in the range stand for them.
 */
public final class Replay {
  /** Header on every replayed copy: the replay id. */
  public static final String HEADER = "spillway.replay";

  private static final Pattern RELATIVE = Pattern.compile("-(\\d+)([smhd])");
  private static final Pattern PAIRS = Pattern.compile("\\d+:\\d+(,\\d+:\\d+)*");

  private Replay() {}

  /** One end of a range: a time, or offsets. */
  public sealed interface Bound permits At, Offsets {}

  /** The first record whose timestamp is at or after {@code time}. */
  public record At(Instant time) implements Bound {
    public At {
      if (time == null) throw new NullPointerException("time == null");
    }
  }

  /**
   * Offsets per partition; {@code all} (when not null) applies to partitions not in the map.
   * A partition with neither means "its end" for {@code --to} and "its start" for {@code --from}.
   */
  public record Offsets(Map<Integer, Long> byPartition, Long all) implements Bound {
    public Offsets {
      byPartition = Map.copyOf(byPartition);
    }
  }

  /**
   * Parses a bound: {@code now}; ISO-8601 ({@code 2026-11-27T10:00:00Z}); relative to now
   * ({@code -2h}, {@code -30m}, {@code -45s}, {@code -1d}); an offset for every partition
   * ({@code 1500}); or per partition ({@code 0:120,1:98,2:130}).
   */
  public static Bound parseBound(String text, Instant now) {
    if (text == null) throw new NullPointerException("text == null");
    String t = text.trim();
    if (t.equals("now")) return new At(now);
    Matcher m = RELATIVE.matcher(t);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      Duration d = switch (m.group(2)) {
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
      return new At(now.minus(d));
    }
    if (t.matches("\\d{1,18}")) return new Offsets(Map.of(), Long.parseLong(t));
    if (PAIRS.matcher(t).matches()) {
      Map<Integer, Long> byPartition = new HashMap<>();
      for (String pair : t.split(",")) {
        int colon = pair.indexOf(':');
        int p = Integer.parseInt(pair.substring(0, colon));
        if (byPartition.put(p, Long.parseLong(pair.substring(colon + 1))) != null) {
          throw new IllegalArgumentException("partition " + p + " given twice in '" + text + "'");
        }
      }
      return new Offsets(byPartition, null);
    }
    try {
      return new At(Instant.parse(t));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("'" + text + "' is neither a time (2026-11-27T10:00:00Z, -2h, now) "
          + "nor offsets (1500, 0:120,1:98)");
    }
  }

  /**
   * Which records to replay: all, one route ({@code upstream/project}) or one upstream.
   */
  public record Selection(Route route, String upstream) {
    public Selection {
      if (route != null && upstream != null) throw new IllegalArgumentException("choose a route or an upstream, not both");
    }

    public static Selection all() {
      return new Selection(null, null);
    }

    boolean matches(byte[] key) {
      if (route == null && upstream == null) return true;
      if (key == null) return false;
      String k = new String(key, StandardCharsets.UTF_8);
      if (route != null) return k.equals(route.toString());
      return k.startsWith(upstream + "/");
    }
  }

  /**
   * What a replay did. {@code sent} counts copies the broker acknowledged; what delivery then made
   * of them (ok, held, DLQ) is on delivery's metrics and in the DLQ (copies keep {@value #HEADER}).
   *
   * @param scanned        records read in the range
   * @param selected       records matching the selection (what would be replayed)
   * @param skippedCopies  records in the range that were copies of an earlier replay
   * @param sent           copies written and acknowledged (0 on a dry run)
   * @param ranges         per partition, the offsets read: {@code p:[start,end)}
   */
  public record Summary(String replayId, boolean dryRun, long scanned, long selected, long skippedCopies, long sent,
      List<String> ranges) {}

  /** Runs a replay of {@code kafka.topic}; {@code progress} gets a line about once a second. */
  public static Summary run(SpillwayConfig config, Bound from, Bound to, Selection selection, boolean dryRun,
      Consumer<String> progress) {
    if (config == null) throw new NullPointerException("config == null");
    return run(config, config.kafka().topic(), from, to, selection, dryRun, progress);
  }

  /**
   * Runs a replay of {@code source}, one of the topics delivery reads (a datacenter's central copy
   * {@code <dc>.<topic>} for {@code replay --datacenter}); the copies always go to {@code kafka.topic},
   * which delivery reads too: the mirror's copies are MirrorMaker 2's alone.
   */
  public static Summary run(SpillwayConfig config, String source, Bound from, Bound to, Selection selection, boolean dryRun,
      Consumer<String> progress) {
    if (config == null) throw new NullPointerException("config == null");
    if (source == null) throw new NullPointerException("source == null");
    if (from == null) throw new NullPointerException("from == null");
    if (to == null) throw new NullPointerException("to == null");
    if (selection == null) throw new NullPointerException("selection == null");
    if (progress == null) throw new NullPointerException("progress == null");
    String topic = config.kafka().topic();
    String replayId = new SpillwayId().next(System.currentTimeMillis());
    byte[] replayIdBytes = replayId.getBytes(StandardCharsets.UTF_8);
    try (KafkaConsumer<byte[], byte[]> consumer = ToolClients.consumer(config);
         KafkaProducer<byte[], byte[]> producer = dryRun ? null : ToolClients.producer(config)) {
      List<TopicPartition> tps = ToolClients.partitions(consumer, source);
      // The end is fixed now: copies written by this replay land after it and are not read again.
      Map<TopicPartition, Long> first = consumer.beginningOffsets(tps);
      Map<TopicPartition, Long> last = consumer.endOffsets(tps);
      Map<TopicPartition, Long> start = resolve(consumer, tps, from, first, last, true);
      Map<TopicPartition, Long> end = resolve(consumer, tps, to, first, last, false);
      List<String> ranges = new ArrayList<>();
      long total = 0;
      for (TopicPartition tp : tps) {
        long s = start.get(tp);
        long e = Math.max(s, end.get(tp));
        end.put(tp, e);
        total += e - s;
        ranges.add(tp.partition() + ":[" + s + "," + e + ")");
      }
      AtomicLong scanned = new AtomicLong();
      AtomicLong selected = new AtomicLong();
      AtomicLong skipped = new AtomicLong();
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      long[] lastLine = {System.nanoTime()};
      long totalInRange = total;
      ToolClients.read(consumer, start, end, r -> {
        scanned.incrementAndGet();
        if (r.headers().lastHeader(HEADER) != null) {
          skipped.incrementAndGet();
        } else if (selection.matches(r.key())) {
          selected.incrementAndGet();
          if (producer != null) {
            RecordHeaders headers = new RecordHeaders();
            r.headers().forEach(headers::add);
            headers.add(HEADER, replayIdBytes);
            // Timestamp = now: the topic's time index stays in order; received-at travels in its header.
            acks.add(producer.send(new ProducerRecord<>(topic, null, null, r.key(), r.value(), headers)));
          }
        }
        if (System.nanoTime() - lastLine[0] > TimeUnit.SECONDS.toNanos(1)) {
          lastLine[0] = System.nanoTime();
          progress.accept(line(scanned.get(), totalInRange, selected.get(), dryRun));
        }
      });
      long sent = 0;
      if (producer != null) {
        producer.flush();
        List<String> failures = new ArrayList<>();
        for (Future<RecordMetadata> f : acks) {
          try {
            f.get(60, TimeUnit.SECONDS);
            sent++;
          } catch (Exception e) {
            if (failures.size() < 3) failures.add(String.valueOf(e.getCause() == null ? e : e.getCause()));
          }
        }
        if (sent < acks.size()) {
          throw new IllegalStateException("replay " + replayId + ": " + (acks.size() - sent) + " of " + acks.size()
              + " copies were not acknowledged (" + sent + " were; the rest can be replayed again): " + failures);
        }
      }
      progress.accept(line(scanned.get(), totalInRange, selected.get(), dryRun));
      return new Summary(replayId, dryRun, scanned.get(), selected.get(), skipped.get(), sent, List.copyOf(ranges));
    }
  }

  private static String line(long scanned, long total, long selected, boolean dryRun) {
    int width = 30;
    int done = total == 0 ? width : (int) Math.min(width, scanned * width / total);
    return "[" + "#".repeat(done) + " ".repeat(width - done) + "] " + scanned + "/" + total + " read, " + selected
        + (dryRun ? " would be replayed" : " replayed");
  }

  private static Map<TopicPartition, Long> resolve(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> tps, Bound bound,
      Map<TopicPartition, Long> first, Map<TopicPartition, Long> last, boolean isStart) {
    Map<TopicPartition, Long> out = new HashMap<>();
    if (bound instanceof At at) {
      Map<TopicPartition, Long> query = new HashMap<>();
      for (TopicPartition tp : tps) query.put(tp, at.time().toEpochMilli());
      var found = consumer.offsetsForTimes(query, Duration.ofSeconds(30));
      for (TopicPartition tp : tps) {
        var o = found.get(tp);
        out.put(tp, o == null ? last.get(tp) : o.offset()); // nothing at or after that time: the end
      }
    } else {
      Offsets o = (Offsets) bound;
      for (Integer p : o.byPartition().keySet()) {
        if (tps.stream().noneMatch(tp -> tp.partition() == p)) {
          throw new IllegalArgumentException("partition " + p + " does not exist (" + tps.size() + " partitions)");
        }
      }
      for (TopicPartition tp : tps) {
        Long v = o.byPartition().getOrDefault(tp.partition(), o.all());
        out.put(tp, v == null ? (isStart ? first.get(tp) : last.get(tp)) : v);
      }
    }
    // Retention may have removed the start; the end is now.
    out.replaceAll((tp, v) -> Math.max(first.get(tp), Math.min(last.get(tp), v)));
    return out;
  }
}
