package io.spillway.kafka;

import io.spillway.schemas.Chunks;
import io.spillway.schemas.config.KafkaConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that creates Spillway's topics, with the same settings whichever service gets
 * there first (the bridge, delivery, {@code spillway up}, the DLQ tools): {@code kafka.partitions},
 * {@code kafka.replication_factor}, {@code kafka.min_insync_replicas} when set, and
 * {@code max.message.bytes} = {@value #MAX_MESSAGE_BYTES}. A topic that already exists is checked:
 * if it cannot take Spillway's largest record ({@value #REQUIRED_MESSAGE_BYTES} bytes: a chunk and
 * its headers), {@link #ensure} fails and says which topic and setting, instead of records being
 * refused later.
 */
public final class KafkaTopics {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaTopics.class);
  /** What topics Spillway creates allow per record batch (twice what a record needs: room to spare). */
  public static final int MAX_MESSAGE_BYTES = 2 * 1024 * 1024;
  /** The largest record Spillway writes: a chunk's body plus its headers, generously counted. */
  public static final int REQUIRED_MESSAGE_BYTES = Chunks.CHUNK_BYTES + 64 * 1024;

  /** A topic to have, with the settings to create it with. */
  public record Spec(String name, int partitions, short replicationFactor, Map<String, String> configs) {
    public Spec {
      if (name == null) throw new NullPointerException("name == null");
      configs = Map.copyOf(configs);
    }
  }

  /** A topic Spillway needs cannot be had (Kafka unreachable, refused, or an existing topic that is too strict). */
  public static final class TopicsException extends RuntimeException {
    TopicsException(String message, Throwable cause) {
      super(message, cause);
    }

    /** Kafka did not answer in time (unreachable or overloaded): worth another try, unlike a refusal. */
    public boolean noAnswer() {
      return getCause() instanceof TimeoutException || getCause() instanceof org.apache.kafka.common.errors.TimeoutException;
    }
  }

  private KafkaTopics() {}

  /** {@code kafka.topic} and {@code kafka.dlq_topic}. */
  public static List<Spec> pipeline(KafkaConfig config) {
    return List.of(events(config, config.topic()), events(config, config.dlqTopic()));
  }

  /** A topic that holds records of the pipeline (events, dead letters, mirrored copies). */
  public static Spec events(KafkaConfig config, String name) {
    Map<String, String> configs = new HashMap<>();
    configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(MAX_MESSAGE_BYTES));
    if (config.minInsyncReplicas() > 0) configs.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(config.minInsyncReplicas()));
    return new Spec(name, config.partitions(), config.replicationFactor(), configs);
  }

  /** A small compacted topic of markers (one partition): e.g. which dead letters were redriven. */
  public static Spec compacted(KafkaConfig config, String name) {
    Map<String, String> configs = new HashMap<>();
    configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
    if (config.minInsyncReplicas() > 0) configs.put(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, Integer.toString(config.minInsyncReplicas()));
    return new Spec(name, 1, config.replicationFactor(), configs);
  }

  /**
   * Creates the missing topics and checks the existing ones, waiting at most {@code timeout}.
   * Throws {@link TopicsException} naming the topic and the problem.
   */
  public static void ensure(Admin admin, List<Spec> topics, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<NewTopic> create = new ArrayList<>();
    for (Spec s : topics) create.add(new NewTopic(s.name(), s.partitions(), s.replicationFactor()).configs(s.configs()));
    List<String> existing = new ArrayList<>();
    var results = admin.createTopics(create).values();
    for (Spec s : topics) {
      try {
        results.get(s.name()).get(remaining(deadline), TimeUnit.NANOSECONDS);
        LOG.info("created topic {} ({} partitions, replication {})", s.name(), s.partitions(), s.replicationFactor());
      } catch (ExecutionException e) {
        if (e.getCause() instanceof TopicExistsException) existing.add(s.name());
        else throw new TopicsException("cannot create topic " + s.name() + ": " + KafkaClients.describe(e.getCause()), e.getCause());
      } catch (TimeoutException e) {
        throw new TopicsException("cannot create topic " + s.name() + ": Kafka did not answer within " + timeout.toSeconds() + " s", e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TopicsException("interrupted while creating topic " + s.name(), e);
      }
    }
    if (!existing.isEmpty()) checkExisting(admin, existing, deadline, timeout);
  }

  private static void checkExisting(Admin admin, List<String> names, long deadline, Duration timeout) {
    List<ConfigResource> resources = names.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
    Map<ConfigResource, Config> configs;
    try {
      configs = admin.describeConfigs(resources).all().get(remaining(deadline), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw new TopicsException("cannot read the settings of topics " + names + ": " + KafkaClients.describe(e.getCause()), e.getCause());
    } catch (TimeoutException e) {
      throw new TopicsException("cannot read the settings of topics " + names + ": no answer within " + timeout.toSeconds() + " s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TopicsException("interrupted while reading topic settings", e);
    }
    for (var e : configs.entrySet()) {
      var entry = e.getValue().get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
      if (entry == null || entry.value() == null) continue;
      long limit = Long.parseLong(entry.value());
      if (limit < REQUIRED_MESSAGE_BYTES) {
        throw new TopicsException("topic " + e.getKey().name() + " has max.message.bytes=" + limit + "; Spillway's records need "
            + REQUIRED_MESSAGE_BYTES + " (raise it: kafka-configs.sh --alter --entity-type topics --entity-name "
            + e.getKey().name() + " --add-config max.message.bytes=" + MAX_MESSAGE_BYTES + ")", null);
      }
    }
  }

  private static long remaining(long deadline) {
    return Math.max(1, deadline - System.nanoTime());
  }
}
