package io.spillway.proof;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sentry.DataCategory;
import io.sentry.Sentry;
import io.spillway.schemas.Route;
import io.spillway.schemas.config.RouteTable;
import io.spillway.testkit.Npm;
import io.spillway.testkit.SentryUpstream;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 12, acceptance 1: real SDKs — sentry-java 8 in this JVM and {@code @sentry/node} 11 in a node
 * process — send to the edge of a {@link Pipeline} (every service its own process) on a route copied
 * to a second upstream: {@code main/shop} (upstream A) {@code copy_to: ["copy/shop"]} (upstream B), each
 * with its own key and project id.
 *
 * <p>First a batch with both up, so the lag of a freshly started pipeline is printed on its own. Then A
 * answers 503 while the SDKs send for {@link #OUTAGE} and stays down until B has every event:
 * B not being held back by A is shown by cause, not by a clock (if the copies waited for each other,
 * B would never get them and the test would time out). B's lag (SDK capture → B's receipt) is measured
 * and printed, never asserted. Still with A down, delivery is killed with SIGKILL and restarted, and
 * the SDKs send again; then A comes back and must get all of its backlog; last the SDKs send once
 * more with both up, for the lag with nothing down beside it. Lost = 0 at both; duplicates are
 * counted. {@code -Dspillway.copy.outage=120s} runs the two minutes (default 10 s).
 *
 * <p>Beside it, {@code copy_to_sample_rate: 0.1}: 10,000 events (plain HTTP envelopes, the fast path)
 * on {@code main/bulk}, copied to {@code copy/sampled}, which must get exactly the events its share
 * selects by event id — 10 % ± 2 %.
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class CopiedRouteIntegrationTests {
  static final String NODE_SDK = "@sentry/node@11.12.0";
  /** How long at least upstream A answers 503 while the SDKs send ({@code -Dspillway.copy.outage=120s}: the run). */
  static final Duration OUTAGE = Duration.ofSeconds(Long.parseLong(System.getProperty("spillway.copy.outage", "10s").replaceAll("s$", "")));
  /** Events per second each SDK sends during the outage. */
  static final int RATE = Integer.getInteger("spillway.copy.rate", 10);
  static final int SAMPLED_OF = 10_000;

  static Pipeline pipeline;
  static Path nodeDir;

  @BeforeAll
  static void start() throws Exception {
    // npm install (first run only) while the pipeline starts
    CompletableFuture<Path> sdk = CompletableFuture.supplyAsync(() -> Npm.install(Path.of("target", "node-sdk").toAbsolutePath(), NODE_SDK));
    pipeline = Pipeline.start(1);
    nodeDir = sdk.join();
    try (InputStream script = CopiedRouteIntegrationTests.class.getResourceAsStream("/node/send-events.cjs")) {
      Files.copy(script, nodeDir.resolve("send-events.cjs"), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  @AfterAll
  static void stop() {
    if (pipeline != null) pipeline.close();
  }

  /** What one SDK run was told: event id → when it was captured (epoch ms) for each event the edge accepted; how many it was not. */
  record Sent(String sdk, Map<String, Long> capturedAt, long notAccepted) {}

  @Test
  void realSdksReachBothDestinationsWhileOneIsDownAndAcrossADeliveryKill() throws Exception {
    SentryUpstream a = pipeline.upstream;
    SentryUpstream b = pipeline.copy;
    String dsn = "http://" + Pipeline.SHOP_ALIAS + "@127.0.0.1:" + pipeline.edgePort + "/" + Pipeline.SHOP_ID;
    int perSdk = (int) (RATE * OUTAGE.toSeconds());
    long interval = 1000L / RATE;
    Map<String, Long> owed = new HashMap<>();
    String figures;
    // 0. Both up first: the lag of a freshly started pipeline (JIT, Streams' first rebalance) is not the
    // lag that A being down causes; printed on its own.
    List<Sent> warm = sendWithBoth(dsn, 2 * RATE, interval, "warm-up");
    Map<String, Long> zeroth = captured(warm);
    await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100))
        .until(() -> firstArrivals(a).keySet().containsAll(zeroth.keySet()) && firstArrivals(b).keySet().containsAll(zeroth.keySet()));
    String lagWarm = "B " + lag(zeroth, firstArrivals(b)) + "; A " + lag(zeroth, firstArrivals(a));
    a.failWhen(r -> true, 503, "upstream A is down");
    long downAt = System.nanoTime();
    try {
      // 1. Both SDKs send for the outage; B gets every event while A answers 503.
      List<Sent> during = sendWithBoth(dsn, perSdk, interval, "outage");
      Map<String, Long> first = captured(during);
      await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100)).until(() -> firstArrivals(b).keySet().containsAll(first.keySet()));
      Map<String, Long> atB = firstArrivals(b);
      String lag = lag(first, atB);
      assertThat(firstArrivals(a).keySet()).as("A accepted nothing while down").doesNotContainAnyElementsOf(first.keySet());

      // 2. Delivery SIGKILLed while A's backlog waits in its pending store; restarted; the SDKs send again.
      pipeline.delivery.kill();
      pipeline.delivery.start();
      pipeline.awaitDeliveryReady();
      List<Sent> after = sendWithBoth(dsn, 2 * RATE, interval, "after-restart");
      Map<String, Long> second = captured(after);
      await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100)).until(() -> firstArrivals(b).keySet().containsAll(second.keySet()));
      String lagAfter = lag(second, firstArrivals(b));
      owed.putAll(first);
      owed.putAll(second);
      assertThat(firstArrivals(a).keySet()).as("A accepted nothing while down").doesNotContainAnyElementsOf(owed.keySet());
      long down = (System.nanoTime() - downAt) / 1_000_000;

      // 3. A comes back and gets all of its backlog.
      long a503 = a.requests().stream().filter(r -> r.status() == 503).count();
      a.reset();
      long upAt = System.nanoTime();
      await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(200)).until(() -> firstArrivals(a).keySet().containsAll(owed.keySet()));
      long drained = (System.nanoTime() - upAt) / 1_000_000;

      // 4. Both up: the same SDKs again, for the lag with nothing down beside the lag above (printed only).
      List<Sent> calm = sendWithBoth(dsn, 2 * RATE, interval, "both-up");
      Map<String, Long> third = captured(calm);
      await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100))
          .until(() -> firstArrivals(a).keySet().containsAll(third.keySet()) && firstArrivals(b).keySet().containsAll(third.keySet()));
      String lagCalm = "B " + lag(third, firstArrivals(b)) + "; A " + lag(third, firstArrivals(a));
      owed.putAll(third);
      owed.putAll(zeroth);
      figures = String.format(Locale.ROOT, "copied route, real SDKs (sentry-java 8.63.0 + @sentry/node 11.12.0, %d events/s each): "
              + "first %d with both up (a fresh pipeline): lag %s; "
              + "%d events while A answered 503 (%.1f s down in all, %d 503 answers), %d after delivery's kill -9 and restart; "
              + "B lag (SDK capture -> B received) %s; after the restart %s; A got all %d of its backlog %.1f s after it came back; "
              + "then %d more with both up: lag %s; duplicates A=%d B=%d over all %d; load average %.1f",
          RATE, zeroth.size(), lagWarm, first.size(), down / 1000.0, a503, second.size(), lag, lagAfter,
          first.size() + second.size(), drained / 1000.0,
          third.size(), lagCalm,
          duplicates(a, owed.keySet()), duplicates(b, owed.keySet()), owed.size(),
          java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    } finally {
      a.reset();
    }
    System.out.println(figures);
    Files.writeString(Path.of("target", "copied-route.txt"), Instant.now() + " outage " + OUTAGE.toSeconds() + " s: " + figures + "\n",
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);

    // lost = 0 at both destinations, each reached with its own project id and key
    assertThat(firstArrivals(a).keySet()).as("lost at A").containsAll(owed.keySet());
    assertThat(firstArrivals(b).keySet()).as("lost at B").containsAll(owed.keySet());
    assertThat(of(a, owed.keySet())).allSatisfy(r -> {
      assertThat(r.status()).as(r.path() + " " + r.error()).isIn(200, 503);
      assertThat(r.path()).isEqualTo("/api/" + Pipeline.SHOP_ID + "/envelope/");
      assertThat(r.key()).isEqualTo(Pipeline.SHOP_KEY);
    });
    assertThat(of(b, owed.keySet())).allSatisfy(r -> {
      assertThat(r.status()).as(r.path() + " " + r.error()).isEqualTo(200);
      assertThat(r.path()).isEqualTo("/api/" + Pipeline.COPY_SHOP_ID + "/envelope/");
      assertThat(r.key()).isEqualTo(Pipeline.COPY_SHOP_KEY);
    });
    assertThat(b.requests()).as("B refused nothing").allSatisfy(r -> assertThat(r.status()).as(r.path() + " " + r.error()).isEqualTo(200));
  }

  @Test
  void aSampledCopyTakesItsShareOfTenThousandEventsByEventId() throws Exception {
    Ledger ledger = new Ledger("sampled copy");
    try (LoadGenerator load = new LoadGenerator(pipeline)) {
      // the edge may refuse a request now and then on a busy machine (a 503 is "not stored"): send until 10,000 are acknowledged
      while (ledger.acked.size() < SAMPLED_OF) load.sendAll(ledger, Pipeline.BULK_ALIAS, SAMPLED_OF - ledger.acked.size());
    }
    Set<String> acked = Set.copyOf(ledger.acked);
    RouteTable.Destination sampled = new RouteTable.Destination(new Route("copy", "sampled"), Pipeline.SAMPLE_RATE);
    Set<String> selected = acked.stream().filter(sampled::takes).collect(Collectors.toSet());
    String bulkPath = "/api/" + Pipeline.BULK_ID + "/envelope/";
    String sampledPath = "/api/" + Pipeline.SAMPLED_ID + "/envelope/";
    Function<SentryUpstream, Set<String>> at = u -> u.accepted().stream().filter(r -> acked.contains(r.eventId()))
        .map(SentryUpstream.Received::eventId).collect(Collectors.toSet());
    await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500))
        .until(() -> at.apply(pipeline.upstream).containsAll(acked) && at.apply(pipeline.copy).containsAll(selected));

    Set<String> copies = at.apply(pipeline.copy);
    System.out.printf(Locale.ROOT, "copy_to_sample_rate %.1f: the sampled copy took %d of %d events (%.2f %%)%n", Pipeline.SAMPLE_RATE,
        copies.size(), acked.size(), 100.0 * copies.size() / acked.size());
    assertThat(copies).as("exactly the events the share selects by event id").isEqualTo(selected);
    assertThat(copies.size()).as("10 %% ± 2 %% of %d", SAMPLED_OF).isBetween(800, 1200);
    assertThat(of(pipeline.copy, acked)).allSatisfy(r -> {
      assertThat(r.path()).isEqualTo(sampledPath);
      assertThat(r.key()).isEqualTo(Pipeline.SAMPLED_KEY);
    });
    assertThat(of(pipeline.upstream, acked)).allSatisfy(r -> assertThat(r.path()).isEqualTo(bulkPath));
  }

  /** Both SDKs at once: {@code n} events each, one every {@code intervalMs}. */
  static List<Sent> sendWithBoth(String dsn, int n, long intervalMs, String label) {
    CompletableFuture<Sent> node = CompletableFuture.supplyAsync(() -> sendWithNode(dsn, n, intervalMs, label));
    Sent java = sendWithJava(dsn, n, intervalMs, label);
    List<Sent> out = List.of(java, node.join());
    for (Sent s : out) {
      assertThat(s.notAccepted()).as(s.sdk() + ": events the edge did not accept").isZero();
      assertThat(s.capturedAt()).as(s.sdk() + ": events accepted").hasSize(n);
    }
    return out;
  }

  /** sentry-java 8: {@code n} messages; the SDK reports every event it gave up on (OnDiscard), none expected. */
  static Sent sendWithJava(String dsn, int n, long intervalMs, String label) {
    AtomicLong discarded = new AtomicLong();
    Map<String, Long> at = new LinkedHashMap<>();
    Sentry.init(o -> {
      o.setDsn(dsn);
      o.setMaxQueueSize(Math.max(1000, n)); // the default queue of 30 drops bursts (sentry-protocol.md §7.1)
      o.setEnableUncaughtExceptionHandler(false);
      o.setOnDiscard((reason, category, count) -> {
        if (category == DataCategory.Error) discarded.addAndGet(count);
      });
    });
    try {
      long start = System.nanoTime();
      for (int i = 0; i < n; i++) {
        long wait = start + i * intervalMs * 1_000_000 - System.nanoTime();
        if (wait > 0) LockSupport.parkNanos(wait);
        long t = System.currentTimeMillis();
        at.put(Sentry.captureMessage("copied route " + label + " java message " + i).toString(), t);
      }
      Sentry.flush(30_000);
    } finally {
      Sentry.close();
    }
    return new Sent("sentry-java", at, discarded.get());
  }

  /** @sentry/node: {@code n} messages from a node process; it prints each event's capture time and the edge's answer to it. */
  static Sent sendWithNode(String dsn, int n, long intervalMs, String label) {
    try {
      Process p = new ProcessBuilder("node", "send-events.cjs", dsn, String.valueOf(n), String.valueOf(intervalMs), label)
          .directory(nodeDir.toFile()).redirectErrorStream(true).start();
      Map<String, Long> captured = new LinkedHashMap<>();
      Map<String, String> answered = new HashMap<>();
      List<String> other = new ArrayList<>();
      try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = out.readLine()) != null; ) {
          String[] f = line.split(" ");
          if (f.length == 3 && f[0].equals("captured")) captured.put(f[1], Long.parseLong(f[2]));
          else if (f.length == 3 && f[0].equals("answered")) answered.put(f[1], f[2]);
          else other.add(line);
        }
      }
      if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0 || !other.contains("closed true")) {
        p.destroyForcibly();
        throw new IllegalStateException("@sentry/node did not finish cleanly: " + other);
      }
      Map<String, Long> accepted = new LinkedHashMap<>();
      captured.forEach((id, t) -> {
        if ("200".equals(answered.get(id))) accepted.put(id, t);
      });
      return new Sent("@sentry/node", accepted, captured.size() - accepted.size());
    } catch (java.io.IOException e) {
      throw new IllegalStateException("cannot run node (node and npm are needed for this test: .ci/run installs them)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static Map<String, Long> captured(List<Sent> sent) {
    Map<String, Long> out = new HashMap<>();
    for (Sent s : sent) out.putAll(s.capturedAt());
    return out;
  }

  /** Event id → when the upstream first accepted it (epoch ms). */
  static Map<String, Long> firstArrivals(SentryUpstream u) {
    Map<String, Long> out = new HashMap<>();
    for (SentryUpstream.Received r : u.accepted()) {
      if (r.eventId() != null) out.merge(r.eventId(), r.arrivedAt(), Math::min);
    }
    return out;
  }

  /** The upstream's requests for these event ids. */
  static List<SentryUpstream.Received> of(SentryUpstream u, Set<String> ids) {
    return u.requests().stream().filter(r -> ids.contains(r.eventId())).toList();
  }

  /** Accepted deliveries of these ids beyond the first. */
  static long duplicates(SentryUpstream u, Set<String> ids) {
    List<String> accepted = u.acceptedEventIds().stream().filter(ids::contains).toList();
    return accepted.size() - new HashSet<>(accepted).size();
  }

  /** p50/p99/max of (arrival − capture) over {@code captured}, in seconds. */
  static String lag(Map<String, Long> captured, Map<String, Long> arrived) {
    long[] ms = captured.entrySet().stream().mapToLong(e -> arrived.get(e.getKey()) - e.getValue()).sorted().toArray();
    return String.format(Locale.ROOT, "p50 %.2f s, p99 %.2f s, max %.2f s over %d events", pct(ms, 0.50) / 1000.0,
        pct(ms, 0.99) / 1000.0, ms[ms.length - 1] / 1000.0, ms.length);
  }

  private static long pct(long[] sorted, double q) {
    return sorted[Math.max(0, (int) Math.ceil(q * sorted.length) - 1)];
  }
}
