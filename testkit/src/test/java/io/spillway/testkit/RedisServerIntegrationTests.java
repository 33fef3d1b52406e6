package io.spillway.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedisServerIntegrationTests {
  @Test
  void survivesKillWithAofAlways() {
    try (RedisServer redis = RedisServer.launch(RedisServer.Fsync.ALWAYS)) {
      assertThat(redis.command("XADD", "s", "*", "f", "v")).startsWith("$");
      redis.kill();
      assertThat(redis.isRunning()).isFalse();
      assertThat(redis.command("PING")).isNull();
      redis.start();
      assertThat(redis.xlen("s")).isEqualTo(1);
    }
  }
}
