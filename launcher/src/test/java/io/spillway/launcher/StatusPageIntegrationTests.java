package io.spillway.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.spillway.bridge.KafkaBridge;
import io.spillway.delivery.DeliveryService;
import io.spillway.edge.EdgeServer;
import io.spillway.runtime.AdminServer;
import io.spillway.runtime.Metrics;
import io.spillway.runtime.status.PipelineStatus;
import io.spillway.runtime.status.StatusPage;
import io.spillway.schemas.config.HostPort;
import io.spillway.schemas.config.SpillwayConfig;
import io.spillway.testkit.KafkaCluster;
import io.spillway.testkit.RedisServer;
import io.spillway.testkit.SentryUpstream;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The status page in a real headless Chromium, against the real pipeline (Redis, a KRaft broker,
 * edge, bridge, delivery, a Sentry-like upstream): it loads and shows every service up; with the
 * broker stopped the Redis backlog on the page grows to exactly {@code XLEN}; when the broker is
 * back and the upstream answers 429 + Retry-After the backlog drains and the upstream is marked
 * held with its held-until time; at a quiet moment the per-partition lag equals Kafka's own view
 * (log end offset minus the group's committed offset, what kafka-consumer-groups shows).
 */
@Timeout(180)
class StatusPageIntegrationTests {
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final int PARTITIONS = 4;
  static RedisServer redis;
  static KafkaCluster kafka;
  static SentryUpstream alpha;
  static EdgeServer edge;
  static KafkaBridge bridge;
  static DeliveryService delivery;
  static AdminServer page;
  static KafkaGroupLag groupLag;
  static SpillwayConfig config;
  static String yaml;

  @BeforeAll
  static void startPipeline() throws Exception {
    chromium(); // fail fast, before starting anything, when the browser is missing
    redis = RedisServer.launch();
    kafka = KafkaCluster.start(1);
    alpha = SentryUpstream.start().project(11, "alphakey11", null);
    Path state = Files.createTempDirectory("spillway-status-");
    yaml = """
        edge:     { listen: "127.0.0.1:0", admin: "127.0.0.1:0", instance: "edge-status" }
        bridge:   { admin: "127.0.0.1:0", block: "50ms" }
        delivery: { admin: "127.0.0.1:0", state_dir: "%s" }
        redis:    { uri: "%s" }
        kafka:    { bootstrap_servers: "%s", partitions: %d }
        upstreams:
          alpha:
            url: "%s"
            projects:
              web: { alias: "webalias", id: 11, key: "alphakey11" }
        """.formatted(state, redis.uri(), kafka.bootstrapServers(), PARTITIONS, alpha.url());
    config = SpillwayConfig.parse(yaml, Map.of(), "status-test");
    delivery = DeliveryService.start(config);
    bridge = KafkaBridge.start(config);
    edge = EdgeServer.start(config);
    PipelineStatus status = new PipelineStatus(Map.of(
        "edge", URI.create("http://127.0.0.1:" + edge.adminPort()),
        "bridge", URI.create("http://127.0.0.1:" + bridge.adminPort()),
        "delivery", URI.create("http://127.0.0.1:" + delivery.adminPort())), config.kafka().topic(), Duration.ofMillis(500));
    groupLag = new KafkaGroupLag(config);
    status.groupLag(groupLag);
    page = new AdminServer(new HostPort("127.0.0.1", 0), Metrics.registry("status-test", "t"))
        .route("/status", new StatusPage(status)).start();
  }

  @AfterAll
  static void stopPipeline() {
    for (AutoCloseable c : new AutoCloseable[] {page, groupLag, edge, bridge, delivery, alpha, kafka, redis}) {
      try {
        if (c != null) c.close();
      } catch (Exception ignored) {
        // keep closing the rest
      }
    }
  }

  @Test
  void pageShowsBacklogLagAndAHeldUpstreamInARealBrowser() throws Exception {
    String url = "http://127.0.0.1:" + page.port() + "/status";
    String stream = config.redis().streamKeys().get(0);

    // 1. Traffic flows through: every service up, backlog back to 0, the upstream took 20 events.
    send(20, "first");
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300))
        .until(() -> alpha.acceptedCount() >= 20 && redis.xlen(stream) == 0);
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
      String html = http(url);
      assertThat(html).doesNotContain("class=\"service not-ready\"").doesNotContain("class=\"service unreachable\"");
      assertThat(value(html, "backlog")).isEqualTo("0");
      assertThat(html).contains("class=\"partition\"");
      // Micrometer binds the consumer's metrics every 5 s: the consumer lag shows up a little later.
      assertThat(value(html, "lag-total")).matches("\\d+");
      assertThat(value(html, "group-lag-total")).isEqualTo("0");
    });
    String dom = dumpDom(url, null);
    assertThat(dom).as("Chromium rendered the page").contains("<title>Spillway status</title>");
    assertThat(count(dom, "class=\"service up\"")).isEqualTo(3);
    assertThat(value(dom, "backlog")).isEqualTo("0");
    assertThat(count(dom, "class=\"partition\"")).isEqualTo(PARTITIONS);
    assertThat(value(dom, "lag-total")).matches("\\d+");
    assertThat(dom).contains("<tr class=\"upstream\" data-upstream=\"alpha\">");
    double okBefore = Double.parseDouble(okTotal(dom, "alpha"));
    assertThat(okBefore).isGreaterThanOrEqualTo(20);
    String edgeTotalBefore = value(dom, "edge-accepted-total");

    // 2. Kafka down: the edge still takes events, they wait in Redis; the page's backlog is XLEN.
    kafka.stopBroker(0);
    send(30, "while kafka is down");
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
        .until(() -> redis.xlen(stream) == 30 && "30".equals(value(http(url), "backlog")));
    dom = dumpDom(url, null);
    assertThat(value(dom, "backlog")).isEqualTo("30").isEqualTo(String.valueOf(redis.xlen(stream)));
    assertThat(value(dom, "edge-accepted-total")).isNotEqualTo(edgeTotalBefore);
    assertThat(Double.parseDouble(value(dom, "oldest-age"))).isGreaterThanOrEqualTo(0);
    System.out.println("status page: backlog with Kafka down = " + value(dom, "backlog") + ", XLEN = " + redis.xlen(stream));

    // 3. Broker back: the backlog drains to the upstream.
    kafka.startBroker(0);
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
        .until(() -> alpha.acceptedCount() >= 50 && "0".equals(value(http(url), "backlog")));

    // 4. Delivery down while traffic flows: the lag Kafka sees grows to exactly the events sent.
    delivery.close();
    send(20, "while delivery is down");
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
        .until(() -> "20".equals(value(http(url), "group-lag-total")));
    dom = dumpDom(url, null);
    assertThat(value(dom, "group-lag-total")).isEqualTo("20");
    assertThat(dom).contains("<tr class=\"service unreachable\" data-service=\"delivery\">");
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      Map<Integer, Long> tool = kafkaLag(admin, config.kafka().topic(), config.delivery().applicationId());
      assertThat(groupLag(dom)).isEqualTo(tool);
      System.out.println("status page: with delivery down, lag not committed " + groupLag(dom) + " = Kafka's view " + tool);
    }

    // 5. Delivery back, upstream answers 429 + Retry-After: the lag goes back to 0, the upstream shows as held.
    alpha.rateLimit(Duration.ofSeconds(300), "300", null);
    delivery = DeliveryService.start(config);
    PipelineStatus restarted = new PipelineStatus(Map.of(
        "edge", URI.create("http://127.0.0.1:" + edge.adminPort()),
        "bridge", URI.create("http://127.0.0.1:" + bridge.adminPort()),
        "delivery", URI.create("http://127.0.0.1:" + delivery.adminPort())), config.kafka().topic(), Duration.ofMillis(500))
        .groupLag(groupLag);
    page.route("/status", new StatusPage(restarted)); // delivery's admin port is new (port 0)
    List<Double> lagsSeen = new ArrayList<>();
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).until(() -> {
      String html = http(url);
      double seen = Double.parseDouble(value(html, "group-lag-total").replace("–", "-1"));
      if (lagsSeen.isEmpty() || lagsSeen.get(lagsSeen.size() - 1) != seen) lagsSeen.add(seen); // changes only
      return html.contains("<tr class=\"upstream held\" data-upstream=\"alpha\">") && "0".equals(value(html, "group-lag-total"));
    });
    Path shot = Path.of("target", "status-page.png").toAbsolutePath();
    dom = dumpDom(url, shot);
    assertThat(dom).contains("<tr class=\"upstream held\" data-upstream=\"alpha\">");
    Matcher until = Pattern.compile("data-upstream=\"alpha\">.*?class=\"held-until\" data-value=\"([0-9.]+)\">([^<]+)<", Pattern.DOTALL)
        .matcher(dom);
    assertThat(until.find()).as("held-until cell of alpha").isTrue();
    double heldUntil = Double.parseDouble(until.group(1));
    assertThat(heldUntil * 1000).isGreaterThan(System.currentTimeMillis() + 200_000); // Retry-After: 300
    assertThat(until.group(2)).contains("UTC");
    assertThat(value(dom, "backlog")).isEqualTo("0").isEqualTo(String.valueOf(redis.xlen(stream)));
    assertThat(dom).doesNotContain("alphakey11");
    System.out.println("status page: held until " + until.group(2) + "; lag (not committed) seen while delivery came back: " + lagsSeen
        + "; screenshot " + shot);

    // The same figures in the terminal: spillway status --config, with the admin ports fixed in the file.
    Path file = Files.createTempFile("spillway-status-", ".yml");
    Files.writeString(file, yaml
        .replace("admin: \"127.0.0.1:0\", instance", "admin: \"127.0.0.1:" + edge.adminPort() + "\", instance")
        .replace("bridge:   { admin: \"127.0.0.1:0\"", "bridge:   { admin: \"127.0.0.1:" + bridge.adminPort() + "\"")
        .replace("delivery: { admin: \"127.0.0.1:0\"", "delivery: { admin: \"127.0.0.1:" + delivery.adminPort() + "\""));
    // Delivery may be settling a rebalance for a moment (NOT READY, exit 1): ask again until all three are up.
    java.io.StringWriter terminal = new java.io.StringWriter();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      terminal.getBuffer().setLength(0);
      int exit = new picocli.CommandLine(new Spillway()).setOut(new java.io.PrintWriter(terminal))
          .execute("status", "--config", file.toString());
      assertThat(exit).as(terminal.toString()).isZero();
    });
    System.out.println("spillway status printed:\n" + terminal);
    assertThat(terminal.toString()).contains("edge      up").contains("bridge    up").contains("delivery  up")
        .contains("Redis backlog   0 entries").containsPattern("alpha .*HELD until .*UTC").doesNotContain("alphakey11");
    Files.delete(file);

    // 6. Quiet moment: the page's lag per partition equals Kafka's view of the delivery group.
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
        Map<Integer, Long> kafkaLag = kafkaLag(admin, config.kafka().topic(), config.delivery().applicationId());
        assertThat(kafkaLag.values().stream().mapToLong(Long::longValue).sum()).isZero();
        Map<Integer, Long> pageLag = pageLag(http(url));
        assertThat(pageLag).isEqualTo(kafkaLag);
      });
      Map<Integer, Long> end = endOffsets(admin, config.kafka().topic());
      assertThat(end.values().stream().mapToLong(Long::longValue).sum()).as("all 70 events are in the topic").isEqualTo(70);
      String html = dumpDom(url, null);
      assertThat(pageLag(html)).isEqualTo(kafkaLag(admin, config.kafka().topic(), config.delivery().applicationId()));
      assertThat(groupLag(html)).isEqualTo(pageLag(html));
      System.out.println("status page: lag per partition " + pageLag(html) + " = Kafka's view; log end offsets " + end);
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  static void send(int n, String text) throws Exception {
    for (int i = 0; i < n; i++) {
      String id = UUID.randomUUID().toString().replace("-", "");
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + edge.port() + "/api/11/store/?sentry_key=webalias&sentry_version=7"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"event_id\":\"" + id + "\",\"message\":\"" + text + " " + i + "\"}"))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
  }

  static String http(String url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  /** The {@code data-value} of the element with this id ("" when absent). */
  static String value(String html, String id) {
    Matcher m = Pattern.compile("id=\"" + Pattern.quote(id) + "\" data-value=\"([^\"]*)\"").matcher(html);
    return m.find() ? m.group(1) : "";
  }

  static String okTotal(String html, String upstream) {
    Matcher m = Pattern.compile("data-upstream=\"" + upstream + "\">.*?class=\"ok\" data-value=\"([^\"]*)\"", Pattern.DOTALL).matcher(html);
    return m.find() ? m.group(1) : "";
  }

  static int count(String html, String needle) {
    int n = 0;
    for (int i = html.indexOf(needle); i >= 0; i = html.indexOf(needle, i + 1)) n++;
    return n;
  }

  static Map<Integer, Long> pageLag(String html) {
    Map<Integer, Long> out = new HashMap<>();
    Matcher m = Pattern.compile("class=\"partition\" data-partition=\"(\\d+)\">.*?class=\"lag\" data-value=\"(\\d+)\"").matcher(html);
    while (m.find()) out.put(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)));
    return out;
  }

  static Map<Integer, Long> groupLag(String html) {
    Map<Integer, Long> out = new HashMap<>();
    Matcher m = Pattern.compile("class=\"partition\" data-partition=\"(\\d+)\">.*?class=\"group-lag\" data-value=\"(\\d+)\"").matcher(html);
    while (m.find()) out.put(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)));
    return out;
  }

  static Map<Integer, Long> endOffsets(Admin admin, String topic) throws Exception {
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (int p = 0; p < PARTITIONS; p++) latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
    Map<Integer, Long> out = new HashMap<>();
    admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS).forEach((tp, r) -> out.put(tp.partition(), r.offset()));
    return out;
  }

  /** What {@code kafka-consumer-groups --describe} shows as LAG: log end offset − committed offset. */
  static Map<Integer, Long> kafkaLag(Admin admin, String topic, String group) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
    Map<Integer, Long> out = new HashMap<>();
    endOffsets(admin, topic).forEach((p, end) -> {
      OffsetAndMetadata c = committed.get(new TopicPartition(topic, p));
      out.put(p, end - (c == null ? 0 : c.offset()));
    });
    return out;
  }

  /** Debian's chromium; the test fails (not skips) without it: CI installs it in .ci/run. */
  static String chromium() {
    for (String c : new String[] {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
      if (new File(c).canExecute()) return c;
    }
    fail("chromium is not installed: apt-get install -y --no-install-recommends chromium (.ci/run does this)");
    return null;
  }

  /** Loads the page in headless Chromium and returns the DOM it rendered (and a screenshot if asked). */
  static String dumpDom(String url, Path screenshot) throws Exception {
    Path profile = Files.createTempDirectory("spillway-chromium-");
    List<String> cmd = new ArrayList<>(List.of(chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--virtual-time-budget=3000"));
    if (screenshot != null) {
      cmd.add("--screenshot=" + screenshot);
      cmd.add("--window-size=1280,900");
    }
    cmd.add("--dump-dom");
    cmd.add(url);
    Path out = Files.createTempFile("spillway-chromium-", ".html");
    Path err = Files.createTempFile("spillway-chromium-", ".log");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS)) fail("chromium did not finish within 60 s; stderr: " + Files.readString(err));
      String dom = Files.readString(out);
      assertThat(p.exitValue()).as("chromium exit code; stderr: %s", Files.readString(err)).isZero();
      assertThat(dom).as("chromium printed no DOM; stderr: %s", Files.readString(err)).contains("</html>");
      return dom;
    } finally {
      // Chromium forks a zygote, renderers, a GPU and a network process: stop them all.
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      deleteTree(profile);
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  static void deleteTree(Path dir) {
    try (var s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (Exception ignored) {
      // a temp profile left behind is harmless
    }
  }
}
