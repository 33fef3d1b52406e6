package io.spillway.mirror;

import static io.spillway.runtime.SpillwayMetric.MIRROR_GAP;
import static io.spillway.runtime.SpillwayMetric.MIRROR_LAG_RECORDS;
import static io.spillway.runtime.SpillwayMetric.MIRROR_RECORDS;
import static io.spillway.runtime.SpillwayMetric.MIRROR_SOURCE_UP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.spillway.schemas.config.SpillwayConfig;
import io.spillway.testkit.JavaProcess;
import io.spillway.testkit.KafkaCluster;
import io.spillway.testkit.RedisServer;
import io.spillway.testkit.TcpRelay;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The mirror on its own, against three real single-node KRaft clusters (two datacenters and the
 * central one) and MirrorMaker 2 in a child JVM that the test SIGKILLs: every record of both
 * datacenters reaches {@code <dc>.<topic>} with its partition, a kill -9 loses nothing (it copies
 * some records twice: counted), a retention that deleted records before they were copied is
 * reported with their number, and bad sources are reported by the key to fix.
 */
@Timeout(600)
class MirrorIntegrationTests {
  // The kill -9 and gap cases run in every mvn verify as part of proof's MultiDcSuiteIntegrationTests (whole
  // pipeline, same assertions); here they are the module-level versions, for -Dspillway.mirror.it=all.
  static KafkaCluster dc1;
  static KafkaCluster dc2;
  static KafkaCluster central;
  static Path dir;

  @BeforeAll
  static void clusters() throws Exception {
    dc1 = KafkaCluster.start(1);
    dc2 = KafkaCluster.start(1);
    central = KafkaCluster.start(1);
    dir = Files.createTempDirectory("spillway-mirror-it-");
  }

  @AfterAll
  static void stop() {
    for (KafkaCluster k : new KafkaCluster[] {dc1, dc2, central}) {
      if (k != null) k.close();
    }
  }

  static String config(String topic, int admin, String dc1Bootstrap, String dc2Bootstrap) {
    return """
        kafka:  { bootstrap_servers: "%s", topic: "%s", replication_factor: 1 }
        mirror:
          admin: "127.0.0.1:%d"
          sources:
            dc1: { bootstrap_servers: "%s" }
            dc2: { bootstrap_servers: "%s" }
        """.formatted(central.bootstrapServers(), topic, admin, dc1Bootstrap, dc2Bootstrap);
  }

  static JavaProcess startMirror(String yaml) throws Exception {
    Path file = Files.createTempFile(dir, "central-", ".yml");
    Files.writeString(file, yaml);
    return JavaProcess.start(MirrorService.class.getName(), List.of("-Xmx512m", "-XX:+UseSerialGC"), "--config", file.toString());
  }

  static void awaitReady(JavaProcess mirror, int admin) {
    await("mirror ready").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> {
      if (!mirror.isAlive()) throw new IllegalStateException("mirror exited:\n" + mirror.output());
      HttpResponse<String> r = Clusters.get(admin, "/readyz");
      return r != null && r.statusCode() == 200;
    });
  }

  @Test
  @org.junit.jupiter.api.condition.EnabledIfSystemProperty(named = "spillway.mirror.it", matches = "all")
  void copiesEveryDatacenterAndLosesNothingToAKill9() throws Exception {
    String topic = "copies.events";
    dc1.createTopic(topic, 3, (short) 1);
    dc2.createTopic(topic, 2, (short) 1);
    Set<String> want1 = new HashSet<>(Clusters.produce(dc1.bootstrapServers(), topic, 300));
    Set<String> want2 = new HashSet<>(Clusters.produce(dc2.bootstrapServers(), topic, 200));
    int admin = RedisServer.freePort();
    try (JavaProcess mirror = startMirror(config(topic, admin, dc1.bootstrapServers(), dc2.bootstrapServers()))) {
      awaitReady(mirror, admin);
      await("both datacenters copied").atMost(Duration.ofSeconds(120)).until(() ->
          Clusters.ids(central.bootstrapServers(), "dc1." + topic).keySet().containsAll(want1)
              && Clusters.ids(central.bootstrapServers(), "dc2." + topic).keySet().containsAll(want2));
      assertThat(central.describeTopic("dc1." + topic)).as("a copy keeps the source's partitions").hasSize(3);
      assertThat(central.describeTopic("dc2." + topic)).hasSize(2);
      await("no lag").atMost(Duration.ofSeconds(30)).until(() ->
          Clusters.metric(admin, MIRROR_LAG_RECORDS, "datacenter=\"dc1\"") == 0
              && Clusters.metric(admin, MIRROR_LAG_RECORDS, "datacenter=\"dc2\"") == 0);

      // kill -9 while it copies a batch, then a batch while it is down
      double copied = Clusters.metric(admin, MIRROR_RECORDS, "datacenter=\"dc1\"");
      want1.addAll(Clusters.produce(dc1.bootstrapServers(), topic, 2000));
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
          .until(() -> Clusters.metric(admin, MIRROR_RECORDS, "datacenter=\"dc1\"") >= copied + 200);
      mirror.kill();
      want1.addAll(Clusters.produce(dc1.bootstrapServers(), topic, 500));
      want2.addAll(Clusters.produce(dc2.bootstrapServers(), topic, 300));
      long restarted = System.nanoTime();
      mirror.start();
      awaitReady(mirror, admin);
      await("everything copied after the restart").atMost(Duration.ofSeconds(120)).until(() ->
          Clusters.ids(central.bootstrapServers(), "dc1." + topic).keySet().containsAll(want1)
              && Clusters.ids(central.bootstrapServers(), "dc2." + topic).keySet().containsAll(want2));
      long took = (System.nanoTime() - restarted) / 1_000_000;
      Map<String, Integer> copies = Clusters.ids(central.bootstrapServers(), "dc1." + topic);
      long duplicates = copies.values().stream().mapToLong(n -> n - 1).sum();
      System.out.printf("mirror kill -9: %d of %d dc1 records copied twice; all copied %d ms after the restart%n",
          duplicates, want1.size(), took);
      assertThat(copies.keySet()).containsAll(want1);
      assertThat(Clusters.metric(admin, MIRROR_GAP, "datacenter=\"dc1\"")).isZero();
      assertThat(Clusters.metric(admin, MIRROR_SOURCE_UP, null)).isEqualTo(2);
    }
  }

  @Test
  @org.junit.jupiter.api.condition.EnabledIfSystemProperty(named = "spillway.mirror.it", matches = "all")
  void reportsRecordsTheRetentionDeletedBeforeTheyWereCopied() throws Exception {
    String topic = "gap.events";
    dc1.createTopic(topic, 2, (short) 1);
    dc2.createTopic(topic, 1, (short) 1);
    Set<String> before = new HashSet<>(Clusters.produce(dc1.bootstrapServers(), topic, 100));
    int admin = RedisServer.freePort();
    String yaml = config(topic, admin, dc1.bootstrapServers(), dc2.bootstrapServers());
    try (JavaProcess mirror = startMirror(yaml)) {
      awaitReady(mirror, admin);
      await().atMost(Duration.ofSeconds(120)).until(() ->
          Clusters.ids(central.bootstrapServers(), "dc1." + topic).keySet().containsAll(before));
      mirror.stop();

      // While the mirror is down: 300 records, then the retention shrinks to 1 s; one more record per
      // partition rolls the segment, and the broker deletes the old one (with the 300 in it).
      List<String> lost = Clusters.produce(dc1.bootstrapServers(), topic, 300);
      Map<Integer, Long> endOfLost = Clusters.offsets(dc1.bootstrapServers(), topic, 2, OffsetSpec.latest());
      Clusters.setTopicConfig(dc1.bootstrapServers(), topic, Map.of("retention.ms", "1000", "segment.ms", "100"), List.of());
      Thread.sleep(1500);
      Clusters.produce(dc1.bootstrapServers(), topic, 40);
      await("the datacenter's retention deleted the 300").atMost(Duration.ofSeconds(60)).until(() -> {
        Map<Integer, Long> start = Clusters.offsets(dc1.bootstrapServers(), topic, 2, OffsetSpec.earliest());
        return start.get(0) >= endOfLost.get(0) && start.get(1) >= endOfLost.get(1);
      });
      Clusters.setTopicConfig(dc1.bootstrapServers(), topic, Map.of(), List.of("retention.ms", "segment.ms"));
      Set<String> after = new HashSet<>(Clusters.produce(dc1.bootstrapServers(), topic, 40));
      Map<Integer, Long> start = Clusters.offsets(dc1.bootstrapServers(), topic, 2, OffsetSpec.earliest());
      long expected = Clusters.sum(start) - 100; // everything between the 100 copied and the new log start
      assertThat(expected).as("the retention deleted exactly the records produced while the mirror was down")
          .isGreaterThanOrEqualTo(lost.size());

      mirror.start();
      await("the gap is reported").atMost(Duration.ofSeconds(120)).until(() ->
          Clusters.metric(admin, MIRROR_GAP, "datacenter=\"dc1\"") == expected);
      await("the records after the gap are copied").atMost(Duration.ofSeconds(60)).until(() ->
          Clusters.ids(central.bootstrapServers(), "dc1." + topic).keySet().containsAll(after));
      HttpResponse<String> ready = Clusters.get(admin, "/readyz");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).contains("MIRROR GAP: " + expected + " records of dc1");
      assertThat(Clusters.metric(admin, MIRROR_GAP, "datacenter=\"dc2\"")).isZero();
      Thread.sleep(5000); // a few more rounds of both observers: still counted once
      assertThat(Clusters.metric(admin, MIRROR_GAP, "datacenter=\"dc1\"")).isEqualTo(expected);
    }
  }

  @Test
  void anUnreachableSourceAndAMissingTopicAreNamedByTheirKeysWithoutHanging() throws Exception {
    int admin = RedisServer.freePort();
    int closed = RedisServer.freePort(); // nothing listens there: connection refused
    SpillwayConfig config = SpillwayConfig.parse(config("never.created", admin, dc1.bootstrapServers(), "127.0.0.1:" + closed),
        Map.of(), "central.yml");
    try (MirrorService mirror = MirrorService.start(config)) {
      List<String> problems = mirror.firstLook(Duration.ofSeconds(15));
      assertThat(problems).hasSize(2);
      assertThat(problems.get(0)).startsWith("mirror.sources.dc1: topic never.created (kafka.topic) does not exist on "
          + dc1.bootstrapServers());
      assertThat(problems.get(1)).startsWith("mirror.sources.dc2.bootstrap_servers (127.0.0.1:" + closed + "): not reachable");
      HttpResponse<String> ready = Clusters.get(admin, "/readyz");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).contains("mirror.sources.dc2.bootstrap_servers").contains("never.created");
    }
  }

  @Test
  void anUnreachableCentralClusterFailsTheStartNamingItsKey() {
    int closed = RedisServer.freePort();
    String yaml = config("x.events", 0, dc1.bootstrapServers(), dc2.bootstrapServers())
        .replace(central.bootstrapServers(), "127.0.0.1:" + closed);
    assertThatThrownBy(() -> MirrorService.start(SpillwayConfig.parse(yaml, Map.of(), "central.yml"), System::currentTimeMillis,
        Duration.ofSeconds(3)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("kafka.bootstrap_servers (127.0.0.1:" + closed + "): the central cluster did not answer");
  }

  @Test
  void aCentralClusterThatAnswersLateWithinTheStartTimeoutIsWaitedFor() throws Exception {
    // A mirror restarted on a loaded host: the central cluster takes longer than one call's timeout (5 s)
    // to answer. The start waits for it up to its own timeout instead of giving up after the first call.
    int centralPort = Integer.parseInt(central.bootstrapServers().substring(central.bootstrapServers().lastIndexOf(':') + 1));
    try (TcpRelay slow = new TcpRelay(centralPort)) {
      slow.hold(true);
      String yaml = config("late.events", RedisServer.freePort(), dc1.bootstrapServers(), dc2.bootstrapServers())
          .replace(central.bootstrapServers(), "127.0.0.1:" + slow.port());
      Thread release = new Thread(() -> {
        try {
          Thread.sleep(12_000);
        } catch (InterruptedException e) {
          return;
        }
        slow.hold(false);
      });
      release.start();
      try (MirrorService mirror = MirrorService.start(SpillwayConfig.parse(yaml, Map.of(), "central.yml"), System::currentTimeMillis,
          Duration.ofSeconds(60))) {
        assertThat(mirror.adminPort()).as("started, once the central cluster answered").isPositive();
      } finally {
        release.interrupt();
      }
    }
  }

  static List<String> list(Set<String> s) {
    return new ArrayList<>(s);
  }
}
