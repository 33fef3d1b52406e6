package io.spillway.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.spillway.schemas.config.SpillwayConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MirrorSettingsUnitTests {
  static final String CENTRAL = """
      kafka: { bootstrap_servers: "central-1:9092,central-2:9092", topic: "spillway.events", replication_factor: 3,
               properties: { security.protocol: SSL } }
      mirror:
        sources:
          dc1: { bootstrap_servers: "dc1-kafka:9092" }
          dc2: { bootstrap_servers: "dc2-kafka:9092", properties: { sasl.jaas.config: "secret-jaas-pw", security.protocol: SASL_SSL } }
        properties: { "central.offset.flush.interval.ms": "5000", "dc2->central.tasks.max": "4" }
      """;

  @Test
  void oneFlowPerDatacenterIntoTheCentralCluster() {
    Map<String, String> p = MirrorSettings.of(SpillwayConfig.parse(CENTRAL, Map.of(), "t"));
    assertThat(p).containsEntry("clusters", "central,dc1,dc2")
        .containsEntry("central.bootstrap.servers", "central-1:9092,central-2:9092")
        .containsEntry("central.security.protocol", "SSL")
        .containsEntry("dc1.bootstrap.servers", "dc1-kafka:9092")
        .containsEntry("dc2.security.protocol", "SASL_SSL")
        .containsEntry("dc1->central.enabled", "true")
        .containsEntry("dc2->central.enabled", "true")
        .containsEntry("dc1->central.topics", "\\Qspillway.events\\E")
        .containsEntry("dc1->central.transforms.spillwaySourceOffset.type", SourceOffsetHeader.class.getName())
        .containsEntry("replication.policy.class", "org.apache.kafka.connect.mirror.DefaultReplicationPolicy")
        .doesNotContainKey("central->dc1.enabled");
  }

  @Test
  void internalTopicsAreReplicatedAsTheCentralConfigSays() {
    Map<String, String> p = MirrorSettings.of(SpillwayConfig.parse(CENTRAL, Map.of(), "t"));
    for (String k : new String[] {"replication.factor", "offset.storage.replication.factor", "config.storage.replication.factor",
        "status.storage.replication.factor"}) {
      assertThat(p).containsEntry(k, "3");
    }
    Map<String, String> one = MirrorSettings.of(SpillwayConfig.parse(CENTRAL.replace("replication_factor: 3", "replication_factor: 1"),
        Map.of(), "t"));
    assertThat(one).containsEntry("offset.storage.replication.factor", "1");
  }

  @Test
  void aRestartResumesWithinSecondsAndOnlyDataFlows() {
    Map<String, String> p = MirrorSettings.of(SpillwayConfig.parse(CENTRAL.replace(
        "properties: { \"central.offset.flush.interval.ms\": \"5000\", ", "properties: { "), Map.of(), "t"));
    assertThat(p).containsEntry("central.scheduled.rebalance.max.delay.ms", "0")
        .containsEntry("central.offset.flush.interval.ms", "1000")
        .containsEntry("refresh.topics.interval.seconds", "10")
        .containsEntry("emit.heartbeats.enabled", "false")
        .containsEntry("emit.checkpoints.enabled", "false")
        .containsEntry("emit.offset-syncs.enabled", "false")
        .containsEntry("sync.topic.configs.enabled", "false");
  }

  @Test
  void mirrorPropertiesWin() {
    Map<String, String> p = MirrorSettings.of(SpillwayConfig.parse(CENTRAL, Map.of(), "t"));
    assertThat(p).containsEntry("central.offset.flush.interval.ms", "5000").containsEntry("dc2->central.tasks.max", "4");
  }

  @Test
  void secretsAreHiddenInTheLoggedSettings() {
    Map<String, String> p = MirrorSettings.redacted(MirrorSettings.of(SpillwayConfig.parse(CENTRAL, Map.of(), "t")));
    assertThat(p.toString()).doesNotContain("secret-jaas-pw").contains("dc2.sasl.jaas.config=[hidden]");
  }
}
