package io.spillway.proof;

import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.KafkaForm;
import io.spillway.schemas.Route;
import io.spillway.schemas.SpillwayId;
import io.spillway.testkit.JavaProcess;
import io.spillway.testkit.KafkaCluster;
import io.spillway.testkit.PrometheusText;
import io.spillway.testkit.RedisServer;
import io.spillway.testkit.SentryUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Delivery failover, measured with the real thing: a KRaft broker, two delivery instances in child
 * JVMs (their {@code main --config FILE}, the JVM options of {@code bin/jvm/delivery.options}) sharing
 * one topic whose events all sit in their pending stores (the upstream is slow on purpose: each
 * partition has its own upstream with {@code max_in_flight: 2}, answering after 100 ms), then
 * {@code kill -9} of one instance (the "victim"). Measured, per membership {@link Variant}:
 *
 * <ol>
 *   <li><b>takeover</b>: kill → the first event of the victim's partitions accepted by the upstream
 *       (necessarily sent by the survivor), with when the survivor's consumer held those partitions;
 *   <li><b>back</b>: the victim restarted after that → its first delivery again;
 *   <li><b>crash-restart</b>: the victim killed again and restarted at once (what a supervisor does) →
 *       the first event of its partitions accepted again, by whichever instance;
 *   <li>then (optionally) the upstream answers at once and everything drains: every event must be
 *       accepted at least once ({@link Result#lost}).
 * </ol>
 *
 * Events are counted by event id, which encodes the event's index; the upstream's project id tells
 * the partition (upstream {@code f<p>}, project id {@code 100+p}). Used by
 * {@code FailoverIntegrationTests} (small, asserts behaviour only) and {@code proof/run.sh failover}.
 */
final class Failover implements AutoCloseable {
  static final Duration UPSTREAM_DELAY = Duration.ofMillis(100);
  private static final Pattern PROJECT = Pattern.compile("^/api/(\\d+)/");

  /**
   * A membership setting. {@code sessionMs}/{@code heartbeatMs} 0 = Spillway's defaults
   * ({@code Takeover}); {@code instanceId} is {@code delivery.instance_id} ({@code auto}, {@code none}).
   */
  record Variant(String name, int sessionMs, int heartbeatMs, int standbys, String instanceId) {
    /** {@code name:session_ms:heartbeat_ms:standbys:instance_id}, e.g. {@code kafka-defaults:45000:3000:0:none}. */
    static Variant parse(String spec) {
      String[] f = spec.trim().split(":");
      if (f.length != 5) throw new IllegalArgumentException("expected name:session_ms:heartbeat_ms:standbys:instance_id, got " + spec);
      return new Variant(f[0], Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3]), f[4]);
    }

    String describe() {
      return (sessionMs == 0 ? "session 10 s (default)" : "session " + sessionMs / 1000.0 + " s")
          + ", heartbeat " + (heartbeatMs == 0 ? "1 s" : heartbeatMs / 1000.0 + " s") + ", standby replicas " + standbys
          + ", " + (instanceId.equals("none") ? "dynamic membership" : "static membership (instance_id " + instanceId + ")");
    }
  }

  /** Kafka's defaults, each Spillway change alone, and Spillway's defaults. */
  static final List<Variant> VARIANTS = List.of(
      Variant.parse("kafka-defaults:45000:3000:0:none"),
      Variant.parse("session-10s:0:0:0:none"),
      Variant.parse("session-10s+static:0:0:0:auto"),
      Variant.parse("session-10s+standby:0:0:1:none"),
      Variant.parse("spillway-defaults:0:0:1:auto"));

  /**
   * One variant's figures; times in ms, -1 = did not happen within the bound. {@code victimPending}:
   * events in the victim's store when it was killed; {@code lost}: events never accepted (only when verified).
   */
  record Result(Variant variant, long events, long victimPending, Set<Integer> victimPartitions, long assignedMs,
      long takeoverMs, long backMs, long crashRestartMs, String crashRestartBy, boolean verified, long lost, long duplicates,
      double loadAtKill) {}

  private final KafkaCluster kafka;
  private final SentryUpstream upstream;
  private final int partitions;
  private final long events;
  private final String topic;
  private final List<String> jvm;
  private final Path dir;
  private final List<String> log = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final int salt = ThreadLocalRandom.current().nextInt() & 0x7fffffff;
  private final List<JavaProcess> started = new ArrayList<>();

  // the tally of what the upstream accepted (by the event's index), fed by tally()
  private BitSet delivered = new BitSet();
  private long accepted;
  /** Partitions watched for a first delivery after {@link #watchSince} (epoch ms), and the first arrival seen. */
  private Set<Integer> watch = Set.of();
  private long watchSince;
  private long firstWatched = -1;

  private Failover(KafkaCluster kafka, SentryUpstream upstream, int partitions, long events, List<String> jvm) throws Exception {
    this.kafka = kafka;
    this.upstream = upstream;
    this.partitions = partitions;
    this.events = events;
    this.jvm = jvm;
    this.topic = "failover-" + salt;
    this.dir = Files.createTempDirectory("spillway-failover-");
  }

  /** A broker, the upstream, a topic of {@code partitions} holding {@code events} events of about {@code bodyBytes}. */
  static Failover start(int brokers, int partitions, long events, int bodyBytes, List<String> jvm) throws Exception {
    KafkaCluster kafka = KafkaCluster.start(brokers);
    SentryUpstream upstream = null;
    try {
      upstream = SentryUpstream.start().keepBodies(false);
      for (int p = 0; p < partitions; p++) upstream.project(100 + p, key(p), null);
      upstream.delay(UPSTREAM_DELAY);
      Failover f = new Failover(kafka, upstream, partitions, events, jvm);
      kafka.createTopic(f.topic, partitions, (short) Math.min(3, brokers));
      kafka.createTopic(f.topic + ".dlq", partitions, (short) Math.min(3, brokers));
      f.produce(bodyBytes);
      return f;
    } catch (Exception | Error e) {
      if (upstream != null) upstream.close();
      kafka.close();
      throw e;
    }
  }

  List<String> log() {
    return log;
  }

  void say(String line) {
    String l = java.time.Instant.now() + " " + line;
    log.add(l);
    System.out.println(l);
  }

  private static String key(int p) {
    return String.format("%032x", 0xfa11L * 1000 + p);
  }

  private void produce(int bodyBytes) throws Exception {
    long t0 = System.nanoTime();
    Properties pp = new Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    pp.put(ProducerConfig.ACKS_CONFIG, "all");
    pp.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    pp.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    pp.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    SpillwayId ids = new SpillwayId();
    StringBuilder pad = new StringBuilder();
    while (pad.length() < Math.max(0, bodyBytes - 200)) pad.append(Long.toHexString(ThreadLocalRandom.current().nextLong()));
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer())) {
      List<Future<?>> acks = new ArrayList<>();
      for (long i = 0; i < events; i++) {
        int p = (int) (i % partitions);
        String eventId = eventId(i);
        String item = "{\"event_id\":\"" + eventId + "\",\"message\":\"failover " + i + " " + pad + "\"}";
        String env = "{\"event_id\":\"" + eventId + "\"}\n{\"type\":\"event\",\"length\":"
            + item.getBytes(StandardCharsets.UTF_8).length + "}\n" + item + "\n";
        long now = System.currentTimeMillis();
        BufferedEvent e = BufferedEvent.builder().id(ids.next(now)).receivedAt(now).route(new Route("f" + p, "p"))
            .kind(EndpointKind.ENVELOPE).path("/api/1/envelope/").contentType("application/x-sentry-envelope")
            .userAgent("sentry.java/8.63.0").sentryClient("sentry.java/8.63.0").sentryVersion("7").clientIp("127.0.0.1")
            .eventId(eventId).body(env.getBytes(StandardCharsets.UTF_8)).build();
        KafkaForm f = KafkaForm.encode(e);
        RecordHeaders headers = new RecordHeaders();
        for (KafkaForm.Header h : f.headers()) headers.add(h.name(), h.value());
        acks.add(producer.send(new ProducerRecord<>(topic, p, f.timestamp(), f.key(), f.value(), headers)));
        if (acks.size() >= 10_000) {
          for (Future<?> a : acks) a.get(120, TimeUnit.SECONDS);
          acks.clear();
        }
      }
      for (Future<?> a : acks) a.get(120, TimeUnit.SECONDS);
    }
    say(String.format(Locale.ROOT, "topic %s: %d events of ~%d bytes in %d partitions, written in %.1f s", topic, events,
        bodyBytes, partitions, (System.nanoTime() - t0) / 1e9));
  }

  private String eventId(long i) {
    return String.format("%08x%024x", salt, i);
  }

  /** One instance of a variant: its config, process and admin port. */
  private final class Instance {
    final String name;
    final int admin = RedisServer.freePort();
    final Path config;
    final JavaProcess process;

    Instance(String name, String appId, Variant v) throws Exception {
      this.name = name;
      StringBuilder ups = new StringBuilder();
      for (int p = 0; p < partitions; p++) {
        ups.append("  f").append(p).append(": { url: \"").append(upstream.url()).append("\", max_in_flight: 2, projects: { p: { id: ")
            .append(100 + p).append(", key: \"").append(key(p)).append("\" } } }\n");
      }
      String props = "\"client.id\": \"" + appId + "-" + name + "\""
          + (v.sessionMs() > 0 ? ", \"session.timeout.ms\": \"" + v.sessionMs() + "\"" : "")
          + (v.heartbeatMs() > 0 ? ", \"heartbeat.interval.ms\": \"" + v.heartbeatMs() + "\"" : "");
      String yaml = """
          delivery: { admin: "127.0.0.1:%d", application_id: "%s", state_dir: "%s", standby_replicas: %d, instance_id: "%s", retry_max: "5s" }
          kafka: { bootstrap_servers: "%s", topic: "%s", partitions: %d, replication_factor: %d, properties: { %s } }
          upstreams:
          %s""".formatted(admin, appId, dir.resolve(appId + "-" + name), v.standbys(), v.instanceId(), kafka.bootstrapServers(),
          topic, partitions, Math.min(3, kafka.size()), props, ups);
      this.config = dir.resolve(appId + "-" + name + ".yml");
      Files.writeString(config, yaml);
      this.process = JavaProcess.start("io.spillway.delivery.DeliveryService", jvm, "--config", config.toString());
      started.add(process);
    }

    String clientId(String appId) {
      return appId + "-" + name;
    }

    boolean ready() {
      return get("/readyz").statusCode() == 200;
    }

    double metric(String metric) {
      try {
        return PrometheusText.sumOrZero(get("/metrics").body(), metric);
      } catch (RuntimeException e) {
        return -1;
      }
    }

    private HttpResponse<String> get(String path) {
      try {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + path)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString());
      } catch (Exception e) {
        throw new IllegalStateException(name + " admin: " + e, e);
      }
    }

    void awaitReady(Duration timeout) {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline) {
        if (!process.isAlive()) throw new IllegalStateException(name + " exited:\n" + Pipeline.tail(process.output()));
        try {
          if (ready()) return;
        } catch (RuntimeException e) {
          // not listening yet
        }
        Pipeline.sleep(200);
      }
      throw new IllegalStateException(name + " not ready within " + timeout + ":\n" + Pipeline.tail(process.output()));
    }
  }

  /** Runs one variant on a fresh application id; {@code verify}: drain everything and count losses. */
  Result run(Variant v, Duration settle, boolean verify) throws Exception {
    String appId = "fo-" + v.name().replaceAll("[^a-z0-9-]", "-") + "-" + Long.toHexString(System.nanoTime() & 0xffffff);
    delivered = new BitSet();
    accepted = 0;
    upstream.delay(UPSTREAM_DELAY);
    upstream.take();
    say("variant " + v.name() + ": " + v.describe() + "; application " + appId);
    Instance a = new Instance("a", appId, v);
    Instance b = new Instance("b", appId, v);
    try (Admin admin = admin()) {
      a.awaitReady(Duration.ofMinutes(3));
      b.awaitReady(Duration.ofMinutes(3));
      // Both take the whole topic into their stores (the upstream is slow on purpose).
      long fillDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300 + events / 1000);
      long t0 = System.nanoTime();
      while (true) {
        tally();
        double pa = a.metric("spillway_delivery_pending");
        double pb = b.metric("spillway_delivery_pending");
        if (pa >= 0 && pb >= 0 && pa + pb + delivered.cardinality() >= events) break;
        if (System.nanoTime() > fillDeadline) throw new IllegalStateException("stores not filled: pending a=" + pa + " b=" + pb);
        if (!a.process.isAlive() || !b.process.isAlive()) throw new IllegalStateException("an instance exited: " + a.process.log());
        Pipeline.sleep(500);
      }
      say(String.format(Locale.ROOT, "  stores filled in %.1f s: pending a=%.0f b=%.0f, delivered so far %d", (System.nanoTime() - t0) / 1e9,
          a.metric("spillway_delivery_pending"), b.metric("spillway_delivery_pending"), delivered.cardinality()));
      sleepTallying(settle);
      Set<Integer> victim = assigned(admin, appId, a.clientId(appId));
      if (victim.isEmpty()) throw new IllegalStateException("instance a holds no partition: " + describe(admin, appId));
      long victimPending = Math.round(a.metric("spillway_delivery_pending"));
      double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();

      // 1. kill -9 → the survivor delivers the victim's partitions
      tally();
      long kill = System.currentTimeMillis();
      a.process.kill();
      watch(victim, kill);
      long assignedAt = -1;
      long bound = System.currentTimeMillis() + Math.max(v.sessionMs(), 10_000) + 180_000;
      while (firstWatched < 0 && System.currentTimeMillis() < bound) {
        tally();
        if (assignedAt < 0 && assigned(admin, appId, b.clientId(appId)).containsAll(victim)) assignedAt = System.currentTimeMillis();
        Pipeline.sleep(50);
      }
      long takeover = firstWatched < 0 ? -1 : firstWatched - kill;
      long assignedMs = assignedAt < 0 ? -1 : assignedAt - kill;
      say("  kill -9 of a (partitions " + victim + ", " + victimPending + " events in its store): b held them after "
          + assignedMs + " ms, first delivery of them after " + takeover + " ms");

      // 2. the victim restarted: how long until it delivers again
      long restart = System.currentTimeMillis();
      a.process.start();
      long back = -1;
      bound = restart + 240_000;
      while (System.currentTimeMillis() < bound) {
        tally();
        double ok = a.process.isAlive() ? a.metric("spillway_delivery_ok_total") : -1;
        if (ok > 0) {
          back = System.currentTimeMillis() - restart;
          break;
        }
        Pipeline.sleep(100);
      }
      say("  a restarted: delivering again after " + back + " ms (now holds " + assigned(admin, appId, a.clientId(appId)) + ")");

      // 3. kill -9 and restart at once (a supervisor): the first delivery of its partitions, by either
      sleepTallying(Duration.ofSeconds(5));
      Set<Integer> held = assigned(admin, appId, a.clientId(appId));
      long crashRestart = -1;
      String by = "-";
      if (!held.isEmpty()) {
        tally();
        long kill2 = System.currentTimeMillis();
        a.process.kill();
        a.process.start();
        watch(held, kill2);
        bound = kill2 + Math.max(v.sessionMs(), 10_000) + 180_000;
        while (firstWatched < 0 && System.currentTimeMillis() < bound) {
          tally();
          Pipeline.sleep(50);
        }
        crashRestart = firstWatched < 0 ? -1 : firstWatched - kill2;
        Pipeline.sleep(1000);
        Set<Integer> nowA = assigned(admin, appId, a.clientId(appId));
        by = nowA.containsAll(held) ? "the restarted instance" : assigned(admin, appId, b.clientId(appId)).containsAll(held) ? "the other instance" : "both";
        say("  kill -9 of a + restart at once (partitions " + held + "): first delivery of them after " + crashRestart + " ms, by " + by);
      } else {
        say("  a holds no partition after its restart: crash-restart step skipped (" + describe(admin, appId) + ")");
      }
      watch(Set.of(), 0);

      // 4. drain: every event accepted at least once
      long lost = -1;
      if (verify) {
        upstream.delay(Duration.ZERO);
        long last = -1;
        long since = System.currentTimeMillis();
        while (delivered.cardinality() < events && System.currentTimeMillis() - since < 120_000) {
          tally();
          if (delivered.cardinality() != last) {
            last = delivered.cardinality();
            since = System.currentTimeMillis();
          }
          Pipeline.sleep(200);
        }
        lost = events - delivered.cardinality();
        say("  drained: " + delivered.cardinality() + " of " + events + " events accepted, " + (accepted - delivered.cardinality())
            + " duplicates, lost " + lost);
      }
      return new Result(v, events, victimPending, victim, assignedMs, takeover, back, crashRestart, by, verify, lost,
          accepted - delivered.cardinality(), load);
    } finally {
      a.process.stop();
      b.process.stop();
      deleteInternalTopics(appId);
    }
  }

  private void watch(Set<Integer> partitions, long since) {
    watch = partitions;
    watchSince = since;
    firstWatched = -1;
  }

  private void sleepTallying(Duration d) {
    long end = System.nanoTime() + d.toNanos();
    while (System.nanoTime() < end) {
      tally();
      Pipeline.sleep(100);
    }
  }

  /** Takes what the upstream recorded since the last call into the tally. */
  void tally() {
    for (SentryUpstream.Received r : upstream.take()) {
      if (!r.accepted() || r.eventId() == null) continue;
      accepted++;
      delivered.set((int) Long.parseLong(r.eventId().substring(8), 16));
      Matcher m = PROJECT.matcher(r.path());
      if (!watch.isEmpty() && r.arrivedAt() > watchSince && m.find() && watch.contains(Integer.parseInt(m.group(1)) - 100)) {
        if (firstWatched < 0 || r.arrivedAt() < firstWatched) firstWatched = r.arrivedAt();
      }
    }
  }

  long distinctDelivered() {
    return delivered.cardinality();
  }

  private Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    return Admin.create(p);
  }

  /** The source-topic partitions the members whose client id starts with {@code clientId} are assigned. */
  private Set<Integer> assigned(Admin admin, String group, String clientId) {
    Set<Integer> out = new TreeSet<>();
    try {
      ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group);
      for (MemberDescription m : d.members()) {
        if (!m.clientId().startsWith(clientId + "-")) continue;
        for (TopicPartition tp : m.assignment().topicPartitions()) if (tp.topic().equals(topic)) out.add(tp.partition());
      }
    } catch (Exception e) {
      // the coordinator is busy rebalancing: nothing known this time
    }
    return out;
  }

  private String describe(Admin admin, String group) {
    try {
      return admin.describeConsumerGroups(List.of(group)).all().get(10, TimeUnit.SECONDS).get(group).toString();
    } catch (Exception e) {
      return e.toString();
    }
  }

  private void deleteInternalTopics(String appId) {
    try (Admin admin = admin()) {
      Collection<String> names = admin.listTopics().names().get(10, TimeUnit.SECONDS).stream().filter(t -> t.startsWith(appId + "-")).toList();
      if (!names.isEmpty()) admin.deleteTopics(names).all().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      say("  could not delete " + appId + "'s changelog topics: " + e);
    }
  }

  @Override
  public void close() {
    for (JavaProcess p : started) p.kill();
    upstream.close();
    kafka.close();
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException ignored) {
      // temp dir: best effort
    }
  }

  /** The Markdown section for docs/reliability.md. */
  static String markdown(List<Result> results, String command, long events, int partitions, int bodyBytes, List<String> jvm,
      java.time.Instant started, double startLoad, List<String> log) {
    StringBuilder b = new StringBuilder();
    b.append("## Delivery failover after `kill -9`\n\n");
    b.append("_Generated by `proof/src/test/java/io/spillway/proof/FailoverIntegrationTests.java` (`").append(command)
        .append("`); do not edit by hand._ Run ").append(started).append(", ").append(Runtime.getRuntime().availableProcessors())
        .append(" cores, load average at the start ").append(String.format(Locale.ROOT, "%.1f", startLoad)).append(".\n\n");
    b.append("Two delivery instances (child JVMs, `").append(String.join(" ", jvm)).append("`) share a topic of ").append(events)
        .append(" events (~").append(bodyBytes).append(" bytes each) in ").append(partitions).append(" partitions, each partition")
        .append(" with its own upstream that answers after ").append(UPSTREAM_DELAY.toMillis()).append(" ms with `max_in_flight: 2`,")
        .append(" so all the events sit in the instances' pending stores. Then one instance (the victim) is killed with `kill -9`.")
        .append(" *Takeover* = kill → the first event of the victim's partitions accepted by the upstream (sent by the other")
        .append(" instance); *held* = kill → the other instance's consumer holds those partitions; *back* = the victim restarted")
        .append(" → its first delivery; *crash-restart* = the victim killed again and restarted at once (a supervisor) → the first")
        .append(" event of its partitions accepted, by whichever instance. *Lost* = events never accepted after the final drain.\n\n");
    b.append("| variant | settings | events in the victim's store | held after | **takeover** | back after restart | crash-restart (by) | lost | load at kill |\n");
    b.append("|---|---|---:|---:|---:|---:|---|---:|---:|\n");
    for (Result r : results) {
      b.append("| ").append(r.variant().name()).append(" | ").append(r.variant().describe()).append(" | ").append(r.victimPending())
          .append(" | ").append(secs(r.assignedMs())).append(" | **").append(secs(r.takeoverMs())).append("** | ").append(secs(r.backMs()))
          .append(" | ").append(secs(r.crashRestartMs())).append(" (").append(r.crashRestartBy()).append(") | ")
          .append(r.verified() ? String.valueOf(r.lost()) : "not drained").append(" | ")
          .append(String.format(Locale.ROOT, "%.1f", r.loadAtKill())).append(" |\n");
    }
    b.append("\n```\n");
    for (String l : log) b.append(l).append('\n');
    b.append("```\n");
    return b.toString();
  }

  private static String secs(long ms) {
    return ms < 0 ? "-" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
  }
}
