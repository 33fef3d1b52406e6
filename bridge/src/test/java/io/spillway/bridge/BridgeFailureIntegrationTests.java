package io.spillway.bridge;

import static io.spillway.bridge.Pipeline.await;
import static io.spillway.runtime.SpillwayMetric.BRIDGE_ENTRIES_MOVED;
import static io.spillway.runtime.SpillwayMetric.BRIDGE_ERRORS;
import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.config.SpillwayConfig;
import io.spillway.testkit.JavaProcess;
import io.spillway.testkit.KafkaCluster;
import io.spillway.testkit.RedisServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Crashes: a bridge process killed with SIGKILL, a Kafka broker killed in a three-broker cluster. */
class BridgeFailureIntegrationTests {
  private static final List<String> JVM = List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void bridgeKilledMidRunLosesNothing() throws Exception {
    try (KafkaCluster kafka = KafkaCluster.start(1); RedisServer redis = RedisServer.launch()) {
      Path configFile = Files.createTempFile("spillway-bridge-", ".yml");
      Files.writeString(configFile, """
          redis: { uri: "%s", stream: "crash" }
          kafka: { bootstrap_servers: "%s", topic: "crash", partitions: 6, replication_factor: 1 }
          bridge: { admin: "127.0.0.1:0", claim_idle: 2s, block: 100ms, batch_size: 200 }
          """.formatted(redis.uri(), kafka.bootstrapServers()));
      List<BufferedEvent> events = Pipeline.events(20_000, 10);
      Pipeline.xaddEvents(redis.uri(), "crash", events.subList(0, 2_000));
      JavaProcess a = JavaProcess.start(KafkaBridge.class.getName(), JVM, "--config", configFile.toString());
      JavaProcess b = null;
      try {
        await("bridge A moving entries", Duration.ofSeconds(60), () -> redis.xlen("crash") == 0);
        b = JavaProcess.start(KafkaBridge.class.getName(), JVM, "--config", configFile.toString());
        String consumerA = "-" + a.pid();
        int written = 2_000;
        long pendingOfA = 0;
        // keep writing; now and then freeze A (SIGSTOP) and look at its pending entries: once it is
        // frozen holding some it has not acknowledged, SIGKILL it right there
        while (written < events.size()) {
          Pipeline.xaddEvents(redis.uri(), "crash", events.subList(written, written + 500));
          written += 500;
          if (written < 6_000) continue;
          signal("STOP", a.pid());
          pendingOfA = pending(redis, "crash").entrySet().stream()
              .filter(e -> e.getKey().endsWith(consumerA)).mapToLong(Map.Entry::getValue).sum();
          if (pendingOfA > 0) break;
          signal("CONT", a.pid());
        }
        assertThat(pendingOfA).as("bridge A holds pending entries when it is killed\n" + a.output()).isPositive();
        a.kill();
        System.out.printf("killed bridge A (pid %d) holding %d pending entries, after %d of %d events were written%n",
            a.pid(), pendingOfA, written, events.size());
        for (; written < events.size(); written += 500) {
          Pipeline.xaddEvents(redis.uri(), "crash", events.subList(written, written + 500));
        }
        await("the dead bridge's pending entries taken over", Duration.ofSeconds(60), () -> pending(redis, "crash")
            .entrySet().stream().filter(e -> e.getKey().endsWith(consumerA)).mapToLong(Map.Entry::getValue).sum() == 0);
        a.start(); // and the killed bridge comes back (a new consumer name: new pid)
        await("stream drained", Duration.ofSeconds(90), () -> redis.xlen("crash") == 0);
        assertThat(b.isAlive()).as(b.output()).isTrue();
      } finally {
        a.stop();
        if (b != null) b.stop();
      }
      assertThat(b.output()).contains("claimed");
      List<ConsumerRecord<byte[], byte[]>> records = Pipeline.consume(kafka.bootstrapServers(), "crash", events.size(), Duration.ofSeconds(60));
      int duplicates = Pipeline.assertAllArrived(events, records);
      System.out.printf("bridge kill -9: %d events, %d records in Kafka, %d duplicates%n", events.size(), records.size(), duplicates);
      assertThat(KafkaBridgeIntegrationTests.pendingCount(redis, "crash")).isZero();
      Files.deleteIfExists(configFile);
    }
  }

  @Test
  @Timeout(value = 240, unit = TimeUnit.SECONDS)
  void brokerKilledInThreeBrokerClusterLosesNothing() throws Exception {
    try (KafkaCluster kafka = KafkaCluster.start(3); RedisServer redis = RedisServer.launch()) {
      SpillwayConfig config = Pipeline.config(redis.uri(), "rf3", kafka.bootstrapServers(), "rf3", 3, 3, 2, ", batch_size: 200");
      List<BufferedEvent> events = Pipeline.events(10_000, 11);
      try (KafkaBridge bridge = KafkaBridge.start(config)) {
        // the edge writes 500 entries every 100 ms while a broker dies
        Thread writer = new Thread(() -> {
          for (int i = 0; i < events.size(); i += 500) {
            Pipeline.xaddEvents(redis.uri(), "rf3", events.subList(i, i + 500));
            try {
              Thread.sleep(100);
            } catch (InterruptedException e) {
              return;
            }
          }
        });
        writer.start();
        await("some moved", Duration.ofSeconds(60),
            () -> Pipeline.metric(bridge.adminPort(), BRIDGE_ENTRIES_MOVED, "") >= 2_000);
        kafka.killBroker(1);
        System.out.printf("killed broker 1 after %.0f entries were moved%n",
            Pipeline.metric(bridge.adminPort(), BRIDGE_ENTRIES_MOVED, ""));
        writer.join(60_000);
        assertThat(writer.isAlive()).isFalse();
        await("stream drained", Duration.ofSeconds(120), () -> redis.xlen("rf3") == 0);
        System.out.println("kafka errors seen by the bridge: "
            + Pipeline.metric(bridge.adminPort(), BRIDGE_ERRORS, "kind=\"kafka\""));
      }
      assertThat(kafka.describeTopic("rf3")).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
      List<ConsumerRecord<byte[], byte[]>> records = Pipeline.consume(kafka.bootstrapServers(), "rf3", events.size(), Duration.ofSeconds(60));
      int duplicates = Pipeline.assertAllArrived(events, records);
      System.out.printf("broker kill (RF 3, min ISR 2): %d events, %d records in Kafka, %d duplicates%n",
          events.size(), records.size(), duplicates);
    }
  }

  private static void signal(String signal, long pid) throws Exception {
    Process p = new ProcessBuilder("bash", "-c", "kill -" + signal + " " + pid).inheritIO().start();
    assertThat(p.waitFor()).as("kill -%s %d", signal, pid).isZero();
  }

  /** Pending entries per consumer of the bridge group. */
  private static Map<String, Long> pending(RedisServer redis, String stream) {
    RedisClient client = RedisClient.create(redis.uri());
    try (StatefulRedisConnection<String, byte[]> c = client.connect(StreamWorker.CODEC)) {
      return c.sync().xpending(stream, "spillway-bridge").getConsumerMessageCount();
    } catch (io.lettuce.core.RedisCommandExecutionException e) {
      return Map.of(); // NOGROUP: no bridge has started yet
    } finally {
      client.shutdown();
    }
  }
}
