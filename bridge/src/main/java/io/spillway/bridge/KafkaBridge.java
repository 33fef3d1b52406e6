package io.spillway.bridge;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spillway.runtime.AdminServer;
import io.spillway.runtime.ServiceMain;
import io.spillway.runtime.status.StatusPage;
import io.spillway.runtime.CheckResult;
import io.spillway.runtime.Component;
import io.spillway.runtime.Metrics;
import io.spillway.schemas.config.BridgeConfig;
import io.spillway.schemas.config.SpillwayConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge: moves every entry of the Redis stream(s) into the Kafka topic, keyed by route, and
 * removes it from Redis only after Kafka acknowledged it (at-least-once). One worker thread per
 * stream shard, all bridges in one Redis consumer group; an admin port with {@code /healthz},
 * {@code /readyz} (components {@code redis}, {@code kafka}, {@code workers}) and {@code /metrics}.
 */
public final class KafkaBridge implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KafkaBridge.class);

  private final RedisClient redisClient;
  private final KafkaLink kafka;
  private final BacklogGauges backlog;
  private final AdminServer admin;
  private final List<StreamWorker> workers;
  private final List<Thread> threads;
  private boolean closing;

  private KafkaBridge(RedisClient redisClient, KafkaLink kafka, BacklogGauges backlog, AdminServer admin,
      List<StreamWorker> workers, List<Thread> threads) {
    this.redisClient = redisClient;
    this.kafka = kafka;
    this.backlog = backlog;
    this.admin = admin;
    this.workers = workers;
    this.threads = threads;
  }

  /** Starts the workers and the admin server ({@code bridge.admin}; port 0 picks a free one). */
  public static KafkaBridge start(SpillwayConfig config) {
    if (config == null) throw new NullPointerException("config == null");
    BridgeConfig bc = config.bridge();
    String consumer = bc.consumer() != null ? bc.consumer() : SpillwayConfig.hostname("bridge") + "-" + ProcessHandle.current().pid();
    PrometheusMeterRegistry registry = Metrics.registry("bridge", consumer);
    BridgeMetrics metrics = new BridgeMetrics(registry);

    RedisURI uri = RedisURI.create(config.redis().uri());
    // a blocking XREADGROUP must not time out before its BLOCK does
    Duration timeout = config.redis().commandTimeout().plus(bc.block()).plusSeconds(1);
    uri.setTimeout(timeout);
    RedisClient client = RedisClient.create(uri);
    client.setOptions(ClientOptions.builder()
        .autoReconnect(true)
        // fail fast while disconnected: the worker backs off and retries, nothing piles up in Lettuce
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .socketOptions(SocketOptions.builder().connectTimeout(Duration.ofSeconds(2)).build())
        .timeoutOptions(TimeoutOptions.enabled(timeout))
        .build());

    Status redisStatus = new Status("redis", "not connected yet");
    KafkaLink kafka = new KafkaLink(config.kafka(), "spillway-bridge-" + consumer);
    List<String> streams = config.redis().streamKeys();
    BacklogGauges backlog = new BacklogGauges(client, config.redis().redactedUri(), bc.group(), streams, redisStatus, registry);
    AdminServer admin = new AdminServer(bc.admin(), registry).register(redisStatus).register(kafka.status)
        .route("/status", StatusPage.forConfig(config)).start();

    List<StreamWorker> workers = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (String stream : streams) {
      StreamWorker w = new StreamWorker(stream, bc.group(), consumer, bc.batchSize(), bc.block(), bc.claimIdle(),
          bc.deadLetterStream(), client, config.redis().redactedUri(), kafka, redisStatus, metrics);
      Thread t = new Thread(w, "spillway-bridge-" + stream);
      workers.add(w);
      threads.add(t);
    }
    threads.forEach(Thread::start);
    admin.register(new Component() {
      @Override
      public String name() {
        return "workers";
      }

      @Override
      public CheckResult check() {
        // the loops catch every exception; only an Error (out of memory …) ends one
        for (Thread t : threads) if (!t.isAlive()) return CheckResult.failed(t.getName() + " stopped");
        return CheckResult.OK;
      }
    });
    log.info("bridge {} moving {} ({}) to kafka topic {} ({}); admin on port {}", consumer, streams,
        config.redis().redactedUri(), config.kafka().topic(), config.kafka().bootstrapServers(), admin.port());
    return new KafkaBridge(client, kafka, backlog, admin, List.copyOf(workers), List.copyOf(threads));
  }

  public int adminPort() {
    return admin.port();
  }

  /** Graceful: stop reading, finish the batches in flight (produce + XACK), then release everything. */
  @Override
  public void close() {
    synchronized (this) {
      if (closing) return;
      closing = true;
    }
    workers.forEach(StreamWorker::stop);
    for (Thread t : threads) {
      try {
        t.join(Duration.ofSeconds(60).toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    backlog.close();
    kafka.close();
    admin.close();
    redisClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }

  /** {@code --config FILE}; runs until SIGTERM/SIGINT, then closes gracefully. */
  public static void main(String[] args) throws InterruptedException {
    ServiceMain.serve("bridge", start(ServiceMain.config("bridge", args)));
  }
}
