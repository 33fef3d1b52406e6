package io.spillway.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class KafkaClusterIntegrationTests {

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void singleBrokerKeepsAcknowledgedRecordsAcrossSigkill() throws Exception {
    try (KafkaCluster kafka = KafkaCluster.start(1)) {
      kafka.createTopic("t", 3, (short) 1);
      produce(kafka.bootstrapServers(), "t", 0, 100);
      assertThat(consumeAll(kafka.bootstrapServers(), "t", 100)).hasSize(100);

      kafka.killBroker(0);
      assertThat(kafka.isRunning(0)).isFalse();
      kafka.startBroker(0);

      produce(kafka.bootstrapServers(), "t", 100, 50);
      List<String> values = consumeAll(kafka.bootstrapServers(), "t", 150);
      assertThat(values).hasSize(150).doesNotHaveDuplicates();
      assertThat(values).contains("v0", "v99", "v100", "v149");
    }
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void threeBrokersStayWritableWithOneKilled() throws Exception {
    try (KafkaCluster kafka = KafkaCluster.start(3)) {
      assertThat(kafka.bootstrapServers().split(",")).hasSize(3);
      kafka.createTopic("r3", 3, (short) 3, Map.of("min.insync.replicas", "2"));
      assertThat(kafka.describeTopic("r3")).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
      produce(kafka.bootstrapServers(), "r3", 0, 50);

      kafka.killBroker(1);
      produce(kafka.bootstrapServers(), "r3", 50, 50);
      kafka.startBroker(1);
      kafka.stopBroker(2);
      produce(kafka.bootstrapServers(), "r3", 100, 50);
      kafka.startBroker(2);

      List<String> values = consumeAll(kafka.bootstrapServers(), "r3", 150);
      assertThat(values).hasSize(150).doesNotHaveDuplicates();
    }
  }

  private static void produce(String bootstrap, String topic, int from, int count) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "60000");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      for (int i = from; i < from + count; i++) {
        acks.add(producer.send(new ProducerRecord<>(topic, ("k" + i).getBytes(StandardCharsets.UTF_8), ("v" + i).getBytes(StandardCharsets.UTF_8))));
      }
      for (Future<RecordMetadata> f : acks) f.get(60, TimeUnit.SECONDS);
    }
  }

  private static List<String> consumeAll(String bootstrap, String topic, int expected) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (values.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          values.add(new String(r.value(), StandardCharsets.UTF_8));
        }
      }
      // one more poll so that records beyond the expected count (duplicates) would show up
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
        values.add(new String(r.value(), StandardCharsets.UTF_8));
      }
    }
    return values;
  }
}
