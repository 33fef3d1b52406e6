package io.spillway.edge;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spillway.runtime.AdminServer;
import io.spillway.runtime.ServiceMain;
import io.spillway.runtime.status.StatusPage;
import io.spillway.runtime.Metrics;
import io.spillway.schemas.config.EdgeConfig;
import io.spillway.schemas.config.SpillwayConfig;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.handlers.GracefulShutdownHandler;
import io.undertow.server.handlers.HttpContinueReadHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.Options;

/**
 * Spillway's front door: an Undertow server that takes Sentry SDK traffic on {@code edge.listen}
 * and writes one Redis stream entry per accepted request, plus the admin server
 * ({@code /healthz}, {@code /readyz}, {@code /metrics}) on {@code edge.admin}. See the module
 * README for what it guarantees.
 */
public final class EdgeServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EdgeServer.class);
  /** How long {@link #close()} waits for requests whose XADD is still in flight. */
  private static final long DRAIN_MILLIS = 10_000;
  /**
   * Undertow IO threads (every request runs on one: nothing blocks). Default one per core; a
   * tuning knob for small machines where the edge shares its cores with Redis
   * ({@code -Dspillway.edge.io-threads=N}).
   */
  static final int IO_THREADS = Integer.getInteger("spillway.edge.io-threads", Math.max(2, Runtime.getRuntime().availableProcessors()));

  private final Undertow server;
  private final GracefulShutdownHandler graceful;
  private final AdminServer admin;
  private final RedisBuffer redis;
  private final ExecutorService checks;
  private volatile boolean closing;

  private EdgeServer(Undertow server, GracefulShutdownHandler graceful, AdminServer admin, RedisBuffer redis,
      ExecutorService checks) {
    this.server = server;
    this.graceful = graceful;
    this.admin = admin;
    this.redis = redis;
    this.checks = checks;
  }

  /**
   * Threads that check large bodies (decompress and walk an envelope, scan a multipart upload) and
   * run the stages on them, off the IO threads; beyond 256 waiting, requests get 503.
   */
  static final int CHECK_THREADS = Math.max(2, Runtime.getRuntime().availableProcessors());

  /** Request bodies the edge holds at once (received, checked, being written): half the heap, at least 64 MiB. */
  static long maxHeldBytes() {
    return Math.max(64L << 20, Runtime.getRuntime().maxMemory() / 2);
  }

  /** Binds {@code edge.listen} and {@code edge.admin} (port 0 picks a free port) and starts serving. */
  public static EdgeServer start(SpillwayConfig config) {
    if (config == null) throw new NullPointerException("config == null");
    EdgeConfig edge = config.edge();
    RedisBuffer redis = new RedisBuffer(config.redis());
    AdminServer admin = null;
    Undertow server = null;
    ThreadPoolExecutor checks = null;
    try {
      PrometheusMeterRegistry registry = Metrics.registry("edge", edge.instance());
      EdgeMetrics metrics = new EdgeMetrics(registry, redis);
      checks = new ThreadPoolExecutor(CHECK_THREADS, CHECK_THREADS, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(256), r -> {
        Thread t = new Thread(r, "spillway-edge-check");
        t.setDaemon(true);
        return t;
      });
      IngestHandler ingest = new IngestHandler(edge, config.routes(), redis, new RouteQuota(config.routes()), metrics,
          EventStages.of(config, registry), checks, maxHeldBytes());
      metrics.heldBodyBytes(ingest::heldBytes);
      GracefulShutdownHandler graceful = new GracefulShutdownHandler(new HttpContinueReadHandler(ingest));
      int readTimeoutMs = (int) Math.min(Integer.MAX_VALUE, edge.readTimeout().toMillis());
      server = Undertow.builder()
          .addHttpListener(edge.listen().port(), edge.listen().host())
          .setIoThreads(IO_THREADS)
          .setWorkerThreads(4) // nothing blocks: workers only run Undertow housekeeping
          .setServerOption(UndertowOptions.MAX_HEADER_SIZE, 64 * 1024)
          .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, edge.maxEnvelopeBytes())
          .setServerOption(UndertowOptions.MAX_HEADERS, 100)
          .setServerOption(UndertowOptions.MAX_PARAMETERS, 200)
          .setServerOption(UndertowOptions.REQUEST_PARSE_TIMEOUT, readTimeoutMs)
          .setServerOption(UndertowOptions.NO_REQUEST_TIMEOUT, 60_000)
          .setServerOption(UndertowOptions.ALWAYS_SET_KEEP_ALIVE, false)
          // A client that stops sending is disconnected after read_timeout; a whole request (headers and
          // body) must arrive within request_timeout, enforced by IngestHandler (slowloris).
          .setSocketOption(Options.READ_TIMEOUT, readTimeoutMs)
          .setSocketOption(Options.BACKLOG, 4096)
          .setHandler(graceful)
          .build();
      server.start();
      admin = new AdminServer(edge.admin(), registry).register(redis)
          .route("/status", StatusPage.forConfig(config)).start();
      EdgeServer s = new EdgeServer(server, graceful, admin, redis, checks);
      LOG.info("edge {} listening on {}:{} (admin {}:{}), redis {} streams {}", edge.instance(), edge.listen().host(),
          s.port(), edge.admin().host(), s.adminPort(), config.redis().redactedUri(), config.redis().streamKeys());
      return s;
    } catch (RuntimeException e) {
      if (server != null) server.stop();
      if (admin != null) admin.close();
      if (checks != null) checks.shutdownNow();
      redis.close();
      throw e;
    }
  }

  /** The bound traffic port. */
  public int port() {
    return ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
  }

  /** The bound admin port. */
  public int adminPort() {
    return admin.port();
  }

  /**
   * Stops accepting requests (new ones get 503), waits for requests whose Redis write is in flight
   * to be answered, then closes the listener, the admin server and the Redis connection.
   */
  @Override
  public synchronized void close() {
    if (closing) return;
    closing = true;
    graceful.shutdown();
    try {
      if (!graceful.awaitShutdown(DRAIN_MILLIS)) LOG.warn("requests still in flight after {} ms; closing", DRAIN_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    server.stop();
    checks.shutdownNow();
    admin.close();
    redis.close();
    LOG.info("edge stopped");
  }

  /** {@code --config FILE}: runs until SIGTERM/SIGINT, then closes gracefully. */
  public static void main(String[] args) throws InterruptedException {
    ServiceMain.serve("edge", start(ServiceMain.config("edge", args)));
  }
}
