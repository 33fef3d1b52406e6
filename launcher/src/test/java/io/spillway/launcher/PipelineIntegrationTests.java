package io.spillway.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sentry.Sentry;
import io.sentry.protocol.SentryId;
import io.spillway.bridge.KafkaBridge;
import io.spillway.delivery.DeliveryService;
import io.spillway.edge.EdgeServer;
import io.spillway.schemas.config.SpillwayConfig;
import io.spillway.testkit.KafkaCluster;
import io.spillway.testkit.RedisServer;
import io.spillway.testkit.SentryUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The whole pipeline with real parts: the real Sentry Java SDK → edge → Redis → bridge → Kafka →
 * delivery → two Sentry-like upstreams that check the real key, secret and project id. Each app
 * DSN uses a different routing form (alias, legacy upstream:project, real key with a wrong
 * project id); none of them carries a real key except the host-swap one.
 */
@Timeout(240)
class PipelineIntegrationTests {
  static RedisServer redis;
  static KafkaCluster kafka;
  static SentryUpstream alpha;
  static SentryUpstream beta;
  static EdgeServer edge;
  static KafkaBridge bridge;
  static DeliveryService delivery;

  @BeforeAll
  static void startPipeline() throws Exception {
    redis = RedisServer.launch();
    kafka = KafkaCluster.start(1);
    alpha = SentryUpstream.start().project(11, "alphakey11", "alphasecret11").project(12, "alphakey12", null);
    beta = SentryUpstream.start().project(21, "betakey21", null);
    Path state = Files.createTempDirectory("spillway-pipeline-");
    String yaml = """
        edge:     { listen: "127.0.0.1:0", admin: "127.0.0.1:0", instance: "edge-it", datacenter: "dc-it" }
        bridge:   { admin: "127.0.0.1:0", block: "50ms" }
        delivery: { admin: "127.0.0.1:0", state_dir: "%s" }
        redis:    { uri: "%s" }
        kafka:    { bootstrap_servers: "%s", partitions: 4 }
        upstreams:
          alpha:
            url: "%s"
            projects:
              web: { alias: "webalias", id: 11, key: "alphakey11", secret: "alphasecret11" }
              api: { id: 12, key: "alphakey12" }
          beta:
            url: "%s"
            projects:
              jobs: { id: 21, key: "betakey21" }
        """.formatted(state, redis.uri(), kafka.bootstrapServers(), alpha.url(), beta.url());
    SpillwayConfig config = SpillwayConfig.parse(yaml, Map.of(), "pipeline-test");
    edge = EdgeServer.start(config);
    bridge = KafkaBridge.start(config);
    delivery = DeliveryService.start(config);
  }

  @AfterAll
  static void stopPipeline() {
    for (AutoCloseable c : new AutoCloseable[] {edge, bridge, delivery, alpha, beta, kafka, redis}) {
      try {
        if (c != null) c.close();
      } catch (Exception ignored) {
        // keep closing the rest
      }
    }
  }

  @Test
  void sdkEventsReachTheRightUpstreamWithRealCredentialsAndProjectIds() throws Exception {
    String base = "127.0.0.1:" + edge.port();
    List<String> web = sendWithSentryJava("http://webalias@" + base + "/1", "web", 25);        // alias
    List<String> api = sendWithSentryJava("http://alpha:api@" + base + "/12", "api", 25);      // legacy upstream:project
    List<String> jobs = sendWithSentryJava("http://betakey21@" + base + "/999", "jobs", 25);   // real key, wrong id
    String legacyStoreId = sendLegacyStore(base);

    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      assertThat(alpha.acceptedEventIds()).containsAll(web).containsAll(api).contains(legacyStoreId);
      assertThat(beta.acceptedEventIds()).containsAll(jobs);
    });

    // Nothing was rejected by the upstreams: every request carried the real key, secret and project id.
    assertThat(alpha.requests()).allSatisfy(r -> assertThat(r.accepted()).as(r.path() + " " + r.error()).isTrue());
    assertThat(beta.requests()).allSatisfy(r -> assertThat(r.accepted()).as(r.path() + " " + r.error()).isTrue());
    for (SentryUpstream.Received r : alpha.accepted()) {
      if (web.contains(r.eventId())) {
        assertThat(r.path()).isEqualTo("/api/11/envelope/");
        assertThat(r.key()).isEqualTo("alphakey11");
        assertThat(r.secret()).isEqualTo("alphasecret11");
        assertThat(r.decodedText()).contains("pipeline web message");
      } else if (api.contains(r.eventId())) {
        assertThat(r.path()).isEqualTo("/api/12/envelope/");
        assertThat(r.key()).isEqualTo("alphakey12");
        assertThat(r.decodedText()).contains("pipeline api message");
      } else if (legacyStoreId.equals(r.eventId())) {
        assertThat(r.path()).isEqualTo("/api/11/store/");
        assertThat(r.decodedText()).contains("legacy store event");
      }
    }
    assertThat(beta.accepted()).allSatisfy(r -> {
      assertThat(r.path()).isEqualTo("/api/21/envelope/");
      assertThat(r.key()).isEqualTo("betakey21");
      assertThat(r.decodedText()).contains("pipeline jobs message");
    });
    // The apps' aliases and the legacy route names never reach Sentry as keys.
    assertThat(alpha.requests()).noneSatisfy(r -> assertThat(r.key()).isIn("webalias", "alpha"));
    System.out.printf("pipeline: alpha accepted %d (web %d, api %d, store 1), beta accepted %d, duplicates alpha=%d beta=%d%n",
        alpha.acceptedCount(), web.size(), api.size(), beta.acceptedCount(),
        alpha.acceptedEventIds().size() - alpha.acceptedEventIds().stream().distinct().count(),
        beta.acceptedEventIds().size() - beta.acceptedEventIds().stream().distinct().count());
  }

  /** Sends {@code n} messages through sentry-java 8 with this DSN; returns their event ids. */
  static List<String> sendWithSentryJava(String dsn, String name, int n) {
    List<String> ids = new ArrayList<>();
    Sentry.init(o -> {
      o.setDsn(dsn);
      o.setMaxQueueSize(1000); // the default queue of 30 drops bursts (sentry-protocol.md §7.1)
      o.setEnableUncaughtExceptionHandler(false);
      o.setSendClientReports(false);
    });
    try {
      for (int i = 0; i < n; i++) {
        SentryId id = Sentry.captureMessage("pipeline " + name + " message " + i);
        ids.add(id.toString());
      }
      Sentry.flush(20_000);
    } finally {
      Sentry.close();
    }
    return ids;
  }

  /** A legacy store request (plain JSON) with the legacy upstream:project auth and a secret. */
  static String sendLegacyStore(String base) throws Exception {
    String id = UUID.randomUUID().toString().replace("-", "");
    String json = "{\"event_id\":\"" + id + "\",\"message\":\"legacy store event\",\"level\":\"error\",\"platform\":\"java\"}";
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + base + "/api/5/store/"))
        .header("X-Sentry-Auth", "Sentry sentry_version=6,sentry_client=raven-java/8.0.3,sentry_key=alpha,sentry_secret=web")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).contains(id);
    return id;
  }
}
