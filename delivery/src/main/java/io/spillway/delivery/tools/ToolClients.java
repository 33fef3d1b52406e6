package io.spillway.delivery.tools;

import io.spillway.kafka.KafkaClients;
import io.spillway.kafka.KafkaTopics;
import io.spillway.schemas.config.SpillwayConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

/**
 * Kafka clients for the replay and DLQ tools, from {@link KafkaClients}. The consumer has no
 * group: the tools assign partitions and seek, so they never move delivery's committed offsets
 * and never touch a record. Its fetches are capped ({@value #FETCH_MAX_BYTES} bytes per fetch,
 * {@value #MAX_POLL_RECORDS} records per poll), which is what bounds a tool's memory.
 */
final class ToolClients {
  /** Bytes one fetch may bring (Kafka's default is 50 MiB); a chunk record (512 KiB) always fits. */
  static final int FETCH_MAX_BYTES = 8 * 1024 * 1024;
  static final int MAX_POLL_RECORDS = 500;
  /** How long finding out about a topic may take before the tool says Kafka does not answer. */
  static final Duration METADATA_TIMEOUT = Duration.ofSeconds(15);

  private ToolClients() {}

  static KafkaConsumer<byte[], byte[]> consumer(SpillwayConfig config, String clientId) {
    Properties p = KafkaClients.toolConsumer(config.kafka(), clientId);
    p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, Integer.toString(FETCH_MAX_BYTES));
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(MAX_POLL_RECORDS));
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(METADATA_TIMEOUT.toMillis()));
    return KafkaClients.newConsumer(p);
  }

  static KafkaProducer<byte[], byte[]> producer(SpillwayConfig config, String clientId) {
    return KafkaClients.newProducer(KafkaClients.producer(config.kafka(), clientId));
  }

  /**
   * The partitions of {@code topic}, sorted. A topic that does not exist is a config problem
   * ({@link IllegalArgumentException} naming {@code key}); a cluster that does not answer is not.
   */
  static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String topic, String key, SpillwayConfig config) {
    List<PartitionInfo> infos;
    try {
      infos = consumer.partitionsFor(topic, METADATA_TIMEOUT);
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      throw new IllegalStateException("Kafka at " + config.kafka().bootstrapServers() + " (kafka.bootstrap_servers) did not answer within "
          + METADATA_TIMEOUT.toSeconds() + " s", e);
    } catch (KafkaException e) {
      throw new IllegalStateException("cannot read topic " + topic + " from Kafka at " + config.kafka().bootstrapServers() + ": " + e.getMessage(), e);
    }
    if (infos == null || infos.isEmpty()) {
      throw new IllegalArgumentException("topic " + topic + " (" + key + ") does not exist on " + config.kafka().bootstrapServers());
    }
    List<TopicPartition> out = new ArrayList<>();
    for (PartitionInfo i : infos) out.add(new TopicPartition(topic, i.partition()));
    out.sort((a, b) -> Integer.compare(a.partition(), b.partition()));
    return out;
  }

  /** Whether {@code topic} exists (a missing marker topic is no error: nothing was redriven yet). */
  static boolean exists(SpillwayConfig config, String topic) {
    try (Admin a = KafkaClients.newAdmin(config.kafka(), "spillway-tools-admin")) {
      return a.listTopics().names().get(METADATA_TIMEOUT.toSeconds(), TimeUnit.SECONDS).contains(topic);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while listing topics", e);
    } catch (Exception e) {
      throw new IllegalStateException("cannot list topics of Kafka at " + config.kafka().bootstrapServers() + ": " + e, e);
    }
  }

  /** Creates {@code topic} as a compacted marker topic if it is missing. */
  static void ensureCompacted(SpillwayConfig config, String topic) {
    try (Admin a = KafkaClients.newAdmin(config.kafka(), "spillway-tools-admin")) {
      KafkaTopics.ensure(a, List.of(KafkaTopics.compacted(config.kafka(), topic)), Duration.ofSeconds(30));
    }
  }

  static String text(ConsumerRecord<?, ?> r, String header) {
    var h = r.headers().lastHeader(header);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
