package io.spillway.edge;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.channel.Channel;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.time.Duration;
import io.spillway.runtime.CheckResult;
import io.spillway.runtime.Component;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.RedisForm;
import io.spillway.schemas.config.RedisConfig;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge's writer: one {@code XADD} per accepted request on one shared Lettuce connection
 * (auto-flush pipelines concurrent requests). Fail-fast by configuration, not by hope: a bounded
 * request queue, {@code REJECT_COMMANDS} while disconnected, and a command timeout, so a dead or
 * stuck Redis turns into a 503 instead of a hanging SDK. No {@code MAXLEN}: trimming could drop
 * entries the bridge has not acknowledged.
 */
final class RedisBuffer implements Component, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RedisBuffer.class);
  private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
  private static final long POLL_MS = 500;

  /** Why a write is refused before it is tried. */
  enum Refusal { NONE, DISCONNECTED, FULL }

  private final RedisConfig config;
  private final List<String> streams;
  private final ClientResources resources;
  private final RedisClient client;
  private final ScheduledExecutorService poller;
  private volatile StatefulRedisConnection<String, byte[]> connection;
  /**
   * Large events (written as several chunk entries in one script call, up to the envelope limit)
   * go over their own connection with a longer timeout, so a 100 MiB write never stands in front
   * of the small XADDs pipelined on {@link #connection}.
   */
  private volatile StatefulRedisConnection<String, byte[]> large;
  private final AtomicLong usedMemory = new AtomicLong(-1);
  private volatile String lastProblem = "not connected yet";

  RedisBuffer(RedisConfig config) {
    if (config == null) throw new NullPointerException("config == null");
    this.config = config;
    this.streams = config.streamKeys();
    this.resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(1)
        // Lettuce's default backoff grows to 30 s: after a Redis restart the edge would answer 503 for that long.
        .reconnectDelay(Delay.exponential(Duration.ofMillis(10), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
        // Many requests share one connection: let Netty merge their flushes into fewer write syscalls
        // (Lettuce flushes after every command; under load dozens are queued per event-loop turn).
        .nettyCustomizer(new NettyCustomizer() {
          @Override
          public void afterChannelInitialized(Channel channel) {
            channel.pipeline().addFirst(new FlushConsolidationHandler(256, true));
          }
        })
        .build();
    RedisURI uri = RedisURI.create(config.uri());
    uri.setTimeout(config.commandTimeout());
    this.client = RedisClient.create(resources, uri);
    client.setOptions(ClientOptions.builder()
        .autoReconnect(true)
        .requestQueueSize(config.requestQueueSize())
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        // each connection's own timeout: redis.command_timeout (from the URI), or LARGE_WRITE_TIMEOUT for large writes
        .timeoutOptions(TimeoutOptions.builder().timeoutCommands().connectionTimeout().build())
        .build());
    this.poller = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "spillway-edge-redis-poll");
      t.setDaemon(true);
      return t;
    });
    tryConnect();
    poller.scheduleWithFixedDelay(this::poll, POLL_MS, POLL_MS, TimeUnit.MILLISECONDS);
  }

  /** Until the first connection succeeds Lettuce cannot reconnect by itself: keep trying here. */
  private void tryConnect() {
    if (connection != null) return;
    try {
      connection = client.connect(CODEC);
      lastProblem = null;
      LOG.info("connected to Redis {}", config.redactedUri());
    } catch (RuntimeException e) {
      lastProblem = "cannot connect: " + e.getClass().getSimpleName();
      LOG.warn("cannot connect to Redis {}: {}", config.redactedUri(), e.getClass().getSimpleName());
    }
  }

  /** Redis memory, for max_buffer_bytes; async so a slow Redis never blocks this thread for long. */
  private void poll() {
    try {
      tryConnect();
      StatefulRedisConnection<String, byte[]> c = connection;
      if (c == null || !c.isOpen()) return;
      String info = c.async().info("memory").get(config.commandTimeout().toMillis() + 100, TimeUnit.MILLISECONDS);
      for (String line : info.split("\r?\n")) {
        if (line.startsWith("used_memory:")) {
          usedMemory.set(Long.parseLong(line.substring(12).trim()));
          break;
        }
      }
    } catch (Exception e) {
      if (e instanceof InterruptedException) Thread.currentThread().interrupt();
      // Reported through check()/refusal(): the connection state is what counts for writes.
    }
  }

  Refusal refusal() {
    StatefulRedisConnection<String, byte[]> c = connection;
    if (c == null || !c.isOpen()) return Refusal.DISCONNECTED;
    if (usedMemory.get() > config.maxBufferBytes()) return Refusal.FULL;
    return Refusal.NONE;
  }

  /** Bytes Redis reported in use at the last poll, -1 before the first. */
  long usedMemory() {
    return usedMemory.get();
  }

  /**
   * Writes an event's record(s) and completes once Redis confirmed them: one record with XADD; the
   * chunks of a large event with one script that XADDs them all, so they enter the stream together,
   * one after the other, or not at all (a crash or timeout never leaves part of an event behind).
   */
  CompletionStage<String> append(List<BufferedEvent> records) {
    if (records.isEmpty()) throw new IllegalArgumentException("no records");
    BufferedEvent first = records.get(0);
    String key = streams.size() == 1 ? streams.get(0)
        : streams.get(Math.floorMod(first.route().hashCode(), streams.size())); // one route, one shard: keeps order
    if (records.size() == 1) {
      StatefulRedisConnection<String, byte[]> c = connection;
      if (c == null) return CompletableFuture.failedFuture(new IllegalStateException("not connected"));
      return c.async().xadd(key, RedisForm.encode(first));
    }
    StatefulRedisConnection<String, byte[]> c = largeConnection();
    if (c == null) return CompletableFuture.failedFuture(new IllegalStateException("not connected"));
    Map<String, byte[]> firstFields = RedisForm.encode(first);
    int fieldsPerEntry = firstFields.size();
    List<byte[]> args = new ArrayList<>(1 + records.size() * fieldsPerEntry * 2);
    args.add(Integer.toString(fieldsPerEntry).getBytes(StandardCharsets.US_ASCII));
    for (BufferedEvent r : records) {
      Map<String, byte[]> fields = r == first ? firstFields : RedisForm.encode(r);
      if (fields.size() != fieldsPerEntry) {
        return CompletableFuture.failedFuture(new IllegalArgumentException("chunks of one event have different fields"));
      }
      fields.forEach((name, value) -> {
        args.add(name.getBytes(StandardCharsets.UTF_8));
        args.add(value);
      });
    }
    RedisFuture<byte[]> f = c.async().eval(XADD_ALL, ScriptOutputType.VALUE, new String[] {key}, args.toArray(new byte[0][]));
    return f.thenApply(id -> new String(id, StandardCharsets.US_ASCII));
  }

  /** XADDs entries of {@code ARGV[1]} fields each (name/value pairs following it); returns the last id. */
  private static final String XADD_ALL = "local n = tonumber(ARGV[1]) * 2 local last "
      + "for i = 2, #ARGV, n do last = redis.call('XADD', KEYS[1], '*', unpack(ARGV, i, i + n - 1)) end return last";

  /** Large writes move up to the envelope limit over loopback: give them time, on a connection of their own. */
  static final Duration LARGE_WRITE_TIMEOUT = Duration.ofSeconds(30);

  private synchronized StatefulRedisConnection<String, byte[]> largeConnection() {
    if (connection == null) return null;
    if (large == null || !large.isOpen()) {
      try {
        large = client.connect(CODEC);
        large.setTimeout(LARGE_WRITE_TIMEOUT);
      } catch (RuntimeException e) {
        return null;
      }
    }
    return large;
  }

  @Override
  public String name() {
    return "redis";
  }

  @Override
  public CheckResult check() {
    return switch (refusal()) {
      case NONE -> CheckResult.OK;
      case DISCONNECTED -> CheckResult.failed("redis " + config.redactedUri() + " unreachable"
          + (lastProblem == null ? "" : " (" + lastProblem + ")"));
      case FULL -> CheckResult.failed("redis buffer above max_buffer_bytes (" + usedMemory.get() + " > "
          + config.maxBufferBytes() + ")");
    };
  }

  @Override
  public void close() {
    poller.shutdownNow();
    StatefulRedisConnection<String, byte[]> c = connection;
    if (c != null) c.close();
    StatefulRedisConnection<String, byte[]> l = large;
    if (l != null) l.close();
    client.shutdown(0, 2, TimeUnit.SECONDS);
    resources.shutdown(0, 2, TimeUnit.SECONDS);
  }
}
