package io.spillway.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.spillway.kafka.KafkaRecords;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.KafkaForm;
import io.spillway.schemas.Route;
import io.spillway.schemas.SpillwayId;
import io.spillway.testkit.KafkaCluster;
import io.spillway.testkit.RedisServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tools as a person meets them, in their own JVM (as {@code bin/spillway} runs them) against a
 * real broker: the output is the tool's own words, not the Kafka clients' (the config passes a
 * client property Kafka does not know, which every client warns about at WARN); exit codes say
 * what happened.
 */
@Timeout(180)
class ToolCommandsIntegrationTests {
  static KafkaCluster kafka;
  static final String TOPIC = "tools-events";
  @TempDir static Path dir;
  static Path config;

  @BeforeAll
  static void aDlqWithThreeDeadLetters() throws Exception {
    kafka = KafkaCluster.start(1);
    kafka.createTopic(TOPIC, 2, (short) 1);
    kafka.createTopic(TOPIC + ".dlq", 2, (short) 1);
    config = dir.resolve("spillway.yml");
    Files.writeString(config, """
        delivery: { admin: "127.0.0.1:0" }
        kafka: { bootstrap_servers: "%s", topic: "%s", properties: { "spillway.not.a.kafka.setting": "x" } }
        upstreams:
          wow: { url: "http://127.0.0.1:9", projects: { vod_be: { id: 20, key: k20 } } }
        """.formatted(kafka.bootstrapServers(), TOPIC));
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    // One request in flight: a batch sent right after the topic was created can be refused (partition not open
    // yet) while the next one is taken as that producer's first, and the first's retry is then out of order for
    // ever (OutOfOrderSequenceException until delivery.timeout.ms: a produce() that timed out after 30 s).
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    SpillwayId ids = new SpillwayId();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int i = 0; i < 3; i++) {
        long now = System.currentTimeMillis();
        BufferedEvent e = BufferedEvent.builder().id(ids.next(now)).receivedAt(now).route(new Route("wow", "vod_be")).kind(EndpointKind.STORE)
            .path("/api/20/store/").eventId(String.format("%032x", i)).body("{\"message\":\"boom\"}".getBytes(StandardCharsets.UTF_8)).build();
        ProducerRecord<byte[], byte[]> r = KafkaRecords.toRecord(TOPIC + ".dlq", e);
        ProducerRecord<byte[], byte[]> dead = new ProducerRecord<>(r.topic(), null, now, r.key(), r.value(), r.headers());
        dead.headers().add(KafkaForm.DeadLetter.REASON, "http_400".getBytes(StandardCharsets.UTF_8));
        dead.headers().add(KafkaForm.DeadLetter.AT, Long.toString(now).getBytes(StandardCharsets.UTF_8));
        producer.send(dead).get(30, TimeUnit.SECONDS);
      }
    }
  }

  @AfterAll
  static void stop() {
    if (kafka != null) kafka.close();
  }

  record Run(int code, String output) {}

  /** {@code java -cp <this classpath> io.spillway.launcher.Spillway args…}: stdout and stderr together. */
  static Run cli(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
        "-cp", System.getProperty("java.class.path"), "io.spillway.launcher.Spillway"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  @Test
  void theToolsPrintTheirOwnWordsOnly() throws Exception {
    Run list = cli("dlq", "list", "--config", config.toString());
    assertThat(list.code()).as(list.output()).isZero();
    assertThat(list.output()).contains("ID ").contains("wow/vod_be").contains("3 dead letter(s)");
    Run stats = cli("dlq", "stats", "--config", config.toString(), "--from", "-1h");
    assertThat(stats.code()).as(stats.output()).isZero();
    assertThat(stats.output()).contains("wow/vod_be").contains("http_400").contains("3 dead letter(s) in 3 records");
    Run redrive = cli("dlq", "redrive", "--config", config.toString(), "--dry-run");
    assertThat(redrive.code()).as(redrive.output()).isZero();
    assertThat(redrive.output()).contains("dry run: 3 matching dead letter(s), 0 redriven before (skipped), 3 would be sent back");
    for (Run r : List.of(list, stats, redrive)) {
      assertThat(r.output()).as("no client log lines").doesNotContain("WARN").doesNotContain("INFO")
          .doesNotContain("spillway.not.a.kafka.setting").doesNotContain("org.apache.kafka");
    }
  }

  @Test
  void aKafkaThatDoesNotAnswerIsAFailureNamedInOneLine() throws Exception {
    Path nowhere = dir.resolve("nowhere.yml");
    Files.writeString(nowhere, """
        kafka: { bootstrap_servers: "127.0.0.1:%d", topic: "%s" }
        upstreams:
          wow: { url: "http://127.0.0.1:9", projects: { vod_be: { id: 20, key: k20 } } }
        """.formatted(RedisServer.freePort(), TOPIC));
    Run r = cli("dlq", "list", "--config", nowhere.toString());
    assertThat(r.code()).as(r.output()).isEqualTo(1);
    assertThat(r.output().strip()).startsWith("spillway dlq list: Kafka at 127.0.0.1:").contains("(kafka.bootstrap_servers) did not answer within 15 s")
        .doesNotContain("Exception").doesNotContain("\tat ");
    Run missing = cli("dlq", "list", "--config", config.toString().replace("spillway.yml", "absent.yml"));
    assertThat(missing.code()).isEqualTo(2);
  }
}
