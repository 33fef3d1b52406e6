package io.spillway.schemas.config;

import java.util.Map;

/**
 * {@code mirror:} section, read by {@code spillway mirror} in a central config: Kafka MirrorMaker 2
 * copies each datacenter's {@code kafka.topic} into the central cluster as {@code <dc>.<topic>}.
 *
 * @param admin      health, readiness, metrics and status page of the mirror
 * @param sources    one source cluster per datacenter, by datacenter name, in file order
 * @param properties extra MirrorMaker 2 settings, passed through as they are (they win over Spillway's)
 */
public record MirrorConfig(HostPort admin, Map<String, Source> sources, Map<String, String> properties) {

  public static final String DEFAULT_ADMIN = "127.0.0.1:9103";
  /**
   * MirrorMaker 2's alias of the central cluster. Datacenter names are aliases too, so none may take
   * this one; it appears in the mirror's client ids and metrics, never in topic names.
   */
  public static final String CENTRAL_ALIAS = "central";
  /** MirrorMaker 2's DefaultReplicationPolicy: {@code <source alias>.<topic>}. */
  public static final String SEPARATOR = ".";

  /**
   * One datacenter's Kafka cluster.
   *
   * @param name             the key under {@code mirror.sources}: prefix of the central copy's name
   * @param bootstrapServers that cluster's brokers, as the central site reaches them
   * @param properties       client settings for that cluster (security, SASL, TLS); may hold passwords
   */
  public record Source(String name, String bootstrapServers, Map<String, String> properties) {
    /** Properties may hold SASL passwords: only their names are shown. */
    @Override
    public String toString() {
      return "Source{name=" + name + ", bootstrapServers=" + bootstrapServers + ", properties=" + properties.keySet() + "}";
    }
  }

  /** The central copy of a datacenter's topic: {@code <dc>.<topic>}. */
  public static String remoteTopic(String datacenter, String topic) {
    return datacenter + SEPARATOR + topic;
  }

  /** True when this config mirrors at least one datacenter (a central config). */
  public boolean enabled() {
    return !sources.isEmpty();
  }

  /** Properties may hold passwords: only their names are shown. */
  @Override
  public String toString() {
    return "MirrorConfig{admin=" + admin + ", sources=" + sources.values() + ", properties=" + properties.keySet() + "}";
  }
}
