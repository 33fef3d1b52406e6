package io.spillway.delivery;

import io.spillway.schemas.KafkaForm;
import io.spillway.schemas.config.SpillwayConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * {@code spillway dlq}: lists, shows and redrives the records of {@code kafka.dlq_topic}. The DLQ
 * is only read, never changed. A redrive writes the original record (same key and value, the
 * original headers without the {@code spillway.dlq.*} ones, plus {@value #HEADER} = {@code p:offset}
 * of the DLQ record) to {@code kafka.topic}, where delivery tries it again under its normal rules.
 * What was redriven is remembered in a compacted topic {@code <dlq_topic>.redriven} (key
 * {@code p:offset}), written after the copy was acknowledged, so a second redrive skips it. A
 * crash between the two writes can redrive a record twice (at least once, like everything else).
 */
public final class DeadLetters {
  /** Header on a redriven copy: which DLQ record it came from ({@code partition:offset}). */
  public static final String HEADER = "spillway.redrive";
  private static final String DLQ_PREFIX = "spillway.dlq.";
  private static final int SHOW_BODY_CHARS = 4000;

  private DeadLetters() {}

  /**
   * One dead letter.
   *
   * @param deadAt   epoch ms it was dead-lettered (0 if the header is missing)
   * @param route    the record key, {@code upstream/project}
   * @param redriven whether a redrive already sent it back
   */
  public record Entry(int partition, long offset, long deadAt, String route, String reason, String status, String detail,
      String attempts, String eventId, boolean redriven) {
    /** {@code partition:offset}, the id {@code show} takes. */
    public String id() {
      return partition + ":" + offset;
    }
  }

  /** Which dead letters: by route ({@code upstream/project}) or upstream, and reason; null = any. */
  public record Filter(String route, String upstream, String reason) {
    public static Filter all() {
      return new Filter(null, null, null);
    }

    boolean matches(Entry e) {
      if (route != null && !route.equals(e.route())) return false;
      if (upstream != null && (e.route() == null || !e.route().startsWith(upstream + "/"))) return false;
      return reason == null || reason.equals(e.reason());
    }
  }

  /** What a redrive did: {@code matched} = matching entries, of which {@code alreadyRedriven} were skipped. */
  public record Redrive(long matched, long alreadyRedriven, long redriven, boolean dryRun) {}

  /** The matching dead letters, oldest first per partition. */
  public static List<Entry> list(SpillwayConfig config, Filter filter) {
    if (config == null) throw new NullPointerException("config == null");
    if (filter == null) throw new NullPointerException("filter == null");
    List<Entry> out = new ArrayList<>();
    Set<String> done = redrivenIds(config);
    readDlq(config, r -> {
      Entry e = entry(r, done);
      if (filter.matches(e)) out.add(e);
    });
    return out;
  }

  /** One dead letter as text: every header and the body (decoded, truncated). */
  public static String show(SpillwayConfig config, String id) {
    if (config == null) throw new NullPointerException("config == null");
    if (id == null) throw new NullPointerException("id == null");
    if (!id.matches("\\d+:\\d+")) throw new IllegalArgumentException("a dead letter id is partition:offset, e.g. 0:17 (see dlq list)");
    int p = Integer.parseInt(id.substring(0, id.indexOf(':')));
    long offset = Long.parseLong(id.substring(id.indexOf(':') + 1));
    try (KafkaConsumer<byte[], byte[]> consumer = ToolClients.consumer(config)) {
      String dlq = config.kafka().dlqTopic();
      TopicPartition tp = ToolClients.partitions(consumer, dlq).stream().filter(t -> t.partition() == p).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("no partition " + p + " in " + dlq));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      if (offset >= end || offset < consumer.beginningOffsets(List.of(tp)).get(tp)) {
        throw new IllegalArgumentException("no dead letter " + id + " in " + dlq);
      }
      List<ConsumerRecord<byte[], byte[]>> found = new ArrayList<>();
      ToolClients.read(consumer, Map.of(tp, offset), Map.of(tp, offset + 1), found::add);
      if (found.isEmpty()) throw new IllegalArgumentException("no dead letter " + id + " in " + dlq);
      ConsumerRecord<byte[], byte[]> r = found.get(0);
      StringBuilder s = new StringBuilder();
      s.append("dead letter ").append(id).append(" (").append(dlq).append(")\n");
      s.append("  key: ").append(r.key() == null ? "(none)" : new String(r.key(), StandardCharsets.UTF_8)).append('\n');
      s.append("  timestamp: ").append(java.time.Instant.ofEpochMilli(r.timestamp())).append('\n');
      for (var h : r.headers()) {
        s.append("  ").append(h.key()).append(": ").append(printable(h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8), 500)).append('\n');
      }
      s.append("  redriven: ").append(redrivenIds(config).contains(id) ? "yes" : "no").append('\n');
      byte[] body = r.value() == null ? new byte[0] : r.value();
      String encoding = ToolClients.text(r, "content-encoding");
      String decodedNote;
      try {
        body = io.spillway.schemas.body.ContentEncoding.of(encoding).decode(body, EnvelopeBody.MAX_DECODED);
        decodedNote = io.spillway.schemas.body.ContentEncoding.isIdentity(encoding) ? "" : " (decoded from " + encoding + ")";
      } catch (Exception e) {
        decodedNote = " (raw: could not decode " + encoding + ")";
      }
      s.append("body, ").append(body.length).append(" bytes").append(decodedNote).append(":\n");
      s.append(printable(new String(body, StandardCharsets.UTF_8), SHOW_BODY_CHARS)).append('\n');
      return s.toString();
    }
  }

  /** Sends the matching dead letters not redriven yet back to {@code kafka.topic}. */
  public static Redrive redrive(SpillwayConfig config, Filter filter, boolean dryRun) {
    if (config == null) throw new NullPointerException("config == null");
    if (filter == null) throw new NullPointerException("filter == null");
    if (!dryRun) ensureMarkerTopic(config);
    Set<String> done = redrivenIds(config);
    List<ConsumerRecord<byte[], byte[]>> todo = new ArrayList<>();
    long[] matched = {0};
    long[] already = {0};
    readDlq(config, r -> {
      Entry e = entry(r, done);
      if (!filter.matches(e)) return;
      matched[0]++;
      if (e.redriven()) already[0]++;
      else todo.add(r);
    });
    if (dryRun || todo.isEmpty()) return new Redrive(matched[0], already[0], 0, dryRun);
    String topic = config.kafka().topic();
    String markers = markerTopic(config);
    long redriven = 0;
    try (KafkaProducer<byte[], byte[]> producer = ToolClients.producer(config)) {
      List<Future<RecordMetadata>> copies = new ArrayList<>();
      for (ConsumerRecord<byte[], byte[]> r : todo) {
        RecordHeaders headers = new RecordHeaders();
        for (var h : r.headers()) if (!h.key().startsWith(DLQ_PREFIX)) headers.add(h);
        headers.add(HEADER, (r.partition() + ":" + r.offset()).getBytes(StandardCharsets.UTF_8));
        copies.add(producer.send(new ProducerRecord<>(topic, null, null, r.key(), r.value(), headers)));
      }
      // Marked only once its copy is acknowledged: a failed copy stays redrivable.
      List<Future<RecordMetadata>> marks = new ArrayList<>();
      List<String> failures = new ArrayList<>();
      for (int i = 0; i < todo.size(); i++) {
        ConsumerRecord<byte[], byte[]> r = todo.get(i);
        try {
          copies.get(i).get(60, TimeUnit.SECONDS);
          redriven++;
          marks.add(producer.send(new ProducerRecord<>(markers, (r.partition() + ":" + r.offset()).getBytes(StandardCharsets.UTF_8),
              Long.toString(System.currentTimeMillis()).getBytes(StandardCharsets.UTF_8))));
        } catch (Exception e) {
          if (failures.size() < 3) failures.add(r.partition() + ":" + r.offset() + " " + (e.getCause() == null ? e : e.getCause()));
        }
      }
      for (Future<RecordMetadata> m : marks) {
        try {
          m.get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
          if (failures.size() < 3) failures.add("marker: " + (e.getCause() == null ? e : e.getCause()));
        }
      }
      if (!failures.isEmpty()) {
        throw new IllegalStateException("redrive: " + redriven + " of " + todo.size() + " sent back; failures (a marker failure "
            + "means that record may be redriven again): " + failures);
      }
    }
    return new Redrive(matched[0], already[0], redriven, false);
  }

  static String markerTopic(SpillwayConfig config) {
    return config.kafka().dlqTopic() + ".redriven";
  }

  private static Entry entry(ConsumerRecord<byte[], byte[]> r, Set<String> done) {
    String at = ToolClients.text(r, KafkaForm.DeadLetter.AT);
    long deadAt;
    try {
      deadAt = at == null ? 0 : Long.parseLong(at);
    } catch (NumberFormatException e) {
      deadAt = 0;
    }
    return new Entry(r.partition(), r.offset(), deadAt, r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
        ToolClients.text(r, KafkaForm.DeadLetter.REASON), ToolClients.text(r, KafkaForm.DeadLetter.STATUS),
        ToolClients.text(r, KafkaForm.DeadLetter.DETAIL), ToolClients.text(r, KafkaForm.DeadLetter.ATTEMPTS),
        ToolClients.text(r, "event-id"), done.contains(r.partition() + ":" + r.offset()));
  }

  private static void readDlq(SpillwayConfig config, java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> sink) {
    try (KafkaConsumer<byte[], byte[]> consumer = ToolClients.consumer(config)) {
      List<TopicPartition> tps = ToolClients.partitions(consumer, config.kafka().dlqTopic());
      ToolClients.read(consumer, consumer.beginningOffsets(tps), consumer.endOffsets(tps), sink);
    }
  }

  /** Ids already redriven (none if the marker topic does not exist yet). */
  private static Set<String> redrivenIds(SpillwayConfig config) {
    Set<String> out = new HashSet<>();
    if (!topicExists(config, markerTopic(config))) return out;
    try (KafkaConsumer<byte[], byte[]> consumer = ToolClients.consumer(config)) {
      List<TopicPartition> tps = ToolClients.partitions(consumer, markerTopic(config));
      ToolClients.read(consumer, consumer.beginningOffsets(tps), consumer.endOffsets(tps), r -> {
        if (r.key() != null && r.value() != null) out.add(new String(r.key(), StandardCharsets.UTF_8));
      });
    }
    return out;
  }

  private static Admin admin(SpillwayConfig config) {
    Properties p = new Properties();
    p.putAll(config.kafka().properties());
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers());
    return Admin.create(p);
  }

  private static boolean topicExists(SpillwayConfig config, String topic) {
    try (Admin a = admin(config)) {
      return a.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic);
    } catch (Exception e) {
      throw new IllegalStateException("cannot list Kafka topics: " + e, e);
    }
  }

  private static void ensureMarkerTopic(SpillwayConfig config) {
    try (Admin a = admin(config)) {
      NewTopic t = new NewTopic(markerTopic(config), 1, config.kafka().replicationFactor())
          .configs(Map.of("cleanup.policy", "compact"));
      a.createTopics(List.of(t)).all().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) throw new IllegalStateException("cannot create " + markerTopic(config) + ": " + e.getCause(), e);
    } catch (Exception e) {
      throw new IllegalStateException("cannot create " + markerTopic(config) + ": " + e, e);
    }
  }

  /** Control characters (a terminal escape in an event) become '?'; long text is cut. */
  static String printable(String s, int max) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), max) + 16);
    for (int i = 0; i < s.length() && i < max; i++) {
      char c = s.charAt(i);
      b.append(c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7f) ? c : '?');
    }
    if (s.length() > max) b.append("… (").append(s.length() - max).append(" more chars)");
    return b.toString();
  }
}
