package io.spillway.up;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sentry.Sentry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code spillway up} as the README tells a newcomer to use it: the sample config, an event sent
 * with curl's request and one with the Java SDK show up on the status page (the inspector
 * received them); after a restart on the same data directory it comes back and delivers again.
 * The sample config uses fixed ports (9000, 9100–9102, 9200, 16379, 19092–19093).
 */
@Timeout(240)
class UpIntegrationTests {
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  void anEventSentWithCurlAndOneWithTheSdkShowUpInTheInspector() throws Exception {
    Path data = Files.createTempDirectory("spillway-up-");
    try (Up up = Up.start(null, data, 0)) {
      assertThat(up.banner()).contains("http://demo@127.0.0.1:9000/1").contains(up.pageUrl());
      HttpResponse<String> curl = HTTP.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:9000/api/1/store/?sentry_key=demo&sentry_version=7"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"hello from curl\"}")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(curl.statusCode()).isEqualTo(200);

      Sentry.init(o -> {
        o.setDsn("http://demo@127.0.0.1:9000/1");
        o.setEnableUncaughtExceptionHandler(false);
      });
      String sdkId;
      try {
        sdkId = Sentry.captureMessage("hello from the java sdk").toString();
        Sentry.flush(10_000);
      } finally {
        Sentry.close();
      }

      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
        String page = page(up);
        assertThat(page).contains("hello from curl").contains(sdkId).contains("Inspector: 2 received");
      });
      String key = up.config.upstreams().get("inspector").projects().get("demo").key();
      assertThat(page(up)).contains("/status").doesNotContain(key);

      // Crash reports of the size native and mobile SDKs send arrive whole: a 30 MiB attachment
      // envelope and a 20 MiB raw minidump upload, as curl would send them.
      java.util.Random random = new java.util.Random(30);
      byte[] attachment = new byte[30 * 1024 * 1024];
      random.nextBytes(attachment);
      String bigId = "b16b16b16b16b16b16b16b16b16b16b1";
      java.io.ByteArrayOutputStream env = new java.io.ByteArrayOutputStream();
      env.writeBytes(("{\"event_id\":\"" + bigId + "\"}\n{\"type\":\"event\",\"length\":19}\n{\"message\":\"big 1\"}\n"
          + "{\"type\":\"attachment\",\"length\":" + attachment.length + ",\"filename\":\"big.bin\"}\n").getBytes());
      env.writeBytes(attachment);
      byte[] envelope = env.toByteArray();
      HttpResponse<String> bigEnvelope = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:9000/api/1/envelope/?sentry_key=demo"))
          .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofByteArray(envelope)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(bigEnvelope.statusCode()).as(bigEnvelope.body()).isEqualTo(200);
      byte[] dump = new byte[20 * 1024 * 1024];
      random.nextBytes(dump);
      System.arraycopy("MDMP".getBytes(), 0, dump, 0, 4);
      HttpResponse<String> bigDump = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:9000/api/1/minidump/?sentry_key=demo"))
          .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/octet-stream")
          .POST(HttpRequest.BodyPublishers.ofByteArray(dump)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(bigDump.statusCode()).as(bigDump.body()).isEqualTo(200);
      String envelopeSha = io.spillway.testkit.SentryUpstream.sha256(envelope);
      String dumpSha = io.spillway.testkit.SentryUpstream.sha256(dump);
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).until(() ->
          up.inspector.accepted().stream().anyMatch(r -> r.bodySha256().equals(envelopeSha))
              && up.inspector.accepted().stream().anyMatch(r -> r.bodySha256().equals(dumpSha)));
      // Kafka Streams may still be settling a rebalance (delivery briefly NOT READY): wait for all three to be up.
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
        String status = HTTP.send(HttpRequest.newBuilder(URI.create(up.pageUrl() + "status?format=text")).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        assertThat(status).contains("edge").contains("bridge").contains("delivery").contains("inspector")
            .doesNotContain("UNREACHABLE").doesNotContain("NOT READY").doesNotContain(key);
      });
    }

    // Same data directory: Kafka keeps its cluster id and log, Redis its AOF, delivery its state.
    try (Up up = Up.start(null, data, 0)) {
      HttpResponse<String> again = HTTP.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:9000/api/1/store/?sentry_key=demo&sentry_version=7"))
          .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"after restart\"}")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(again.statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
          .untilAsserted(() -> assertThat(page(up)).contains("after restart"));
    }
  }

  static String page(Up up) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(up.pageUrl())).build(), HttpResponse.BodyHandlers.ofString()).body();
  }
}
