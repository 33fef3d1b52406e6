package io.spillway.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.spillway.schemas.config.DeliveryConfig;
import io.spillway.schemas.config.SpillwayConfig;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

class TakeoverUnitTests {

  private static DeliveryConfig delivery(String yaml) {
    return SpillwayConfig.parse(yaml, Map.of(), "t").delivery();
  }

  @Test
  void autoIdIsStablePerHostAndStateDirAndLegalForKafka() {
    DeliveryConfig a = delivery("delivery: { state_dir: /var/lib/spillway/a }");
    String id = Takeover.instanceId(a, "pod-7.example.com");
    assertThat(id).isEqualTo(Takeover.instanceId(delivery("delivery: { state_dir: /var/lib/spillway/a/ }"), "pod-7.example.com"))
        .startsWith("pod-7.example.com-")
        .matches("[A-Za-z0-9._-]+");
    assertThat(Takeover.instanceId(delivery("delivery: { state_dir: /var/lib/spillway/b }"), "pod-7.example.com")).isNotEqualTo(id);
    assertThat(Takeover.instanceId(a, "pod-8.example.com")).isNotEqualTo(id);
    assertThat(Takeover.instanceId(a, "host with spaces")).startsWith("host-with-spaces-");
  }

  @Test
  void explicitIdOrNoneForDynamicMembership() {
    assertThat(Takeover.instanceId(delivery("delivery: { instance_id: delivery-1 }"), "h")).isEqualTo("delivery-1");
    assertThat(Takeover.instanceId(delivery("delivery: { instance_id: none }"), "h")).isNull();
  }

  @Test
  void deliveryKeysWinOverKafkaPropertiesButTimeoutsAreDefaultsTheyMayOverride() {
    Properties p = new Properties();
    p.put("consumer.session.timeout.ms", "6000"); // from kafka.properties
    p.put("group.instance.id", "from-kafka-properties");
    Takeover.defaults(p);
    Takeover.apply(p, delivery("delivery: { instance_id: none, standby_replicas: 0 }"), "h");
    assertThat(p).containsEntry("consumer.session.timeout.ms", "6000").containsEntry("num.standby.replicas", 0)
        .doesNotContainKey("group.instance.id").doesNotContainKey("consumer.group.instance.id");
    // A plain key from kafka.properties wins too: a prefixed default would beat it inside Streams.
    Properties plain = new Properties();
    plain.put("session.timeout.ms", "45000");
    plain.put("heartbeat.interval.ms", "3000");
    Takeover.defaults(plain);
    assertThat(plain).doesNotContainKey("consumer.session.timeout.ms").doesNotContainKey("consumer.heartbeat.interval.ms")
        .containsEntry("session.timeout.ms", "45000");
    Properties q = new Properties();
    Takeover.defaults(q);
    Takeover.apply(q, delivery("delivery: { instance_id: d1 }"), "h");
    assertThat(q).containsEntry("consumer.session.timeout.ms", Takeover.SESSION_TIMEOUT_MS)
        .containsEntry("consumer.group.instance.id", "d1").containsEntry("num.standby.replicas", 1);
  }

  @Test
  void fencedIsFoundInTheCauseChain() {
    assertThat(Takeover.fenced(new StreamsException(new FencedInstanceIdException("x")))).isTrue();
    assertThat(Takeover.fenced(new StreamsException("other"))).isFalse();
  }
}
