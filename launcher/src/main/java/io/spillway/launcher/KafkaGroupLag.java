package io.spillway.launcher;

import io.spillway.runtime.status.GroupLag;
import io.spillway.schemas.config.SpillwayConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Delivery's lag as Kafka sees it (the consumer-group tool's LAG column): log end offset minus
 * the committed offset of the group {@code delivery.application_id} (Kafka Streams' group id),
 * per partition of {@code kafka.topic}. A partition the group never committed counts from the
 * log start.
 */
public final class KafkaGroupLag implements GroupLag, AutoCloseable {
  private final Admin admin;
  private final String topic;
  private final String group;

  public KafkaGroupLag(SpillwayConfig config) {
    Map<String, Object> props = new HashMap<>(config.kafka().properties());
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers());
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000);
    props.put(AdminClientConfig.CLIENT_ID_CONFIG, "spillway-status");
    this.admin = Admin.create(props);
    this.topic = config.kafka().topic();
    this.group = config.delivery().applicationId();
  }

  @Override
  public Map<Integer, Long> read() throws Exception {
    return read(topic);
  }

  /** Delivery's group reads every topic in {@code deliveryTopics()}: kafka.topic and each datacenter's copy. */
  @Override
  public Map<Integer, Long> read(String topic) throws Exception {
    int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(3, TimeUnit.SECONDS).get(topic).partitions().size();
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
    for (int p = 0; p < partitions; p++) {
      latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
      earliest.put(new TopicPartition(topic, p), OffsetSpec.earliest());
    }
    var end = admin.listOffsets(latest).all().get(3, TimeUnit.SECONDS);
    var start = admin.listOffsets(earliest).all().get(3, TimeUnit.SECONDS);
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(3, TimeUnit.SECONDS);
    Map<Integer, Long> lag = new TreeMap<>();
    end.forEach((tp, e) -> {
      OffsetAndMetadata c = committed.get(tp);
      long from = c != null ? c.offset() : start.get(tp).offset();
      lag.put(tp.partition(), Math.max(0, e.offset() - from));
    });
    return lag;
  }

  @Override
  public void close() {
    admin.close(java.time.Duration.ofSeconds(2));
  }
}
