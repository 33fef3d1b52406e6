package io.spillway.proof;

import static io.spillway.runtime.SpillwayMetric.MIRROR_GAP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.spillway.proof.MultiDc.RouteSpec;
import io.spillway.testkit.NetworkNamespace;
import io.spillway.testkit.SentryUpstream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Issue 14: two datacenters and a central site as separate processes ({@link MultiDc}), a steady
 * load into both datacenters' edges (four routes on two upstreams, one of them rate limited
 * fleet-wide), and one fault at a time: MirrorMaker 2 kill -9 (dedup on, and in the long sizes off),
 * the WAN link of dc1 cut (a network namespace: connections hang), a central broker kill -9 (long
 * sizes: central RF 3), a delivery instance kill -9, and last the mirror gap (dc2's retention shrunk
 * while the mirror is stopped: the records lost must be exactly the number the mirror reports).
 * Counted by event id at the upstreams: delivered to the right upstream and project with the real
 * key, duplicates, lost. The short size runs in {@code mvn verify}; {@code -Dspillway.proof=full}
 * (or medium) writes the "Multi-DC" section of {@code docs/reliability.md}.
 */
class MultiDcSuiteIntegrationTests {
  /** Token TTL of delivery's fleet limiter (FleetRateLimit) and the arrival jitter allowed, as FleetRateLimitIntegrationTests. */
  static final long LIMIT_SLACK_MS = 50 + 250;
  static final String START_MARK = "<!-- multi-dc:start -->";
  static final String END_MARK = "<!-- multi-dc:end -->";

  /** {@code long}: the long sizes also run the control scenario, MM2 with dedup off and the delivery kill. */
  record Size(String name, int centralBrokers, int bridgesPerDc, int deliveries, int ratePerDc, Duration load, Duration at,
      Duration restartAfter, Duration wanCut, double limitB, int burstB, boolean longRun, Duration drainTimeout) {
    static Size of(String name) {
      int rate = Integer.getInteger("spillway.proof.rate", -1);
      Size s = switch (name) {
        case "full" -> new Size("full", 3, 2, 2, 300, Duration.ofSeconds(60), Duration.ofSeconds(15), Duration.ofSeconds(10),
            Duration.ofSeconds(120), 100, 20, true, Duration.ofMinutes(6));
        case "medium" -> new Size("medium", 3, 2, 2, 150, Duration.ofSeconds(30), Duration.ofSeconds(8), Duration.ofSeconds(5),
            Duration.ofSeconds(30), 50, 10, true, Duration.ofMinutes(4));
        // short (mvn verify): MM2 kill, WAN cut and the gap only, 8 s each: about 3 min on an idle machine
        default -> new Size("short", 1, 1, 2, 50, Duration.ofSeconds(8), Duration.ofSeconds(2), Duration.ofSeconds(2),
            Duration.ofSeconds(8), 20, 5, false, Duration.ofSeconds(90));
      };
      return rate > 0 ? new Size(s.name(), s.centralBrokers(), s.bridgesPerDc(), s.deliveries(), rate, s.load(), s.at(), s.restartAfter(),
          s.wanCut(), s.limitB(), s.burstB(), s.longRun(), s.drainTimeout()) : s;
    }

    Duration loadFor(Duration lasting) {
      Duration d = at.plus(lasting).plus(at);
      return d.compareTo(load) > 0 ? d : load;
    }
  }

  interface Action {
    void run(MultiDc m, Scenario s) throws Exception;
  }

  record Scenario(String name, Duration load, Duration at, Duration lasting, Action inject, Action undo, String note,
      boolean lossAllowed, boolean dedupOn) {}

  /** What one scenario sent: id → route and datacenter, acknowledged ids, refused and unanswered requests. */
  static final class Ledger {
    final Map<String, RouteSpec> sent = new ConcurrentHashMap<>();
    final Map<String, String> dcOf = new ConcurrentHashMap<>();
    final Map<String, Boolean> acked = new ConcurrentHashMap<>();
    final AtomicLong ackedDc1DuringFault = new AtomicLong();
    final AtomicLong rejected = new AtomicLong();
    final AtomicLong noAnswer = new AtomicLong();
    /** Sends not made: the generator had {@code 512} requests in flight (a slow machine, not a refusal). */
    final AtomicLong skipped = new AtomicLong();
    final AtomicBoolean faultActive = new AtomicBoolean();
    final List<String> notes = new ArrayList<>();
    volatile double gapReported = Double.NaN;
  }

  record Row(String scenario, long sent, long acked, long delivered, long duplicates, long wrongPlace, long deadLettered, long lost,
      long rejected, long noAnswer, double dropped, String note, boolean lossAllowed, Duration drainedIn, double gapReported) {}

  @Test
  @Timeout(value = 420, unit = TimeUnit.SECONDS)
  @DisabledIfSystemProperty(named = "spillway.proof", matches = "full|medium")
  void shortMultiDcLosesNothingAcknowledged() throws Exception {
    run(Size.of("short"), Path.of("target", "reliability-multi-dc-short.md"), false);
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.MINUTES)
  @EnabledIfSystemProperty(named = "spillway.proof", matches = "full|medium")
  void fullMultiDcLosesNothingAcknowledged() throws Exception {
    Path docs = Path.of("").toAbsolutePath().getParent().resolve("docs");
    boolean inDocs = Files.isDirectory(docs);
    run(Size.of(System.getProperty("spillway.proof")), inDocs ? docs.resolve("reliability.md") : Path.of("target", "reliability.md"), inDocs);
  }

  static List<Scenario> scenarios(Size z, boolean namespace) {
    Action nothing = (m, s) -> { };
    List<Scenario> list = new ArrayList<>();
    if (z.longRun()) {
      list.add(new Scenario("steady load, both datacenters", z.load(), z.at(), Duration.ZERO, nothing, nothing,
          "control run; 2 upstreams, 4 routes, upstream b limited to " + z.limitB() + "/s fleet-wide", false, true));
    }
    Action killMirror = (m, s) -> m.mirror.kill();
    Action restartMirror = (m, s) -> {
      m.mirror.start();
      m.awaitMirrorReady();
    };
    list.add(new Scenario("MirrorMaker 2 kill -9 + restart (dedup on)", z.load(), z.at(), z.restartAfter(), killMirror, restartMirror,
        "restarted " + z.restartAfter().toSeconds() + " s later; it copies again what followed its last offset flush", false, true));
    if (z.longRun()) {
      list.add(new Scenario("MirrorMaker 2 kill -9 + restart (dedup off)", z.load(), z.at(), z.restartAfter(), killMirror, restartMirror,
          "the same with delivery.dedup_window: 0 (both delivery instances restarted with it before, and back after)", false, false));
    }
    if (namespace) {
      list.add(new Scenario("WAN cut dc1 ↔ central (link down: connections hang)", z.loadFor(z.wanCut()), z.at(), z.wanCut(),
          (m, s) -> m.dc1.ns.cut(1), (m, s) -> m.dc1.ns.restore(1),
          "dc1's Kafka is in a network namespace; its WAN link (the mirror's) was down " + z.wanCut().toSeconds()
              + " s while its LAN (edge, bridges) kept working", false, true));
    }
    if (z.centralBrokers() >= 3) {
      list.add(new Scenario("central broker kill -9 (1 of 3, RF 3, min ISR 2)", z.load(), z.at(), z.load().minus(z.at()).minus(z.at()),
          (m, s) -> m.central.killBroker(1), (m, s) -> m.central.startBroker(1), "broker 1 of the central cluster down, then restarted",
          false, true));
    }
    if (z.longRun()) { // the single-site fault suite and CrashIntegrationTests kill delivery in every mvn verify
      list.add(new Scenario("delivery kill -9 + restart (1 of " + z.deliveries() + ")", z.load(), z.at(), z.restartAfter(),
          (m, s) -> m.deliveries.get(0).kill(), (m, s) -> {
            m.deliveries.get(0).start();
            m.awaitDeliveriesReady();
          }, "restarted " + z.restartAfter().toSeconds() + " s later on the same state dir; its requests in flight are sent again", false, true));
    }
    list.add(new Scenario("mirror gap: dc2's retention shrunk while the mirror is stopped", z.load(), z.at(), Duration.ZERO,
        MultiDcSuiteIntegrationTests::shrinkDc2WhileMirrorStopped, (m, s) -> { },
        "mirror stopped; dc2's topic retention set to 1 s until its log start passed what had been written; mirror restarted", true, true));
    return list;
  }

  /** Stops the mirror, lets dc2's retention delete what the mirror did not copy, restores it, restarts the mirror. */
  static void shrinkDc2WhileMirrorStopped(MultiDc m, Scenario s) throws Exception {
    m.mirror.stop();
    Pipeline.sleep(1000);
    try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, m.dc2.lan))) {
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
      for (int p = 0; p < 4; p++) {
        latest.put(new TopicPartition(MultiDc.TOPIC, p), OffsetSpec.latest());
        earliest.put(new TopicPartition(MultiDc.TOPIC, p), OffsetSpec.earliest());
      }
      var ends = admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS);
      ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, MultiDc.TOPIC);
      admin.incrementalAlterConfigs(Map.of(topic, List.of(new AlterConfigOp(new ConfigEntry("retention.ms", "1000"), AlterConfigOp.OpType.SET),
          new AlterConfigOp(new ConfigEntry("segment.ms", "100"), AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      boolean deleted = false;
      while (!deleted && System.nanoTime() < deadline) {
        Pipeline.sleep(500);
        var starts = admin.listOffsets(earliest).all().get(30, TimeUnit.SECONDS);
        deleted = ends.entrySet().stream().allMatch(e -> starts.get(e.getKey()).offset() >= e.getValue().offset());
      }
      admin.incrementalAlterConfigs(Map.of(topic, List.of(new AlterConfigOp(new ConfigEntry("retention.ms", ""), AlterConfigOp.OpType.DELETE),
          new AlterConfigOp(new ConfigEntry("segment.ms", ""), AlterConfigOp.OpType.DELETE)))).all().get(30, TimeUnit.SECONDS);
      if (!deleted) throw new IllegalStateException("dc2's retention did not delete the old segments within 60 s");
    }
    m.mirror.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (System.nanoTime() < deadline && !(m.metric(m.mirrorAdmin, MIRROR_GAP, "datacenter=\"dc2\"") > 0)) {
      Pipeline.sleep(500);
    }
  }

  private static void run(Size size, Path report, boolean intoDocs) throws Exception {
    String noNamespace = NetworkNamespace.unavailable();
    if (noNamespace != null && System.getenv("CI") != null) fail("CI must run the WAN cut (network namespace): " + noNamespace);
    boolean namespace = noNamespace == null;
    Instant started = Instant.now();
    List<Row> rows = new ArrayList<>();
    List<String> log = new ArrayList<>();
    String liveness;
    int maxB;
    double boundB;
    try (MultiDc m = MultiDc.start(size.centralBrokers(), size.bridgesPerDc(), size.deliveries(), namespace, size.limitB(), size.burstB())) {
      say(log, "multi-DC pipeline up in " + Duration.between(started, Instant.now()).toSeconds() + " s"
          + (namespace ? "" : " (no network namespace: " + noNamespace + "; the WAN cut is skipped)"));
      for (Scenario s : scenarios(size, namespace)) {
        if (!s.dedupOn()) m.restartDeliveries("0");
        rows.add(runScenario(m, s, size, log));
        if (!s.dedupOn()) m.restartDeliveries("1h");
      }
      liveness = m.liveness();
      List<Long> arrivals = new ArrayList<>();
      m.upstreamB.requests().stream().filter(SentryUpstream.Received::accepted).forEach(r -> arrivals.add(r.arrivedAt()));
      arrivals.sort(null);
      maxB = maxInWindow(arrivals, 1000);
      boundB = size.burstB() + size.limitB() * (1000 + LIMIT_SLACK_MS) / 1000.0 + 1;
      say(log, "upstream b (limit " + size.limitB() + "/s, burst " + size.burstB() + ", " + size.deliveries()
          + " delivery instances): at most " + maxB + " accepted in any 1 s window (bound " + String.format(Locale.ROOT, "%.1f", boundB)
          + "), " + arrivals.size() + " in all");
    }
    Duration took = Duration.between(started, Instant.now());
    write(report, markdown(size, rows, started, took, log, maxB, boundB, namespace, noNamespace), intoDocs);
    System.out.println("report written to " + report.toAbsolutePath());

    for (Row r : rows) {
      assertThat(r.acked()).as(r.scenario() + ": the edges acknowledged events").isPositive();
      assertThat(r.delivered() + r.deadLettered() + r.lost()).as(r.scenario() + ": every acknowledged event accounted for").isEqualTo(r.acked());
      assertThat(r.wrongPlace()).as(r.scenario() + ": delivered only to its own upstream and project, with the real key").isZero();
      if (!r.lossAllowed()) assertThat(r.lost()).as(r.scenario() + ": lost; " + liveness).isZero();
    }
    Row mm2 = rows.stream().filter(r -> r.scenario().startsWith("MirrorMaker 2 kill -9 + restart (dedup on)")).findFirst().orElseThrow();
    // 0.1 % of the events (the bound), but never below one: at the short size 0.1 % is under one event, and
    // one duplicate can come from delivery's own at-least-once resend, not from the mirror (CI saw 1 of 800 once).
    assertThat((double) mm2.duplicates()).as("duplicates at the upstream after the MM2 kill, dedup on: ≤ 0.1 % of "
        + mm2.acked() + " (at least 1)").isLessThanOrEqualTo(Math.max(1.0, mm2.acked() * 0.001));
    Row gap = rows.get(rows.size() - 1);
    assertThat(gap.lost()).as("the mirror gap lost events").isPositive();
    assertThat(gap.gapReported()).as("the mirror reports exactly the records lost to dc2's retention").isEqualTo((double) gap.lost());
    assertThat((double) maxB).as("upstream b's fleet-wide limit over any 1 s window, across all sources and instances")
        .isLessThanOrEqualTo(boundB);
  }

  static Row runScenario(MultiDc m, Scenario s, Size z, List<String> log) throws Exception {
    Ledger ledger = new Ledger();
    double[] droppedBefore = m.duplicatesDroppedPerInstance();
    say(log, "scenario " + s.name() + ": " + z.ratePerDc() + "/s per datacenter for " + s.load().toSeconds() + " s, fault at "
        + s.at().toSeconds() + " s for " + s.lasting().toSeconds() + " s");
    Throwable[] faultError = new Throwable[1];
    Thread fault = new Thread(() -> {
      try {
        Thread.sleep(s.at().toMillis());
        long t0 = System.nanoTime();
        ledger.faultActive.set(true);
        s.inject().run(m, s);
        long left = s.lasting().toMillis() - (System.nanoTime() - t0) / 1_000_000;
        boolean sawUnreachable = false;
        while (left > 0) {
          Thread.sleep(Math.min(left, 1000));
          left = s.lasting().toMillis() - (System.nanoTime() - t0) / 1_000_000;
          HttpResponse<String> ready = m.get(m.mirrorAdmin, "/readyz");
          if (ready != null && ready.body().contains("mirror.sources.dc1.bootstrap_servers")) sawUnreachable = true;
        }
        if (s.name().startsWith("WAN cut")) {
          ledger.notes.add(sawUnreachable ? "the mirror's /readyz named mirror.sources.dc1.bootstrap_servers as unreachable during the cut"
              : "the mirror's /readyz did NOT report dc1 unreachable during the cut");
        }
        s.undo().run(m, s);
        ledger.faultActive.set(false);
        say(log, "  " + s.name() + ": fault undone after " + (System.nanoTime() - t0) / 1_000_000 + " ms");
      } catch (Throwable e) {
        faultError[0] = e;
        say(log, "  " + s.name() + ": fault action failed: " + e);
      }
    }, "multidc-fault");
    fault.start();
    load(m, ledger, z.ratePerDc(), s.load());
    fault.join(TimeUnit.MINUTES.toMillis(6));
    if (fault.isAlive()) throw new IllegalStateException(s.name() + ": fault thread did not finish");
    if (faultError[0] != null) throw new IllegalStateException(s.name() + ": fault failed", faultError[0]);
    if (s.name().startsWith("mirror gap")) ledger.gapReported = m.metric(m.mirrorAdmin, MIRROR_GAP, "datacenter=\"dc2\"");
    long drainStart = System.nanoTime();
    Row row = count(m, s, ledger, z.drainTimeout(), droppedBefore);
    row = new Row(row.scenario(), row.sent(), row.acked(), row.delivered(), row.duplicates(), row.wrongPlace(), row.deadLettered(),
        row.lost(), row.rejected(), row.noAnswer(), row.dropped(), row.note(), row.lossAllowed(),
        Duration.ofNanos(System.nanoTime() - drainStart), row.gapReported());
    say(log, "  " + s.name() + ": sent=" + row.sent() + " acked=" + row.acked() + " delivered=" + row.delivered() + " duplicates="
        + row.duplicates() + " wrong-place=" + row.wrongPlace() + " dead-lettered=" + row.deadLettered() + " lost=" + row.lost()
        + " rejected=" + row.rejected() + " no-answer=" + row.noAnswer() + " dropped-by-dedup=" + fmt(row.dropped())
        + (Double.isNaN(row.gapReported()) ? "" : " gap-reported=" + fmt(row.gapReported())) + " drained in "
        + row.drainedIn().toMillis() + " ms; " + row.note());
    return row;
  }

  /** Waits (bounded) until every acknowledged id is delivered or dead-lettered, then counts. */
  static Row count(MultiDc m, Scenario s, Ledger ledger, Duration drainTimeout, double[] droppedBefore) {
    long deadline = System.nanoTime() + drainTimeout.toNanos();
    while (true) {
      Map<String, List<Got>> got = received(m);
      Map<String, String> dlq = FaultSuite.deadLetters(m.central.bootstrapServers(), MultiDc.TOPIC + ".dlq", l -> { });
      long outstanding = ledger.acked.keySet().stream().filter(id -> !got.containsKey(id) && !dlq.containsKey(id)).count();
      // the mirror counts a gap when it sees it: the datacenter watch before MM2 resumes, the tail as the copies arrive
      if (s.lossAllowed()) ledger.gapReported = m.metric(m.mirrorAdmin, MIRROR_GAP, "datacenter=\"dc2\"");
      // the gap scenario: what the mirror reports lost will never arrive; done when only that many are outstanding
      boolean onlyTheGap = s.lossAllowed() && ledger.gapReported > 0 && outstanding == (long) ledger.gapReported;
      if (outstanding == 0 || onlyTheGap || System.nanoTime() > deadline) {
        long delivered = 0;
        long duplicates = 0;
        long wrong = 0;
        long dead = 0;
        long lost = 0;
        for (String id : ledger.acked.keySet()) {
          List<Got> copies = got.get(id);
          if (copies != null) {
            delivered++;
            duplicates += copies.size() - 1;
            RouteSpec want = ledger.sent.get(id);
            for (Got g : copies) {
              boolean right = g.upstream().equals(want.upstream()) && g.request().path().startsWith("/api/" + want.id() + "/")
                  && want.key().equals(g.request().key());
              if (!right) wrong++;
            }
          } else if (dlq.containsKey(id)) {
            dead++;
          } else {
            lost++;
          }
        }
        StringBuilder note = new StringBuilder(s.note());
        ledger.notes.forEach(n -> note.append("; ").append(n));
        if (ledger.skipped.get() > 0) note.append("; ").append(ledger.skipped.get()).append(" sends skipped (generator at its in-flight cap)");
        if (ledger.ackedDc1DuringFault.get() > 0) note.append("; dc1 acknowledged ").append(ledger.ackedDc1DuringFault.get()).append(" during the fault");
        return new Row(s.name(), ledger.sent.size(), ledger.acked.size(), delivered, duplicates, wrong, dead, lost, ledger.rejected.get(),
            ledger.noAnswer.get(), MultiDc.delta(droppedBefore, m.duplicatesDroppedPerInstance()), note.toString(), s.lossAllowed(),
            Duration.ZERO, ledger.gapReported);
      }
      Pipeline.sleep(1000);
    }
  }

  /** An accepted request and the upstream that accepted it. */
  record Got(String upstream, SentryUpstream.Received request) {}

  /** Accepted requests of both upstreams by event id. */
  static Map<String, List<Got>> received(MultiDc m) {
    Map<String, List<Got>> out = new HashMap<>();
    for (String name : List.of("a", "b")) {
      for (SentryUpstream.Received r : (name.equals("a") ? m.upstreamA : m.upstreamB).accepted()) {
        if (r.eventId() != null) out.computeIfAbsent(r.eventId(), k -> new ArrayList<>()).add(new Got(name, r));
      }
    }
    return out;
  }

  /** {@code rate} events/s into each datacenter's edge for {@code duration}, alternating datacenters and routes. */
  static void load(MultiDc m, Ledger ledger, int rate, Duration duration) {
    ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "multidc-load");
      t.setDaemon(true);
      return t;
    });
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).executor(executor).build();
    Semaphore inFlight = new Semaphore(512);
    try {
      int total = (int) Math.max(1, 2L * rate * duration.toMillis() / 1000);
      long interval = 1_000_000_000L / (2L * rate);
      long start = System.nanoTime();
      for (int i = 0; i < total; i++) {
        long wait = start + i * interval - System.nanoTime();
        if (wait > 0) LockSupport.parkNanos(wait);
        MultiDc.Dc dc = i % 2 == 0 ? m.dc1 : m.dc2;
        RouteSpec route = MultiDc.ROUTES.get((i / 2) % MultiDc.ROUTES.size());
        if (!inFlight.tryAcquire()) {
          ledger.skipped.incrementAndGet();
          continue;
        }
        String id = LoadGenerator.newId();
        ledger.sent.put(id, route);
        ledger.dcOf.put(id, dc.name);
        HttpRequest request = HttpRequest.newBuilder(dc.edgeUri("/api/1/envelope/")).timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/x-sentry-envelope")
            .header("X-Sentry-Auth", "Sentry sentry_version=7, sentry_client=spillway-proof/1.0, sentry_key=" + route.alias())
            .POST(HttpRequest.BodyPublishers.ofByteArray(LoadGenerator.envelope(id))).build();
        boolean dc1 = dc == m.dc1;
        client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((r, err) -> {
          inFlight.release();
          if (err != null) {
            ledger.noAnswer.incrementAndGet();
          } else if (r.statusCode() == 200 && r.body().contains(id)) {
            ledger.acked.put(id, true);
            if (dc1 && ledger.faultActive.get()) ledger.ackedDc1DuringFault.incrementAndGet();
          } else {
            ledger.rejected.incrementAndGet();
          }
        });
      }
      inFlight.tryAcquire(512, 30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      executor.shutdownNow();
    }
  }

  static int maxInWindow(List<Long> sorted, long window) {
    int max = 0;
    int j = 0;
    for (int i = 0; i < sorted.size(); i++) {
      while (sorted.get(i) - sorted.get(j) >= window) j++;
      max = Math.max(max, i - j + 1);
    }
    return max;
  }

  static String markdown(Size z, List<Row> rows, Instant started, Duration took, List<String> log, int maxB, double boundB,
      boolean namespace, String noNamespace) {
    StringBuilder b = new StringBuilder();
    b.append(START_MARK).append("\n## Multi-DC\n\n");
    b.append("_Generated by `proof/src/test/java/io/spillway/proof/MultiDcSuiteIntegrationTests.java`; do not edit by hand._\n\n");
    b.append("- Size: **").append(z.name()).append("** — ").append(z.ratePerDc()).append(" events/s into each of two datacenters' edges ")
        .append("(4 routes on 2 upstreams); ").append(z.load().toSeconds()).append(" s of load per scenario, fault at ").append(z.at().toSeconds())
        .append(" s; WAN cut ").append(z.wanCut().toSeconds()).append(" s; central cluster of ").append(z.centralBrokers()).append(" broker(s)")
        .append(z.centralBrokers() >= 3 ? " (RF 3, min ISR 2)" : "").append("; ").append(z.bridgesPerDc()).append(" bridge(s) per datacenter, ")
        .append(z.deliveries()).append(" delivery instances; upstream b limited to ").append(z.limitB()).append("/s (burst ").append(z.burstB())
        .append(") fleet-wide.\n");
        b.append("- Command: `proof/run.sh ").append(z.name()).append("` · run ").append(started).append(", took ").append(took.toMinutes())
        .append(" min ").append(took.toSecondsPart()).append(" s on a ").append(Runtime.getRuntime().availableProcessors()).append("-core machine")
        .append(namespace ? "" : "; **WAN cut not run**: " + noNamespace).append(".\n\n");
    b.append("Each datacenter: Redis (AOF always), a KRaft Kafka, edge and bridge(s), each its own process; dc1's Kafka runs in a Linux ")
        .append("network namespace with a LAN link (its edge side) and a WAN link (the mirror's). Central: Kafka, `spillway mirror` ")
        .append("(MirrorMaker 2), delivery instances, a Redis for the fleet-wide limits; two Sentry-like upstreams. *Delivered* = acknowledged ")
        .append("ids accepted by their own upstream and project with the real key (*wrong place* counts any other); *duplicates* = extra ")
        .append("accepted copies at the upstreams; *dropped* = copies delivery's de-duplication dropped; *lost* = acknowledged − delivered ")
        .append("− dead-lettered.\n\n");
    b.append("| scenario | sent | acknowledged | delivered | duplicates at upstream | dropped by dedup | wrong place | dead-lettered | lost | notes |\n");
    b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (Row r : rows) {
      String note = r.note() + (Double.isNaN(r.gapReported()) ? "" : "; the mirror reported a gap of " + fmt(r.gapReported()) + " records")
          + (r.rejected() + r.noAnswer() > 0 ? "; refused " + r.rejected() + ", no answer " + r.noAnswer() : "")
          + "; drained in " + String.format(Locale.ROOT, "%.1f", r.drainedIn().toMillis() / 1000.0) + " s";
      b.append("| ").append(r.scenario()).append(" | ").append(r.sent()).append(" | ").append(r.acked()).append(" | ").append(r.delivered())
          .append(" | ").append(r.duplicates()).append(" | ").append(fmt(r.dropped())).append(" | ").append(r.wrongPlace()).append(" | ")
          .append(r.deadLettered()).append(" | ").append(r.lost()).append(r.lossAllowed() ? " (the gap)" : "").append(" | ")
          .append(note.replace("|", "/")).append(" |\n");
    }
    b.append("\nFleet-wide limit: upstream b (").append(z.limitB()).append("/s, burst ").append(z.burstB()).append(") received at most **")
        .append(maxB).append("** events in any 1 s window across both datacenters' copies and both delivery instances (bound ")
        .append(String.format(Locale.ROOT, "%.1f", boundB)).append(" = burst + rate × (1 s + token TTL + jitter) + 1)")
        .append(maxB > boundB ? ": **over the bound — this run failed on it.**\n" : ".\n");
    b.append("\n### Multi-DC run log\n\n```\n");
    log.forEach(l -> b.append(l).append('\n'));
    b.append("```\n").append(END_MARK).append('\n');
    return b.toString();
  }

  /** Writes the section; into docs/reliability.md it replaces the previous Multi-DC section and keeps the rest. */
  static void write(Path report, String section, boolean intoDocs) throws Exception {
    Files.createDirectories(report.toAbsolutePath().getParent());
    if (!intoDocs || !Files.exists(report)) {
      Files.writeString(report, section);
      return;
    }
    String old = Files.readString(report, StandardCharsets.UTF_8);
    int a = old.indexOf(START_MARK);
    int e = old.indexOf(END_MARK);
    String rest = a >= 0 && e > a ? old.substring(0, a) + old.substring(e + END_MARK.length()).stripLeading() : old;
    Files.writeString(report, rest.stripTrailing() + "\n\n" + section);
  }

  /** The Multi-DC section of an existing report (kept when the fault suite rewrites the file), or empty. */
  static String section(Path report) {
    try {
      if (!Files.exists(report)) return "";
      String s = Files.readString(report, StandardCharsets.UTF_8);
      int a = s.indexOf(START_MARK);
      int e = s.indexOf(END_MARK);
      return a >= 0 && e > a ? "\n" + s.substring(a, e + END_MARK.length()) + "\n" : "";
    } catch (Exception e) {
      return "";
    }
  }

  static String fmt(double v) {
    return Double.isNaN(v) ? "–" : v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.1f", v);
  }

  static void say(List<String> log, String line) {
    String l = Instant.now() + " " + line;
    synchronized (log) {
      log.add(l);
    }
    System.out.println(l);
    try {
      Files.writeString(Path.of("target", "proof-progress.log"), l + "\n", java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
    } catch (java.io.IOException ignored) {
      // progress only
    }
  }
}
