package io.spillway.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A Kafka node in a network namespace with two links: cutting one makes calls over it hang (they
 * time out; nothing is refused) while the other link keeps working, and restoring it brings it back.
 * Skipped where namespaces cannot be made (not root, no {@code ip}), except in CI, where it must run.
 */
class NetworkNamespaceIntegrationTests {
  /** Skips the calling test where namespaces cannot be made; fails instead in CI, which must run it. */
  static void assumeNamespaces() {
    String why = NetworkNamespace.unavailable();
    if (why != null && System.getenv("CI") != null) fail("CI must run the network-namespace tests: " + why);
    Assumptions.assumeTrue(why == null, why);
  }

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void aCutLinkHangsWhileTheOtherWorks() throws Exception {
    assumeNamespaces();
    try (NetworkNamespace ns = NetworkNamespace.create(2); KafkaCluster kafka = KafkaCluster.startIn(ns)) {
      assertThat(kafka.bootstrapServers()).isEqualTo(ns.address(0) + ":9092");
      kafka.createTopic("ns.t", 2, (short) 1);
      try (Admin lan = admin(kafka.bootstrapServers(0)); Admin wan = admin(kafka.bootstrapServers(1))) {
        assertThat(wan.listTopics().names().get(10, TimeUnit.SECONDS)).contains("ns.t");
        ns.cut(1);
        // the difference from a dead process: a connection attempt is not refused, it gets no answer at all
        try (java.net.Socket socket = new java.net.Socket()) {
          assertThatThrownBy(() -> socket.connect(new java.net.InetSocketAddress(ns.address(1), 9093), 2000))
              .isInstanceOf(java.net.SocketTimeoutException.class);
        }
        assertThatThrownBy(() -> wan.describeTopics(List.of("ns.t")).allTopicNames().get(10, TimeUnit.SECONDS))
            .as("over the cut link a call waits for its timeout; it is not refused")
            .satisfies(e -> assertThat(e instanceof TimeoutException
                || e instanceof ExecutionException && e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException).isTrue());
        assertThat(lan.describeTopics(List.of("ns.t")).allTopicNames().get(10, TimeUnit.SECONDS)).containsKey("ns.t");
        ns.restore(1);
        assertThat(wan.describeTopics(List.of("ns.t")).allTopicNames().get(30, TimeUnit.SECONDS)).containsKey("ns.t");
      }
    }
  }

  static Admin admin(String bootstrap) {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000", AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000",
        AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500"));
  }
}
