package io.spillway.schemas.config;

import java.util.Map;

/**
 * {@code kafka:} section.
 *
 * @param bootstrapServers  comma-separated host:port list
 * @param topic             the events topic, keyed by route
 * @param dlqTopic          dead letters; default {@code <topic>.dlq}
 * @param partitions        partitions when Spillway creates the topic
 * @param replicationFactor replication when Spillway creates the topic
 * @param minInsyncReplicas topic-level min.insync.replicas when Spillway creates it; 0 = broker default
 * @param properties        extra client properties (security, SASL, …) passed to every client
 */
public record KafkaConfig(
    String bootstrapServers,
    String topic,
    String dlqTopic,
    int partitions,
    short replicationFactor,
    int minInsyncReplicas,
    Map<String, String> properties) {

  public static final String DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:9092";
  public static final String DEFAULT_TOPIC = "spillway.events";
  public static final int DEFAULT_PARTITIONS = 12;
  public static final short DEFAULT_REPLICATION_FACTOR = 1;

  /** Properties may hold SASL passwords: only their names are shown. */
  @Override
  public String toString() {
    return "KafkaConfig{bootstrapServers=" + bootstrapServers + ", topic=" + topic + ", dlqTopic=" + dlqTopic
        + ", partitions=" + partitions + ", replicationFactor=" + replicationFactor
        + ", properties=" + properties.keySet() + "}";
  }
}
