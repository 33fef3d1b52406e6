package io.spillway.delivery;

import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.core.IntervalFunction;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spillway.delivery.limits.FleetRateLimit;
import io.spillway.delivery.limits.QuotaGuard;
import io.spillway.delivery.limits.QuotaGuardMetrics;
import io.spillway.runtime.AdminServer;
import io.spillway.runtime.ServiceMain;
import io.spillway.runtime.status.StatusPage;
import io.spillway.runtime.CheckResult;
import io.spillway.runtime.Component;
import io.spillway.runtime.Metrics;
import io.spillway.runtime.SpillwayMetric;
import io.spillway.delivery.http.UpstreamClient;
import io.spillway.schemas.config.ConfigException;
import io.spillway.schemas.config.HostPort;
import io.spillway.schemas.config.RouteTable;
import io.spillway.schemas.config.SpillwayConfig;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import io.spillway.kafka.KafkaClients;
import io.spillway.kafka.KafkaTopics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivery: a Kafka Streams application on {@code kafka.topic} that forwards each event to its
 * upstream Sentry, within that upstream's fleet-wide rate and concurrency limits, holding events
 * (never dropping them) while the upstream answers 429, retrying network errors and 502/503/504
 * with backoff, and dead-lettering everything else to {@code kafka.dlq_topic} with a reason.
 * See {@code delivery/README.md} for the guarantees and their bounds.
 */
public final class DeliveryService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DeliveryService.class);
  /** Large events being sent at once, counted by their pieces: about a quarter of the heap, at least 64 MiB. */
  static final long MAX_LARGE_BYTES = Math.max(64L << 20, Runtime.getRuntime().maxMemory() / 4);
  /** How long {@link #close()} waits for requests in flight before committing anyway. */
  static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(15);

  private final KafkaStreams streams;
  private final AdminServer admin;
  private final Shared shared;
  private final ScheduledExecutorService scheduler;
  private final KafkaStreamsMetrics streamsMetrics;
  private final StoreMemory storeMemory;
  private final AtomicBoolean closed = new AtomicBoolean();

  /** What every task of this instance shares: config, upstream state, the HTTP client, the limiter. */
  static final class Shared {
    private final Map<String, Upstream> upstreams;
    private final RouteTable routes;
    private final UpstreamClient http;
    private final FleetRateLimit limits;
    private final LongSupplier clock;
    private final Duration punctuateInterval;
    private final long maxEventAgeMillis;
    private final long chunkTimeoutMillis;
    private final String topic;
    /** Bytes of large events being sent (joined from their pieces): bounded by {@link #MAX_LARGE_BYTES}. */
    private final java.util.concurrent.atomic.AtomicLong largeBytes = new java.util.concurrent.atomic.AtomicLong();
    private final Counter repeatedChunks;
    private final IntervalFunction backoff;
    private final AtomicBoolean draining = new AtomicBoolean();
    private final AtomicInteger unapplied = new AtomicInteger();
    private final PrometheusMeterRegistry registry;
    private final Duration dedupWindow;
    final QuotaGuardMetrics guardMetrics;
    final ReplayOutcomes replays;
    final long guardRetentionMillis;
    volatile int liveInstances = 1;

    Shared(SpillwayConfig config, PrometheusMeterRegistry registry, LongSupplier clock) {
      this.registry = registry;
      this.routes = config.routes();
      this.guardMetrics = new QuotaGuardMetrics(registry);
      this.replays = new ReplayOutcomes(registry);
      this.guardRetentionMillis = QuotaGuard.retentionFor(config.upstreams().values().stream()
          .flatMap(u -> u.projects().values().stream()).map(p -> p.quotaGuard()).filter(g -> g != null).toList());
      this.clock = clock;
      this.punctuateInterval = config.delivery().punctuateInterval();
      this.maxEventAgeMillis = config.delivery().maxEventAge().toMillis();
      this.chunkTimeoutMillis = config.delivery().chunkTimeout().toMillis();
      this.topic = config.kafka().topic();
      this.dedupWindow = config.delivery().dedupWindow();
      this.repeatedChunks = SpillwayMetric.DELIVERY_REPEATED_CHUNKS.counter().register(registry);
      long initial = Math.max(1, config.delivery().retryInitial().toMillis());
      this.backoff = IntervalFunction.ofExponentialRandomBackoff(initial, 2.0, 0.5,
          Math.max(initial, config.delivery().retryMax().toMillis()));
      this.http = UpstreamClient.create(config.upstreams().values());
      this.limits = new FleetRateLimit(config.redis().uri(), config.upstreams(), clock);
      CircuitBreakerRegistry breakers = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
          .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
          .slidingWindowSize(20)
          .minimumNumberOfCalls(10)
          .failureRateThreshold(50)
          .permittedNumberOfCallsInHalfOpenState(2)
          .waitIntervalFunctionInOpenState(IntervalFunction.ofExponentialBackoff(initial, 2.0,
              Math.max(initial, config.delivery().retryMax().toMillis())))
          .writableStackTraceEnabled(false)
          .build());
      Map<String, Upstream> ups = new LinkedHashMap<>();
      config.upstreams().forEach((name, u) -> ups.put(name,
          new Upstream(u, breakers.circuitBreaker(name), registry, clock, () -> liveInstances)));
      this.upstreams = Map.copyOf(ups);
      config.upstreams().keySet().forEach(name -> SpillwayMetric.DELIVERY_CONNECTIONS.gauge(http, h -> h.connections(name), name)
          .register(registry));
    }

    Map<String, Upstream> upstreams() { return upstreams; }
    RouteTable routes() { return routes; }
    UpstreamClient http() { return http; }
    FleetRateLimit limits() { return limits; }
    LongSupplier clock() { return clock; }
    Duration punctuateInterval() { return punctuateInterval; }
    long maxEventAgeMillis() { return maxEventAgeMillis; }
    IntervalFunction backoff() { return backoff; }
    boolean draining() { return draining.get(); }
    long chunkTimeoutMillis() { return chunkTimeoutMillis; }
    String topic() { return topic; }
    Duration dedupWindow() { return dedupWindow; }
    PrometheusMeterRegistry registry() { return registry; }
    void repeatedChunk() { repeatedChunks.increment(); }

    /**
     * Takes {@code bytes} of the budget for large events being sent (each is joined from its pieces
     * and re-encoded: a few times its size in heap). One always fits, however large.
     */
    boolean reserveLarge(long bytes) {
      if (bytes <= 0) return true;
      while (true) {
        long now = largeBytes.get();
        if (now > 0 && now + bytes > MAX_LARGE_BYTES) return false;
        if (largeBytes.compareAndSet(now, now + bytes)) return true;
      }
    }

    void releaseLarge(long bytes) {
      if (bytes > 0) largeBytes.addAndGet(-bytes);
    }

    void started() { unapplied.incrementAndGet(); }
    void applied() { unapplied.decrementAndGet(); }

    void deadLetteredWithoutUpstream(String reason) {
      SpillwayMetric.DELIVERY_DLQ.counter("none", reason).register(registry).increment();
    }
  }

  private DeliveryService(SpillwayConfig config, LongSupplier clock) {
    String instance = SpillwayConfig.hostname("delivery") + "-" + ProcessHandle.current().pid();
    PrometheusMeterRegistry registry = Metrics.registry("delivery", instance);
    // Kafka Streams tags a window store's RocksDB metrics (the dedup store) rocksdb.window.state.id and a key-value
    // store's rocksdb.state.id, under the same names: Prometheus wants one set of tag keys per name, and refused
    // the second kind (one WARN at start, those series missing). One key for both; the store's name tells them apart.
    registry.config().meterFilter(MeterFilter.renameTag("kafka.stream.state", "rocksdb.window.state.id", "rocksdb.state.id"));
    this.shared = new Shared(config, registry, clock);
    HostPort adminAt = config.delivery().admin();
    this.admin = new AdminServer(adminAt, registry).route("/status", StatusPage.forConfig(config));
    admin.start();
    try {
      ensureTopics(config);
    } catch (RuntimeException e) {
      // Kafka unreachable (3 min) or refusing: fail the start, without leaving the admin port or Redis client behind.
      admin.close();
      shared.limits().close();
      shared.http.close();
      throw e;
    }
    Topology topology = new Topology();
    // kafka.topic, plus each datacenter's central copy <dc>.<topic> at a central site (mirror.sources):
    // a pattern, so that a copy the mirror creates later is read from when it appears.
    List<String> sources = config.deliveryTopics();
    if (sources.size() == 1) {
      topology.addSource("events", new ByteArrayDeserializer(), new ByteArrayDeserializer(), sources.get(0));
    } else {
      topology.addSource("events", new ByteArrayDeserializer(), new ByteArrayDeserializer(),
          java.util.regex.Pattern.compile(String.join("|", sources.stream().map(java.util.regex.Pattern::quote).toList())));
    }
    topology.addProcessor("deliver", () -> new DeliveryProcessor(shared), "events");
    topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(DeliveryProcessor.STORE),
        Serdes.Bytes(), Serdes.ByteArray()), "deliver");
    if (!config.delivery().dedupWindow().isZero()) topology.addStateStore(Dedup.storeBuilder(config.delivery().dedupWindow()), "deliver");
    topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(QuotaGuard.STORE),
        Serdes.Bytes(), Serdes.ByteArray()), "deliver");
    topology.addSink(DeliveryProcessor.DLQ_SINK, config.kafka().dlqTopic(), new ByteArraySerializer(),
        new ByteArraySerializer(), "deliver");

    Properties p = new Properties();
    p.putAll(config.kafka().properties());
    Takeover.defaults(p);
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.delivery().applicationId());
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafka().bootstrapServers());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.delivery().streamThreads());
    p.put(StreamsConfig.STATE_DIR_CONFIG, config.delivery().stateDir());
    // Short commits keep the replay after a crash (duplicates) small; the store is flushed first.
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) config.kafka().replicationFactor());
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    // Wall-clock punctuators only run between polls: an idle poll must not outlast a tick.
    p.put(StreamsConfig.POLL_MS_CONFIG, Math.max(1, config.delivery().punctuateInterval().toMillis()));
    // An identifier only (no interactive queries): lets every instance count the live instances.
    // Host name + admin port is unique per instance (two instances on one host need two admin ports).
    p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, identityHost() + ":" + admin.port());
    p.put(StreamsConfig.producerPrefix("acks"), "all");
    // Small batches: punctuators (sending, applying outcomes) run between them.
    p.put(StreamsConfig.consumerPrefix("max.poll.records"), 500);
    Takeover.apply(p, config.delivery(), identityHost());
    this.storeMemory = new StoreMemory(config.delivery().storeMemory());
    p.put(StoreMemory.CONFIG, storeMemory);
    p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, StoreMemory.Setter.class);
    // A datacenter's copy created while delivery runs is found at the next metadata refresh (default 5 min).
    if (sources.size() > 1) p.put(StreamsConfig.consumerPrefix("metadata.max.age.ms"), 10_000);
    this.streams = new KafkaStreams(topology, p);
    streams.setUncaughtExceptionHandler(e -> {
      if (Takeover.fenced(e)) {
        // Replacing the thread would fence the other process in turn, back and forth.
        log.error("another delivery process joined with this instance's group.instance.id {}: stopping this one;"
            + " give each instance its own delivery.instance_id (or state_dir)", p.get(StreamsConfig.consumerPrefix("group.instance.id")), e);
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
      }
      log.error("stream thread failed; replacing it", e);
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    this.scheduler = Executors.newSingleThreadScheduledExecutor(ServiceMain.daemonThreads("spillway-delivery-fleet"));
    // Refreshed every 5 s (default 60 s): per-partition lag meters appear only after assignment.
    this.streamsMetrics = new KafkaStreamsMetrics(streams, List.of(), scheduler, Duration.ofSeconds(5));
    streamsMetrics.bindTo(registry);
    admin.register(new Component() {
      @Override public String name() { return "kafka-streams"; }
      @Override public CheckResult check() {
        KafkaStreams.State s = streams.state();
        return s == KafkaStreams.State.RUNNING ? CheckResult.OK : CheckResult.failed("state " + s);
      }
    });
    admin.register(new Component() {
      @Override public String name() { return "rate-limiter"; }
      @Override public CheckResult check() {
        // Degraded, not down: deliveries go on with a per-instance share of each limit.
        return new CheckResult(true, shared.limits().redisUp() ? "ok (redis " + config.redis().redactedUri() + ")"
            : "redis unreachable: per-instance share of each rate limit (rate / " + shared.liveInstances + " instances)");
      }
    });
    SpillwayMetric.DELIVERY_LIMITER_REDIS_UP.gauge(shared.limits(), l -> l.redisUp() ? 1 : 0).register(registry);
    SpillwayMetric.DELIVERY_LIVE_INSTANCES.gauge(shared, s -> s.liveInstances).register(registry);
    scheduler.scheduleWithFixedDelay(this::countInstances, 1, 2, TimeUnit.SECONDS);
    streams.start();
  }

  /** Starts delivery; the admin server listens on {@code delivery.admin} (port 0 = random). */
  public static DeliveryService start(SpillwayConfig config) {
    return start(config, System::currentTimeMillis);
  }

  /** With an injected wall clock (tests: sent_at rewriting, expiry). */
  static DeliveryService start(SpillwayConfig config, LongSupplier clock) {
    if (config == null) throw new NullPointerException("config == null");
    if (clock == null) throw new NullPointerException("clock == null");
    List<String> files = config.fileProblems(); // the upstreams' TLS files, as check-config reports them
    if (!files.isEmpty()) throw new ConfigException("delivery", files);
    return new DeliveryService(config, clock);
  }

  public int adminPort() {
    return admin.port();
  }

  /** Events the upstream took so far (benchmarks read it without a /metrics scrape). */
  double delivered(String upstream) {
    Upstream u = shared.upstreams().get(upstream);
    return u == null ? 0 : u.ok.count();
  }

  KafkaStreams.State state() {
    return streams.state();
  }

  /** Graceful: stop sending, wait (bounded) for the requests in flight and apply their outcomes, commit. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) return;
    shared.draining.set(true);
    long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
    while (shared.unapplied.get() > 0 && System.nanoTime() < deadline
        && streams.state() == KafkaStreams.State.RUNNING) {
      sleep(20);
    }
    // Stop reading Streams' metrics first: some read RocksDB natively, and a store closed under such a
    // read crashed the JVM (SIGSEGV in rocksdb::ThreadLocalPtr, on the metrics refresh thread).
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    streamsMetrics.close();
    // Leave the group: the partitions move to the other instances now, not after session.timeout.ms
    // (static members only: a dynamic member of a Streams group never leaves, see Takeover).
    streams.close(new KafkaStreams.CloseOptions().timeout(Duration.ofSeconds(30)).leaveGroup(true));
    storeMemory.close();
    shared.limits().close();
    shared.http.close();
    admin.close();
  }

  /** {@code --config FILE}; runs until SIGTERM. */
  public static void main(String[] args) throws InterruptedException {
    DeliveryService service = start(ServiceMain.config("delivery", args));
    System.out.println("delivery started admin=" + service.adminPort());
    ServiceMain.serve("delivery", service);
  }

  private void countInstances() {
    try {
      if (streams.state() != KafkaStreams.State.RUNNING) return;
      int n = streams.metadataForAllStreamsClients().size();
      if (n > 0) {
        shared.liveInstances = n;
        shared.limits().liveInstances(n);
      }
    } catch (RuntimeException e) {
      // keep the last count
    }
  }

  /**
   * Creates or checks the topics. Kafka that does not answer is tried again for up to {@link #TOPICS_PATIENCE}
   * (a broker still starting, or a machine so busy that one admin call timed out, must not end the start);
   * a refusal (authorization, a topic too strict for large events) fails at once.
   */
  private static void ensureTopics(SpillwayConfig config) {
    long deadline = System.nanoTime() + TOPICS_PATIENCE.toNanos();
    try (Admin a = KafkaClients.newAdmin(config.kafka(), "spillway-delivery-admin")) {
      while (true) {
        try {
          KafkaTopics.ensure(a, KafkaTopics.pipeline(config.kafka()), Duration.ofSeconds(30));
          return;
        } catch (KafkaTopics.TopicsException e) {
          if (!e.noAnswer() || System.nanoTime() > deadline) throw new IllegalStateException(e.getMessage(), e);
          log.warn("{}; trying again", e.getMessage());
        }
      }
    }
  }

  static final Duration TOPICS_PATIENCE = Duration.ofMinutes(3);

  private static String identityHost() {
    String h = SpillwayConfig.hostname("localhost");
    return h.matches("[A-Za-z0-9.-]{1,200}") ? h : "localhost";
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
