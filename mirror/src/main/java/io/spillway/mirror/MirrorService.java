package io.spillway.mirror;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spillway.kafka.KafkaClients;
import io.spillway.runtime.AdminServer;
import io.spillway.runtime.CheckResult;
import io.spillway.runtime.Component;
import io.spillway.runtime.Metrics;
import io.spillway.runtime.ServiceMain;
import io.spillway.runtime.SpillwayMetric;
import io.spillway.runtime.status.StatusPage;
import io.spillway.schemas.config.MirrorConfig;
import io.spillway.schemas.config.SpillwayConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.connect.mirror.MirrorMaker;
import org.apache.kafka.connect.mirror.SourceAndTarget;
import org.apache.kafka.connect.runtime.rest.entities.ConnectorStateInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code spillway mirror}: runs Kafka MirrorMaker 2 in this process (dedicated mode, targeting the
 * central cluster only) for every datacenter under {@code mirror.sources}, copying its
 * {@code kafka.topic} to {@code <dc>.<topic>} on {@code kafka.bootstrap_servers}, and watches it:
 * lag per datacenter (records, and the age of the oldest record not copied yet) and the mirror gap
 * (records a datacenter's retention deleted before they were copied). Admin port
 * {@code mirror.admin}: {@code /healthz}, {@code /readyz}, {@code /metrics}, {@code /status}.
 * See {@code mirror/README.md} for the settings it gives MM2 and why.
 */
public final class MirrorService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MirrorService.class);
  /** How often each datacenter is looked at. */
  static final Duration WATCH_EVERY = Duration.ofSeconds(2);
  /** How long start waits for the central cluster to answer before it gives up (generous: a loaded host, a broker starting). */
  static final Duration CENTRAL_TIMEOUT = Duration.ofSeconds(45);
  /** Between two calls to a central cluster that has not answered yet. */
  private static final Duration RETRY_PAUSE = Duration.ofMillis(500);

  private final SpillwayConfig config;
  private final Admin central;
  private final GapLedger gaps = new GapLedger();
  private final CopyTail tail;
  private final List<DatacenterWatch> watches = new ArrayList<>();
  private final ScheduledExecutorService scheduler;
  private final AdminServer admin;
  private final MirrorMaker mirrorMaker;
  private final AtomicBoolean closed = new AtomicBoolean();

  private MirrorService(SpillwayConfig config, LongSupplier clock, Duration centralTimeout) {
    this.config = config;
    MirrorConfig mirror = config.mirror();
    Map<String, String> remote = new LinkedHashMap<>();
    mirror.sources().keySet().forEach(dc -> remote.put(dc, MirrorConfig.remoteTopic(dc, config.kafka().topic())));

    this.central = Admin.create(DatacenterWatch.adminProperties(config.kafka(), "spillway-mirror-central"));
    awaitCentral(central, config.kafka().bootstrapServers(), centralTimeout);

    String instance = SpillwayConfig.hostname("mirror") + "-" + ProcessHandle.current().pid();
    PrometheusMeterRegistry registry = Metrics.registry("mirror", instance);
    this.tail = new CopyTail(remote, config.kafka(), gaps, clock);
    for (MirrorConfig.Source s : mirror.sources().values()) {
      watches.add(new DatacenterWatch(config, s, central, tail.copies(s.name()), gaps, clock));
    }
    this.scheduler = Executors.newScheduledThreadPool(watches.size(), ServiceMain.daemonThreads("spillway-mirror-watch"));
    this.admin = new AdminServer(mirror.admin(), registry).route("/status", StatusPage.forConfig(config));
    Map<String, String> settings = MirrorSettings.of(config);
    log.info("MirrorMaker 2 settings: {}", MirrorSettings.redacted(settings));
    try {
      this.mirrorMaker = new MirrorMaker(settings, List.of(MirrorSettings.CENTRAL));
    } catch (RuntimeException e) {
      tail.close();
      watches.forEach(DatacenterWatch::close);
      central.close(Duration.ofSeconds(1));
      scheduler.shutdownNow();
      throw new IllegalArgumentException("mirror: MirrorMaker 2 refused the settings (check mirror.properties): " + e.getMessage(), e);
    }
    bindMetrics(registry);
    registerChecks();
    admin.start();
    tail.start();
    for (DatacenterWatch w : watches) {
      scheduler.scheduleWithFixedDelay(w::check, 0, WATCH_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }
    mirrorMaker.start();
  }

  /**
   * Asks the central cluster until it answers or {@code timeout} has passed. One call gives up after
   * the admin client's own timeout ({@link DatacenterWatch#CALL_TIMEOUT}); a mirror restarted on a
   * loaded host, or beside a broker that is starting, needs more than one call.
   */
  private static void awaitCentral(Admin central, String bootstrapServers, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        central.describeCluster().nodes().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        return;
      } catch (Exception e) {
        Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
        boolean again = cause instanceof org.apache.kafka.common.errors.RetriableException && System.nanoTime() < deadline;
        if (again) {
          log.warn("kafka.bootstrap_servers ({}): the central cluster has not answered yet ({}); asking again",
              bootstrapServers, KafkaClients.describe(cause));
          // a call that failed at once (not after its own timeout) is not repeated in a tight loop
          LockSupport.parkNanos(Math.min(RETRY_PAUSE.toNanos(), Math.max(0, deadline - System.nanoTime())));
          continue;
        }
        central.close(Duration.ofSeconds(1));
        if (e instanceof InterruptedException) Thread.currentThread().interrupt();
        throw new IllegalStateException("kafka.bootstrap_servers (" + bootstrapServers + "): the central cluster did "
            + "not answer within " + timeout.toSeconds() + " s (" + KafkaClients.describe(cause) + ")");
      }
    }
  }

  /** Starts the mirror; fails (naming {@code kafka.bootstrap_servers}) when the central cluster does not answer. */
  public static MirrorService start(SpillwayConfig config) {
    return start(config, System::currentTimeMillis);
  }

  static MirrorService start(SpillwayConfig config, LongSupplier clock) {
    return start(config, clock, CENTRAL_TIMEOUT);
  }

  static MirrorService start(SpillwayConfig config, LongSupplier clock, Duration centralTimeout) {
    if (config == null) throw new NullPointerException("config == null");
    if (!config.mirror().enabled()) {
      throw new IllegalArgumentException("mirror.sources: no datacenter to mirror (a central config lists each datacenter's "
          + "Kafka cluster under mirror.sources)");
    }
    return new MirrorService(config, clock, centralTimeout);
  }

  public int adminPort() {
    return admin.port();
  }

  /**
   * Waits (at most {@code timeout}) for the first look at every datacenter and returns one line per
   * datacenter that has a problem (unreachable, topic missing), each naming its key; empty when all
   * are fine. The mirror keeps trying the others meanwhile.
   */
  public List<String> firstLook(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline && !watches.stream().allMatch(DatacenterWatch::checked)) sleep(100);
    List<String> problems = new ArrayList<>();
    for (DatacenterWatch w : watches) {
      String p = w.state().problem();
      if (!w.checked()) problems.add("mirror.sources." + w.datacenter() + ".bootstrap_servers: no answer within " + timeout.toSeconds() + " s");
      else if (p != null) problems.add(p);
    }
    return problems;
  }

  private void bindMetrics(PrometheusMeterRegistry registry) {
    for (DatacenterWatch w : watches) {
      String dc = w.datacenter();
      SpillwayMetric.MIRROR_LAG_RECORDS.gauge(w, x -> x.state().lagRecords(), dc).register(registry);
      SpillwayMetric.MIRROR_LAG_SECONDS.gauge(w, x -> x.state().lagSeconds(), dc).register(registry);
      SpillwayMetric.MIRROR_SOURCE_UP.gauge(w, x -> x.state().reachable() && x.state().topicExists() ? 1 : 0, dc).register(registry);
      SpillwayMetric.MIRROR_RUNNING.gauge(this, x -> x.running(dc) == null ? 1 : 0, dc).register(registry);
      SpillwayMetric.MIRROR_GAP.functionCounter(gaps, g -> g.total(dc), dc).register(registry);
      CopyTail.Copies copies = tail.copies(dc);
      SpillwayMetric.MIRROR_RECORDS.functionCounter(copies, c -> c.records.get(), dc).register(registry);
    }
  }

  private void registerChecks() {
    admin.register(component("mirrormaker", () -> {
      List<String> problems = new ArrayList<>();
      for (DatacenterWatch w : watches) {
        String p = running(w.datacenter());
        if (p != null) problems.add(w.datacenter() + ": " + p);
      }
      String tailProblem = tail.problem();
      if (tailProblem != null && !tailProblem.equals("not started")) problems.add(tailProblem);
      return problems.isEmpty() ? CheckResult.OK : CheckResult.failed(String.join("; ", problems));
    }));
    for (DatacenterWatch w : watches) {
      admin.register(component("source " + w.datacenter(), () -> {
        String p = w.state().problem();
        return p == null ? CheckResult.OK : CheckResult.failed(p);
      }));
      admin.register(component("gap " + w.datacenter(), () -> {
        long lost = gaps.total(w.datacenter());
        if (lost == 0) return CheckResult.OK;
        List<GapLedger.Gap> recent = gaps.recent(w.datacenter());
        GapLedger.Gap last = recent.get(recent.size() - 1);
        return CheckResult.failed("MIRROR GAP: " + lost + " records of " + w.datacenter() + " were deleted by its retention before "
            + "they were copied (lost to the central site; last: partition " + last.partition() + ", offsets " + last.from() + ".."
            + (last.to() - 1) + ", " + Instant.ofEpochMilli(last.detectedAtMillis()) + "). Size the datacenter's retention above the "
            + "longest outage (docs/multi-dc.md); this stays until the mirror restarts");
      }));
    }
  }

  /** Null while MM2's connector and tasks for a datacenter run; otherwise what is wrong. */
  String running(String datacenter) {
    ConnectorStateInfo info;
    try {
      info = mirrorMaker.connectorStatus(new SourceAndTarget(datacenter, MirrorSettings.CENTRAL), MirrorSettings.SOURCE_CONNECTOR);
    } catch (RuntimeException e) {
      return "MirrorMaker 2 is starting (" + e.getClass().getSimpleName() + ")";
    }
    if (info == null || info.connector() == null) return "MirrorMaker 2 is starting";
    if (!"RUNNING".equals(info.connector().state())) return "connector " + info.connector().state() + firstLine(info.connector().trace());
    for (ConnectorStateInfo.TaskState t : info.tasks()) {
      if (!"RUNNING".equals(t.state())) return "task " + t.id() + " " + t.state() + firstLine(t.trace());
    }
    return null;
  }

  private static String firstLine(String trace) {
    if (trace == null || trace.isBlank()) return "";
    String line = trace.lines().findFirst().orElse("");
    return ": " + (line.length() > 300 ? line.substring(0, 300) : line);
  }

  private static Component component(String name, java.util.function.Supplier<CheckResult> check) {
    return new Component() {
      @Override public String name() { return name; }
      @Override public CheckResult check() { return check.get(); }
    };
  }

  /** Stops MirrorMaker 2 (its tasks commit what they copied), then the watches and the admin port. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) return;
    try {
      mirrorMaker.stop();
    } catch (RuntimeException e) {
      log.warn("stopping MirrorMaker 2: {}", e.toString());
    }
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    tail.close();
    watches.forEach(DatacenterWatch::close);
    central.close(Duration.ofSeconds(2));
    admin.close();
  }

  /** {@code --config FILE}; runs until SIGTERM. */
  public static void main(String[] args) throws InterruptedException {
    MirrorService service = start(ServiceMain.config("mirror", args));
    System.out.println("mirror started admin=" + service.adminPort());
    for (String p : service.firstLook(Duration.ofSeconds(10))) System.err.println("mirror: " + p);
    ServiceMain.serve("mirror", service);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
