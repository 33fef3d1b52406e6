package io.spillway.bridge;

import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import io.micrometer.core.instrument.MeterRegistry;
import io.spillway.kafka.KafkaClients;
import io.spillway.runtime.SpillwayMetric;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Redis backlog per stream (length, pending in the group, age of the oldest entry), sampled
 * once a second on its own connection so a scrape never waits on Redis. Also keeps the
 * {@code redis} readiness component current when the workers are idle.
 */
final class BacklogGauges implements AutoCloseable {
  private final RedisClient client;
  private final String group;
  private final List<String> streams;
  private final Status status;
  private final String redactedUri;
  private final Map<String, AtomicLong[]> values = new ConcurrentHashMap<>();
  private final ScheduledExecutorService sampler;
  private StatefulRedisConnection<String, byte[]> connection;

  BacklogGauges(RedisClient client, String redactedUri, String group, List<String> streams, Status status, MeterRegistry registry) {
    this.client = client;
    this.redactedUri = redactedUri;
    this.group = group;
    this.streams = streams;
    this.status = status;
    for (String s : streams) {
      AtomicLong[] v = {new AtomicLong(), new AtomicLong(), new AtomicLong()};
      values.put(s, v);
      SpillwayMetric.BRIDGE_REDIS_BACKLOG_LENGTH.gauge(v[0], AtomicLong::get, s).register(registry);
      SpillwayMetric.BRIDGE_REDIS_BACKLOG_PENDING.gauge(v[1], AtomicLong::get, s).register(registry);
      SpillwayMetric.BRIDGE_REDIS_BACKLOG_OLDEST_AGE.gauge(v[2], a -> a.get() / 1000.0, s).register(registry);
    }
    sampler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "spillway-bridge-backlog");
      t.setDaemon(true);
      return t;
    });
    sampler.scheduleWithFixedDelay(this::sample, 0, 1, TimeUnit.SECONDS);
  }

  private void sample() {
    try {
      if (connection == null) connection = client.connect(StreamWorker.CODEC);
      var redis = connection.sync();
      long now = System.currentTimeMillis();
      for (String s : streams) {
        AtomicLong[] v = values.get(s);
        v[0].set(redis.xlen(s));
        try {
          v[1].set(redis.xpending(s, group).getCount());
        } catch (io.lettuce.core.RedisCommandExecutionException e) {
          v[1].set(0); // NOGROUP: the worker has not created the group yet
        }
        List<StreamMessage<String, byte[]>> first = redis.xrange(s, Range.create("-", "+"), Limit.from(1));
        v[2].set(first.isEmpty() ? 0 : Math.max(0, now - idMillis(first.get(0).getId())));
      }
      status.ok();
    } catch (RuntimeException e) {
      status.failed("redis unreachable (" + redactedUri + "): " + KafkaClients.describe(e));
    }
  }

  static long idMillis(String streamId) {
    int dash = streamId.indexOf('-');
    return Long.parseLong(dash < 0 ? streamId : streamId.substring(0, dash));
  }

  @Override
  public void close() {
    sampler.shutdownNow();
    try {
      sampler.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (connection != null) connection.close();
  }
}
