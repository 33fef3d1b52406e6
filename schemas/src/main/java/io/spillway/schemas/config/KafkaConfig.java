package io.spillway.schemas.config;

import java.util.Map;

/**
 * {@code kafka:} section. Keys, defaults and checks: {@link ConfigKeys}.
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

  /** Properties may hold SASL passwords: only their names are shown. */
  @Override
  public String toString() {
    return "KafkaConfig{bootstrapServers=" + bootstrapServers + ", topic=" + topic + ", dlqTopic=" + dlqTopic
        + ", partitions=" + partitions + ", replicationFactor=" + replicationFactor
        + ", properties=" + properties.keySet() + "}";
  }
}
