package io.spillway.delivery;

import io.spillway.schemas.config.SpillwayConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Kafka clients for the replay and DLQ tools. The consumer has no group: the tools assign
 * partitions and seek, so they never move delivery's committed offsets and never touch a record.
 */
final class ToolClients {
  /** A read gives up when the broker hands nothing for this long while records are still expected. */
  static final Duration STALL = Duration.ofSeconds(30);

  private ToolClients() {}

  static KafkaConsumer<byte[], byte[]> consumer(SpillwayConfig config) {
    Properties p = new Properties();
    p.putAll(config.kafka().properties());
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "1000");
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  static KafkaProducer<byte[], byte[]> producer(SpillwayConfig config) {
    Properties p = new Properties();
    p.putAll(config.kafka().properties());
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic) {
    List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
    if (infos == null || infos.isEmpty()) throw new IllegalArgumentException("topic " + topic + " does not exist");
    List<TopicPartition> out = new ArrayList<>();
    for (PartitionInfo i : infos) out.add(new TopicPartition(topic, i.partition()));
    out.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
    return out;
  }

  /**
   * Reads {@code [start, end)} of each partition and hands every record to {@code sink}. The ends
   * are fixed by the caller before reading, so records written meanwhile (for example by this
   * very tool) are not read.
   */
  static void read(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> start, Map<TopicPartition, Long> end,
      Consumer<ConsumerRecord<byte[], byte[]>> sink) {
    Map<TopicPartition, Long> open = new HashMap<>();
    for (var e : start.entrySet()) {
      long to = end.get(e.getKey());
      if (e.getValue() < to) open.put(e.getKey(), to);
    }
    consumer.assign(open.keySet());
    for (TopicPartition tp : open.keySet()) consumer.seek(tp, start.get(tp));
    long lastProgress = System.nanoTime();
    while (!open.isEmpty()) {
      var records = consumer.poll(Duration.ofMillis(200));
      if (!records.isEmpty()) lastProgress = System.nanoTime();
      for (ConsumerRecord<byte[], byte[]> r : records) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        Long to = open.get(tp);
        if (to != null && r.offset() < to) sink.accept(r);
      }
      // Positions also move past transaction markers and compacted gaps, so ask the consumer.
      for (TopicPartition tp : List.copyOf(open.keySet())) {
        if (consumer.position(tp) >= open.get(tp)) open.remove(tp);
      }
      consumer.pause(consumer.assignment().stream().filter(tp -> !open.containsKey(tp)).toList());
      if (System.nanoTime() - lastProgress > STALL.toNanos()) {
        throw new IllegalStateException("no records from Kafka for " + STALL.toSeconds() + " s while reading " + open.keySet());
      }
    }
  }

  static String text(ConsumerRecord<?, ?> r, String header) {
    var h = r.headers().lastHeader(header);
    return h == null || h.value() == null ? null : new String(h.value(), java.nio.charset.StandardCharsets.UTF_8);
  }
}
