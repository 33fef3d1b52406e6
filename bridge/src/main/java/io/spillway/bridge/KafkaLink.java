package io.spillway.bridge;

import io.spillway.kafka.KafkaClients;
import io.spillway.kafka.KafkaTopics;
import io.spillway.schemas.config.KafkaConfig;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The bridge's side of Kafka: one idempotent producer shared by all stream workers, the topic
 * creation, and a probe that keeps the {@code kafka} readiness component current even when no
 * traffic flows (so {@code /readyz} says why the bridge is not moving anything).
 */
final class KafkaLink implements AutoCloseable {

  /** The producer's buffer; the workers keep at most half of it in flight (see StreamWorker). */
  static final long BUFFER_MEMORY = 64L * 1024 * 1024;
  private static final Duration PROBE_EVERY = Duration.ofSeconds(2);

  final Status status = new Status("kafka", "not connected yet");
  private final KafkaConfig config;
  private final Producer<byte[], byte[]> producer;
  private final Admin admin;
  private final ScheduledExecutorService probe;
  private volatile boolean topicsReady;
  private volatile String probeProblem = "not connected yet";
  private volatile String sendProblem;

  KafkaLink(KafkaConfig config, String clientId) {
    if (config == null) throw new NullPointerException("config == null");
    this.config = config;
    this.producer = new KafkaProducer<>(producerProperties(config, clientId), new ByteArraySerializer(), new ByteArraySerializer());
    this.admin = KafkaClients.newAdmin(config, clientId + "-admin");
    this.probe = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "spillway-bridge-kafka-probe");
      t.setDaemon(true);
      return t;
    });
    probe.scheduleWithFixedDelay(this::probe, 0, PROBE_EVERY.toMillis(), TimeUnit.MILLISECONDS);
  }

  static Properties producerProperties(KafkaConfig config, String clientId) {
    Properties p = KafkaClients.producer(config, clientId);
    // lz4: cheapest CPU per byte of the codecs; this machine's 2 cores are the limit, not the disk
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(BUFFER_MEMORY));
    // a record not acknowledged within this comes back as failed: the entry stays pending in
    // Redis and is produced again, so the producer never holds an outage's worth of records
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "5000");
    p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "2000");
    return p;
  }

  Producer<byte[], byte[]> producer() {
    return producer;
  }

  String topic() {
    return config.topic();
  }

  /** Workers read nothing until the topics exist: a record for a missing topic would only wait. */
  boolean topicsReady() {
    return topicsReady;
  }

  /** True unless the probe or the last produce failed; workers then keep at most one batch in flight. */
  boolean healthy() {
    return probeProblem == null && sendProblem == null;
  }

  void acknowledged() {
    if (sendProblem != null) {
      sendProblem = null;
      publish();
    }
  }

  void sendFailed(Exception e) {
    sendProblem = "kafka did not acknowledge records: " + KafkaClients.describe(e);
    publish();
  }

  private void probe() {
    try {
      admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
      if (!topicsReady) createTopics();
      probeProblem = topicsReady ? null : probeProblem;
    } catch (ExecutionException e) {
      probeProblem = "kafka unreachable (" + config.bootstrapServers() + "): " + KafkaClients.describe(e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      probeProblem = "kafka unreachable (" + config.bootstrapServers() + "): no answer within 5 s";
    } catch (Exception e) {
      if (e instanceof InterruptedException) Thread.currentThread().interrupt();
      probeProblem = "kafka unreachable (" + config.bootstrapServers() + "): " + KafkaClients.describe(e);
    }
    publish();
  }

  private void createTopics() {
    try {
      KafkaTopics.ensure(admin, KafkaTopics.pipeline(config), Duration.ofSeconds(10));
      topicsReady = true;
    } catch (KafkaTopics.TopicsException e) {
      probeProblem = e.getMessage();
    }
  }

  private void publish() {
    String p = probeProblem != null ? probeProblem : sendProblem;
    if (p == null) status.ok();
    else status.failed(p);
  }

  @Override
  public void close() {
    probe.shutdownNow();
    producer.close(Duration.ofSeconds(10));
    admin.close(Duration.ofSeconds(5));
  }
}
