package io.spillway.delivery.limits;

import static org.assertj.core.api.Assertions.assertThat;

import io.spillway.schemas.config.SpillwayConfig;
import io.spillway.testkit.RedisServer;
import io.spillway.testkit.TcpRelay;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One instance's calls to the limits' Redis time out while Redis itself is fine (the other instances are
 * answered): that instance must not fall back to its share at once, or the fleet sends the whole rate from
 * Redis plus that share. Its Redis is reached through a relay that can hold every byte (the connection
 * hangs, as on a congested path): a real Redis, a real TCP connection. The limiter is called every
 * millisecond, as a busy stream thread calls it (tokens it holds expire after 50 ms).
 */
@Timeout(120)
class FleetRateLimitSlowRedisIntegrationTests {

  @Test
  void callsThatTimeOutOnOneInstanceStopItUntilTheyHaveFailedForDownAfterThenItFallsBackAndRecovers() throws Exception {
    try (RedisServer redis = RedisServer.launch(); TcpRelay relay = new TcpRelay(redis.port())) {
      SpillwayConfig config = SpillwayConfig.parse("""
          redis: { uri: "redis://127.0.0.1:%d" }
          kafka: { bootstrap_servers: "127.0.0.1:9", topic: "t" }
          upstreams:
            u:
              url: "http://127.0.0.1:9"
              rate_limit: { events_per_second: 100, burst: 10 }
              projects:
                p: { id: 1, key: "aaaa1111aaaa1111aaaa1111aaaa1111" }
          """.formatted(relay.port()), Map.of(), "test");
      // The limiter's clock: the wall clock, except while the test holds it still (stopped != 0).
      AtomicLong stopped = new AtomicLong();
      LongSupplier clock = () -> stopped.get() != 0 ? stopped.get() : System.currentTimeMillis();
      try (FleetRateLimit limit = new FleetRateLimit(config.redis().uri(), config.upstreams(), clock)) {
        callUntil("a first token from Redis", Duration.ofSeconds(10), () -> limit.tryAcquire("u"));

        relay.hold(true);
        // Its calls time out (500 ms each) for 2 s of real time while its clock stands still, so however
        // slowly this thread runs, the calls have not "failed for DOWN_AFTER_MS" yet.
        stopped.set(System.currentTimeMillis());
        long heldAt = System.nanoTime();
        int granted = 0;
        while (System.nanoTime() - heldAt < 2_000_000_000L) {
          if (limit.tryAcquire("u")) granted++;
          Thread.sleep(1);
        }
        // Before: the first timed-out call (500 ms) put it on its share, about 150 more in these 2 s.
        assertThat(granted).as("sent while its Redis calls time out (only the tokens it held)").isLessThanOrEqualTo(10);
        assertThat(limit.redisUp()).isTrue();
        stopped.set(0); // the wall clock again: DOWN_AFTER_MS after the first failure, it falls back to its share

        callUntil("its share, once the calls have failed for DOWN_AFTER_MS", Duration.ofSeconds(15), () -> {
          limit.tryAcquire("u");
          return !limit.redisUp();
        });
        relay.hold(false);
        callUntil("the fleet's tokens again", Duration.ofSeconds(15), () -> {
          limit.tryAcquire("u");
          return limit.redisUp();
        });
      }
    }
  }

  private static void callUntil(String what, Duration timeout, BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("not reached within " + timeout + ": " + what);
      Thread.sleep(1);
    }
  }
}
