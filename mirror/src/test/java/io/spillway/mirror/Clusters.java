package io.spillway.mirror;

import io.spillway.runtime.SpillwayMetric;
import io.spillway.testkit.PrometheusText;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Plain Kafka clients for the mirror's tests: produce records with a {@code spillway.id}, read them back, change topics. */
final class Clusters {
  private Clusters() {}

  /** Produces {@code n} records (key = route, header spillway.id = a fresh id) and returns their ids once acknowledged. */
  static List<String> produce(String bootstrap, String topic, int n) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    // One request in flight: a batch sent right after the topic was created can be refused (partition not open
    // yet) while the next one is taken as that producer's first, and the first's retry is then out of order for
    // ever (OutOfOrderSequenceException until delivery.timeout.ms: a produce() that timed out after 30 s).
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    List<String> ids = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String id = UUID.randomUUID().toString();
        RecordHeaders h = new RecordHeaders();
        h.add("spillway.id", id.getBytes(StandardCharsets.UTF_8));
        acks.add(producer.send(new ProducerRecord<>(topic, null, ("route/" + (i % 7)).getBytes(StandardCharsets.UTF_8),
            ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8), h)));
        ids.add(id);
      }
      for (Future<RecordMetadata> f : acks) f.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("produce to " + topic, e);
    }
    return ids;
  }

  /** Every {@code spillway.id} in a topic, with how often it appears. */
  static Map<String, Integer> ids(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    Map<String, Integer> out = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      var infos = c.partitionsFor(topic, Duration.ofSeconds(10));
      if (infos == null || infos.isEmpty()) return out;
      List<TopicPartition> parts = infos.stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (System.nanoTime() < deadline && parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          var h = r.headers().lastHeader("spillway.id");
          if (h != null) out.merge(new String(h.value(), StandardCharsets.UTF_8), 1, Integer::sum);
        }
      }
    }
    return out;
  }

  static Admin admin(String bootstrap) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return Admin.create(p);
  }

  static void setTopicConfig(String bootstrap, String topic, Map<String, String> set, Collection<String> delete) {
    try (Admin a = admin(bootstrap)) {
      ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
      List<AlterConfigOp> ops = new ArrayList<>();
      set.forEach((k, v) -> ops.add(new AlterConfigOp(new ConfigEntry(k, v), AlterConfigOp.OpType.SET)));
      delete.forEach(k -> ops.add(new AlterConfigOp(new ConfigEntry(k, ""), AlterConfigOp.OpType.DELETE)));
      a.incrementalAlterConfigs(Map.of(r, ops)).all().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("alter " + topic, e);
    }
  }

  /** Offsets of every partition at the log start or end. */
  static Map<Integer, Long> offsets(String bootstrap, String topic, int partitions, OffsetSpec spec) {
    try (Admin a = admin(bootstrap)) {
      Map<TopicPartition, OffsetSpec> q = new HashMap<>();
      for (int i = 0; i < partitions; i++) q.put(new TopicPartition(topic, i), spec);
      Map<Integer, Long> out = new HashMap<>();
      a.listOffsets(q).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> out.put(tp.partition(), info.offset()));
      return out;
    } catch (Exception e) {
      throw new IllegalStateException("offsets of " + topic, e);
    }
  }

  static long sum(Map<Integer, Long> m) {
    return m.values().stream().mapToLong(Long::longValue).sum();
  }

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** GET on an admin port: status and body; status -1 when nothing answered. */
  static HttpResponse<String> get(int port, String path) {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      return null;
    }
  }

  /** A sample's value from a Prometheus scrape (sum over matching series), NaN when absent or unreachable. */
  static double metric(int port, SpillwayMetric metric, String labelFragment) {
    HttpResponse<String> r = get(port, "/metrics");
    return r == null || r.statusCode() != 200 ? Double.NaN : PrometheusText.sum(r.body(), metric.exportedName(), labelFragment);
  }
}
