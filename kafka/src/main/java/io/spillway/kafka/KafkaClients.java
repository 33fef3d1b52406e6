package io.spillway.kafka;

import io.spillway.schemas.config.KafkaConfig;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Every Kafka client Spillway makes starts here: {@code kafka.properties} (security, SASL, client
 * tuning) first, then the bootstrap servers and a client id, then the settings Spillway's
 * guarantees rest on, which a user property cannot turn off (a producer always waits for all
 * in-sync replicas and is idempotent; a tool's consumer never commits).
 */
public final class KafkaClients {
  /** Largest request a producer sends: one record is at most a chunk with its headers. */
  public static final int MAX_REQUEST_BYTES = KafkaTopics.MAX_MESSAGE_BYTES;

  private KafkaClients() {}

  /** {@code kafka.properties}, the bootstrap servers and the client id. */
  public static Properties common(KafkaConfig config, String clientId) {
    if (config == null) throw new NullPointerException("config == null");
    if (clientId == null) throw new NullPointerException("clientId == null");
    Properties p = new Properties();
    p.putAll(config.properties());
    p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
    return p;
  }

  /** A producer that writes at least once without duplicates of its own: {@code acks=all}, idempotent. */
  public static Properties producer(KafkaConfig config, String clientId) {
    Properties p = common(config, clientId);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(MAX_REQUEST_BYTES));
    p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "5");
    return p;
  }

  /** A consumer for the tools: no group, nothing committed, topics never created by reading. */
  public static Properties toolConsumer(KafkaConfig config, String clientId) {
    Properties p = common(config, clientId);
    p.remove(ConsumerConfig.GROUP_ID_CONFIG);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false");
    p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "1000");
    return p;
  }

  /** An admin client that gives up on an unreachable cluster within seconds, not minutes. */
  public static Properties admin(KafkaConfig config, String clientId) {
    Properties p = common(config, clientId);
    p.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    p.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    p.putIfAbsent(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "2000");
    return p;
  }

  public static KafkaProducer<byte[], byte[]> newProducer(Properties p) {
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  public static KafkaConsumer<byte[], byte[]> newConsumer(Properties p) {
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  public static Admin newAdmin(KafkaConfig config, String clientId) {
    return Admin.create(admin(config, clientId));
  }

  /** A client's error as one line for a status detail or a log: its class and message, at most 200 characters of it. */
  public static String describe(Throwable e) {
    if (e == null) return "unknown";
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + (m.length() > 200 ? m.substring(0, 200) : m));
  }
}
