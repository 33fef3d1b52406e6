package io.spillway.delivery.limits;

import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.spillway.schemas.config.UpstreamConfig;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Per-upstream rate limits that hold for the whole delivery fleet: one token bucket per upstream
 * in Redis (a Lua script, so take-and-refill is atomic; Redis's clock, so instances' clocks do
 * not matter). Each instance takes small batches of tokens ahead of need into a local pool, from
 * which the stream thread takes without waiting; tokens left unused after {@link #TOKEN_TTL_MS}
 * are thrown away, so over any window W the fleet sends at most
 * {@code burst + rate × (W + TOKEN_TTL + request latency)} events.
 *
 * <p>A Resilience4j {@link RateLimiter} per upstream ({@code timeoutDuration = 0}: it never parks
 * the caller) is the local cap: at the fleet rate while Redis answers, and at the per-instance
 * share ({@code rate / live instances}) while Redis is unreachable, so the limit still holds
 * approximately without Redis (reported on /readyz and as {@code spillway_delivery_limiter_redis_up}).
 *
 * <p>Redis counts as unreachable only after its calls have failed for {@link #DOWN_AFTER_MS} in a row;
 * until then this instance sends only the tokens it already holds (fails closed). A call that times out
 * on one instance while the others are answered (a loaded machine, a slow network path) must not put
 * that instance on its share while the others still take the whole rate from Redis: up to 1.5× the limit
 * with two instances (likely what the full multi-datacenter run saw: 182 in one second, bound 151 at 100/s).
 */
public final class FleetRateLimit implements AutoCloseable {
  public static final long TOKEN_TTL_MS = 50;
  /** How long Redis's calls must fail in a row before this instance falls back to its share. */
  static final long DOWN_AFTER_MS = 3_000;
  /** How long a batch of tokens should last at the full rate. */
  static final double BATCH_SECONDS = 0.05;

  private static final String SCRIPT = """
      pcall(redis.replicate_commands)
      local rate = tonumber(ARGV[1])
      local burst = tonumber(ARGV[2])
      local want = tonumber(ARGV[3])
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      local v = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
      local tokens = tonumber(v[1])
      local ts = tonumber(v[2])
      if tokens == nil or ts == nil then tokens = burst; ts = now end
      if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate / 1000) end
      local take = math.min(want, math.floor(tokens))
      if take < 0 then take = 0 end
      tokens = tokens - take
      redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
      redis.call('PEXPIRE', KEYS[1], 3600000)
      return take
      """;

  private final RedisClient client;
  private final io.lettuce.core.RedisURI uri;
  private volatile StatefulRedisConnection<String, String> connection;
  private final AtomicBoolean connecting = new AtomicBoolean();
  private volatile long lastProbe;
  private final RateLimiterRegistry registry;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
  /**
   * Guards the switch between "Redis up" and "Redis down" and the local caps that go with it.
   * Answers arrive on Lettuce's threads, failures also on stream threads, the live count on the
   * fleet scheduler: unguarded, a success and a stale failure (or two flips) could interleave and
   * leave an instance marked down while capped at the full rate, or up while capped at its share.
   */
  private final Object transitions = new Object();
  /** Written only under {@link #transitions}; read without it on the hot path. */
  private volatile boolean redisUp = true;
  private final LongSupplier clock;
  /** Guarded by {@link #transitions}. */
  private int liveInstances = 1;
  /** When Redis's calls started failing in a row (wall clock), 0 while they succeed; guarded by {@link #transitions}. */
  private long failingSince;

  /** One upstream's local pool. */
  private final class Bucket {
    final String name;
    final UpstreamConfig.RateLimit limit;
    final RateLimiter local;
    final AtomicInteger pool = new AtomicInteger();
    volatile long poolAt;
    final AtomicBoolean refilling = new AtomicBoolean();
    final int batch;

    Bucket(String name, UpstreamConfig.RateLimit limit) {
      this.name = name;
      this.limit = limit;
      this.local = registry.rateLimiter(name, config(limit.eventsPerSecond()));
      this.batch = (int) Math.max(1, Math.min(limit.burst(), Math.ceil(limit.eventsPerSecond() * BATCH_SECONDS)));
    }
  }

  public FleetRateLimit(String redisUri, Map<String, UpstreamConfig> upstreams, LongSupplier clock) {
    this.clock = clock;
    this.registry = RateLimiterRegistry.ofDefaults();
    upstreams.forEach((name, u) -> {
      if (u.rateLimit() != null) buckets.put(name, new Bucket(name, u.rateLimit()));
    });
    if (buckets.isEmpty()) {
      client = null;
      uri = null;
      return;
    }
    uri = io.lettuce.core.RedisURI.create(redisUri);
    client = RedisClient.create();
    client.setOptions(io.lettuce.core.ClientOptions.builder()
        .disconnectedBehavior(io.lettuce.core.ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(io.lettuce.core.TimeoutOptions.enabled(Duration.ofMillis(500)))
        .build());
    try {
      connection = client.connect(StringCodec.UTF8, uri);
    } catch (RuntimeException e) {
      failed(); // reconnect() tries again; the per-instance share after DOWN_AFTER_MS
    }
  }

  /** Never blocks: true if one event may be sent to {@code upstream} now. */
  public boolean tryAcquire(String upstream) {
    Bucket b = buckets.get(upstream);
    if (b == null) return true;
    if (!redisUp || connection == null) {
      long now = clock.getAsLong();
      if (now - lastProbe > 1000) { // probe whether Redis is back, at most once a second
        lastProbe = now;
        if (connection == null) reconnect();
        else refill(b);
      }
      if (redisUp) { // no connection yet, and not failing for DOWN_AFTER_MS: nothing is sent
        failed();
        return false;
      }
      return b.local.acquirePermission();
    }
    long now = clock.getAsLong();
    if (now - b.poolAt > TOKEN_TTL_MS) b.pool.set(0);
    int left = b.pool.getAndUpdate(n -> n > 0 ? n - 1 : 0);
    if (left <= 1) refill(b);
    if (left <= 0) return false;
    if (!b.local.acquirePermission()) {
      b.pool.incrementAndGet();
      return false;
    }
    return true;
  }

  public boolean redisUp() {
    return buckets.isEmpty() || (connection != null && redisUp);
  }

  boolean limited(String upstream) {
    return buckets.containsKey(upstream);
  }

  /** Re-divides the local cap used while Redis is down. */
  public void liveInstances(int n) {
    synchronized (transitions) {
      int live = Math.max(1, n);
      if (live == liveInstances) return;
      liveInstances = live;
      if (!redisUp) applyCaps();
    }
  }

  private void reconnect() {
    if (!connecting.compareAndSet(false, true)) return;
    client.connectAsync(StringCodec.UTF8, uri).whenComplete((c, err) -> {
      connecting.set(false);
      if (err == null) connection = c;
    });
  }

  /** A call failed: Redis counts as down once they have failed for {@link #DOWN_AFTER_MS} in a row. */
  private void failed() {
    synchronized (transitions) {
      long now = clock.getAsLong();
      if (failingSince == 0) {
        failingSince = now;
      } else if (now - failingSince >= DOWN_AFTER_MS && redisUp) {
        redisUp = false;
        applyCaps();
      }
    }
  }

  /** A call succeeded: Redis is up, and the next failure starts a new count. */
  private void succeeded() {
    synchronized (transitions) {
      failingSince = 0;
      if (!redisUp) {
        redisUp = true;
        applyCaps();
      }
    }
  }

  private void refill(Bucket b) {
    StatefulRedisConnection<String, String> c = connection;
    if (c == null) return;
    if (!b.refilling.compareAndSet(false, true)) return;
    // EVAL with the text (not EVALSHA): Redis caches it, and a restarted Redis needs no reload step.
    c.async().<Long>eval(SCRIPT, ScriptOutputType.INTEGER, new String[] {"spillway:delivery:bucket:" + b.name},
            Double.toString(b.limit.eventsPerSecond()), Integer.toString(b.limit.burst()), Integer.toString(b.batch))
        .whenComplete((taken, err) -> {
          b.refilling.set(false);
          if (err != null) {
            failed();
            return;
          }
          succeeded();
          if (taken != null && taken > 0) {
            long now = clock.getAsLong();
            if (now - b.poolAt > TOKEN_TTL_MS) b.pool.set(0);
            b.poolAt = now;
            b.pool.addAndGet(taken.intValue());
          }
        });
  }

  /** The local caps for the current state: the fleet rate while Redis is up, this instance's share while down. */
  private void applyCaps() {
    assert Thread.holdsLock(transitions);
    for (Bucket b : buckets.values()) {
      if (!redisUp) b.pool.set(0);
      double rate = redisUp ? b.limit.eventsPerSecond() : b.limit.eventsPerSecond() / liveInstances;
      b.local.changeLimitForPeriod(config(rate).getLimitForPeriod());
    }
  }

  /** 100 ms periods; at least one permit per period so a tiny share is never zero. */
  private static RateLimiterConfig config(double eventsPerSecond) {
    return RateLimiterConfig.custom()
        .limitRefreshPeriod(Duration.ofMillis(100))
        .limitForPeriod((int) Math.max(1, Math.ceil(eventsPerSecond / 10)))
        .timeoutDuration(Duration.ZERO) // never park a stream thread (pipeline-notes.md §4)
        .build();
  }

  @Override
  public void close() {
    StatefulRedisConnection<String, String> c = connection;
    if (c != null) c.close();
    if (client != null) client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
  }
}
