package io.spillway.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.Chunks;
import io.spillway.schemas.GoldenVectors;
import io.spillway.schemas.config.KafkaConfig;
import io.spillway.schemas.config.SpillwayConfig;
import io.spillway.testkit.KafkaCluster;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KafkaTopicsIntegrationTests {
  static KafkaCluster kafka;

  @BeforeAll
  static void start() {
    kafka = KafkaCluster.start(1);
  }

  @AfterAll
  static void stop() {
    if (kafka != null) kafka.close();
  }

  static KafkaConfig config(String topic) {
    SpillwayConfig c = SpillwayConfig.parse("kafka: { bootstrap_servers: \"" + kafka.bootstrapServers() + "\", topic: \"" + topic
        + "\", partitions: 3 }", Map.of(), "test");
    return c.kafka();
  }

  @Test
  void createsBothTopicsWithTheMessageLimitAndIsIdempotent() throws Exception {
    KafkaConfig c = config("topics-a");
    try (Admin admin = KafkaClients.newAdmin(c, "test")) {
      KafkaTopics.ensure(admin, KafkaTopics.pipeline(c), Duration.ofSeconds(30));
      KafkaTopics.ensure(admin, KafkaTopics.pipeline(c), Duration.ofSeconds(30)); // a second service starting
      for (String t : List.of("topics-a", "topics-a.dlq")) {
        var cfg = admin.describeConfigs(List.of(new ConfigResource(ConfigResource.Type.TOPIC, t))).all().get(10, TimeUnit.SECONDS)
            .values().iterator().next();
        assertThat(cfg.get("max.message.bytes").value()).as(t).isEqualTo(Integer.toString(KafkaTopics.MAX_MESSAGE_BYTES));
        assertThat(kafka.describeTopic(t)).as(t).hasSize(3);
      }
    }
  }

  @Test
  void anExistingTopicTooStrictForAChunkIsNamed() {
    kafka.createTopic("topics-strict", 1, (short) 1, Map.of("max.message.bytes", "100000"));
    KafkaConfig c = config("topics-strict");
    try (Admin admin = KafkaClients.newAdmin(c, "test")) {
      assertThatThrownBy(() -> KafkaTopics.ensure(admin, KafkaTopics.pipeline(c), Duration.ofSeconds(30)))
          .isInstanceOf(KafkaTopics.TopicsException.class)
          .hasMessageContaining("topic topics-strict has max.message.bytes=100000");
    }
  }

  /** The chunk size is chosen so that a chunk passes a topic created with the broker's defaults (1 MiB). */
  @Test
  void aFullChunkPassesATopicWithBrokerDefaults() throws Exception {
    kafka.createTopic("topics-defaults", 1, (short) 1);
    byte[] body = new byte[Chunks.CHUNK_BYTES * 2 + 5];
    new Random(1).nextBytes(body); // incompressible: the worst case for the batch size
    BufferedEvent whole = GoldenVectors.valid().get(0).event().toBuilder().body(body).build();
    KafkaConfig c = config("topics-defaults");
    try (var producer = KafkaClients.newProducer(KafkaClients.producer(c, "test"))) {
      for (BufferedEvent piece : Chunks.split(whole)) {
        producer.send(KafkaRecords.toRecord("topics-defaults", piece)).get(30, TimeUnit.SECONDS);
      }
    }
  }
}
