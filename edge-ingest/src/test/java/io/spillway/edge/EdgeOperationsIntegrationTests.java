package io.spillway.edge;

import static io.spillway.edge.EdgeFixture.envelope;
import static io.spillway.edge.EdgeFixture.hex32;
import static io.spillway.runtime.SpillwayMetric.EDGE_IN_FLIGHT;
import static io.spillway.runtime.SpillwayMetric.EDGE_REJECTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.spillway.schemas.BufferedEvent;
import io.spillway.testkit.JavaProcess;
import io.spillway.testkit.RedisServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Buffer limits, shards, forwarded client IPs, graceful shutdown and the {@code main} entry point. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EdgeOperationsIntegrationTests {
  static final String XSA = "Sentry sentry_version=7,sentry_client=sentry.java/8.63.0,sentry_key=vodbe";

  static HttpRequest envelopeRequest(EdgeFixture f, String id) {
    return HttpRequest.newBuilder(f.uri("/api/20/envelope/")).timeout(Duration.ofSeconds(10)).header("X-Sentry-Auth", XSA)
        .POST(HttpRequest.BodyPublishers.ofString(envelope(id, "ops"))).build();
  }

  @Test
  void bufferAboveMaxBufferBytesAnswers503WithRetryAfter() throws Exception {
    try (EdgeFixture f = EdgeFixture.start(RedisServer.Fsync.NONE, "", "max_buffer_bytes: 1")) {
      URI readyz = URI.create("http://127.0.0.1:" + f.edge.adminPort() + "/readyz");
      // readiness turns 503 once the first INFO poll sees the buffer over
      await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
          .until(() -> f.send(HttpRequest.newBuilder(readyz).build()).statusCode() == 503);
      assertThat(f.send(HttpRequest.newBuilder(readyz).build()).body()).contains("max_buffer_bytes");
      HttpResponse<String> r = f.send(envelopeRequest(f, hex32(1)));
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.body()).isEqualTo("{\"detail\":\"buffer full\"}");
      assertThat(r.headers().firstValue("Retry-After")).hasValue("10");
      assertThat(f.count()).isZero();
      assertThat(f.metric(EDGE_REJECTED, "reason=\"buffer_full\"")).isEqualTo(1);
    }
  }

  /** Redis' own maxmemory (noeviction) refuses the XADD with OOM: the edge says "buffer full", not 500. */
  @Test
  void redisOutOfMemoryIsBufferFull() throws Exception {
    try (EdgeFixture f = EdgeFixture.start(RedisServer.Fsync.NONE)) {
      assertThat(f.redis.command("CONFIG", "SET", "maxmemory", "1")).isEqualTo("+OK");
      HttpResponse<String> r = f.send(envelopeRequest(f, hex32(2)));
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.body()).isEqualTo("{\"detail\":\"buffer full\"}");
      assertThat(r.headers().firstValue("Retry-After")).hasValue("10");
      assertThat(f.redis.command("CONFIG", "SET", "maxmemory", "0")).isEqualTo("+OK");
      assertThat(f.send(envelopeRequest(f, hex32(3))).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void shardsSpreadRoutesAndKeepEachRouteOnOneStream() throws Exception {
    try (EdgeFixture f = EdgeFixture.start(RedisServer.Fsync.NONE, "", "shards: 2")) {
      for (String alias : List.of("vodbe", "other1", "other2", "other3")) {
        for (int i = 0; i < 5; i++) {
          HttpResponse<String> r = f.send(HttpRequest.newBuilder(f.uri("/api/1/envelope/?sentry_key=" + alias))
              .POST(HttpRequest.BodyPublishers.ofString(envelope(hex32(i), alias))).build());
          assertThat(r.statusCode()).isEqualTo(200);
        }
      }
      long s0 = f.redis.xlen(EdgeFixture.STREAM + ":0");
      long s1 = f.redis.xlen(EdgeFixture.STREAM + ":1");
      assertThat(s0 + s1).isEqualTo(20);
      assertThat(s0 % 5).isZero(); // whole routes per shard
      assertThat(f.redis.xlen(EdgeFixture.STREAM)).isZero();
    }
  }

  @Test
  void forwardedForIsUsedOnlyWhenTrusted() throws Exception {
    try (EdgeFixture trusted = EdgeFixture.start(RedisServer.Fsync.NONE, "trust_forwarded_for: true", "")) {
      trusted.send(HttpRequest.newBuilder(trusted.uri("/api/20/envelope/?sentry_key=vodbe")).header("X-Forwarded-For", "203.0.113.7, 10.0.0.1")
          .POST(HttpRequest.BodyPublishers.ofString(envelope(hex32(4), "xff"))).build());
      assertThat(trusted.events()).extracting(BufferedEvent::clientIp).containsExactly("203.0.113.7");
    }
    try (EdgeFixture untrusted = EdgeFixture.start(RedisServer.Fsync.NONE)) {
      untrusted.send(HttpRequest.newBuilder(untrusted.uri("/api/20/envelope/?sentry_key=vodbe")).header("X-Forwarded-For", "203.0.113.7")
          .POST(HttpRequest.BodyPublishers.ofString(envelope(hex32(5), "xff"))).build());
      assertThat(untrusted.events()).extracting(BufferedEvent::clientIp).containsExactly("127.0.0.1");
    }
  }

  /**
   * Many clients at once, pipelined on the one Redis connection: every answer carries its own
   * request's event id, and every entry holds the body that was sent with that id.
   */
  @Test
  void concurrentClientsGetTheirOwnAnswers() throws Exception {
    try (EdgeFixture f = EdgeFixture.start(RedisServer.Fsync.NONE)) {
      int clients = 32, perClient = 40;
      List<CompletableFuture<Void>> all = new java.util.ArrayList<>();
      java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(clients);
      Map<String, byte[]> sent = new java.util.concurrent.ConcurrentHashMap<>();
      try {
        for (int c = 0; c < clients; c++) {
          int client = c;
          all.add(CompletableFuture.runAsync(() -> {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            for (int i = 0; i < perClient; i++) {
              String id = hex32(client * 1000 + i);
              byte[] body = EdgeFixture.gzip(envelope(id, "client " + client + " request " + i).getBytes(StandardCharsets.UTF_8));
              sent.put(id, body);
              HttpResponse<String> r = f.send(HttpRequest.newBuilder(f.uri("/api/20/envelope/")).timeout(Duration.ofSeconds(10))
                  .header("X-Sentry-Auth", XSA).header("Content-Encoding", "gzip").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
              assertThat(r.statusCode()).isEqualTo(200);
              assertThat(r.body()).isEqualTo("{\"id\":\"" + id + "\"}");
            }
          }, pool));
        }
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      } finally {
        pool.shutdownNow();
      }
      List<BufferedEvent> events = f.events();
      assertThat(events).hasSize(clients * perClient);
      assertThat(events).allSatisfy(e -> assertThat(e.body()).isEqualTo(sent.get(e.eventId())));
      assertThat(events).extracting(BufferedEvent::id).doesNotHaveDuplicates();
    }
  }

  /** An edge started while Redis is down answers 503 and connects by itself once Redis is up. */
  @Test
  void startsWhileRedisIsDown() throws Exception {
    try (RedisServer redis = RedisServer.launch()) {
      redis.stop();
      try (EdgeServer edge = EdgeServer.start(io.spillway.schemas.config.SpillwayConfig.parse(
          EdgeFixture.yaml(redis.uri(), "", ""), java.util.Map.of(), "test"))) {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + "/api/20/envelope/?sentry_key=vodbe"))
            .POST(HttpRequest.BodyPublishers.ofString(envelope(hex32(8), "early"))).build();
        HttpResponse<String> down = http.send(req, HttpResponse.BodyHandlers.ofString());
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(down.body()).isEqualTo("{\"detail\":\"buffer unavailable: redis unreachable\"}");
        redis.start();
        // the edge connects once Redis is up
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
            .until(() -> http.send(req, HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
        assertThat(redis.xlen(EdgeFixture.STREAM)).isEqualTo(1);
      }
    }
  }

  /** close() lets a request whose XADD is in flight finish with 200 (and its entry is in Redis). */
  @Test
  void closeDrainsInFlightWrites() throws Exception {
    try (EdgeFixture f = EdgeFixture.start(RedisServer.Fsync.NONE, "", "command_timeout: \"10s\"")) {
      CompletableFuture<String> sleeping = CompletableFuture.supplyAsync(() -> f.redis.command("DEBUG", "SLEEP", "1.5"));
      Thread.sleep(100); // let the SLEEP reach Redis first
      String id = hex32(6);
      CompletableFuture<HttpResponse<String>> inFlight = f.http.sendAsync(envelopeRequest(f, id), HttpResponse.BodyHandlers.ofString());
      // the request reaches Redis (and waits behind the SLEEP)
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
          .until(() -> f.metric(EDGE_IN_FLIGHT) >= 1);
      f.edge.close(); // blocks until the in-flight request is answered
      assertThat(inFlight.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      assertThat(sleeping.get(10, TimeUnit.SECONDS)).isEqualTo("+OK");
      assertThat(f.events()).extracting(BufferedEvent::eventId).containsExactly(id);
    }
  }

  /** The launcher's entry point: {@code --config FILE}, serves, and exits cleanly on SIGTERM. */
  @Test
  void mainServesUntilSigterm() throws Exception {
    try (RedisServer redis = RedisServer.launch()) {
      int port = RedisServer.freePort();
      int admin = RedisServer.freePort();
      String yaml = EdgeFixture.yaml(redis.uri(), "", "").replace("listen: \"127.0.0.1:0\"", "listen: \"127.0.0.1:" + port + "\"")
          .replace("admin: \"127.0.0.1:0\"", "admin: \"127.0.0.1:" + admin + "\"");
      Path config = Files.createTempFile("spillway-edge-", ".yml");
      Files.writeString(config, yaml);
      JavaProcess edge = JavaProcess.start(EdgeServer.class.getName(), List.of("-Xmx256m"), "--config", config.toString());
      try {
        HttpClient http = HttpClient.newHttpClient();
        URI readyz = URI.create("http://127.0.0.1:" + admin + "/readyz");
        // the child edge becomes ready (connection refused while it starts)
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).ignoreExceptionsInstanceOf(java.io.IOException.class)
            .alias("edge ready; log:\n" + edge.output())
            .until(() -> http.send(HttpRequest.newBuilder(readyz).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/20/envelope/?sentry_key=vodbe"))
            .POST(HttpRequest.BodyPublishers.ofString(envelope(hex32(7), "main"), StandardCharsets.UTF_8)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(redis.xlen(EdgeFixture.STREAM)).isEqualTo(1);
        edge.stop(); // SIGTERM
        assertThat(edge.isAlive()).isFalse();
        assertThat(edge.output()).contains("edge stopped").doesNotContain(EdgeFixture.VOD_BE_KEY);
      } finally {
        edge.close();
        Files.deleteIfExists(config);
      }
    }
  }

}
