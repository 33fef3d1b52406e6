package io.spillway.runtime.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.spillway.runtime.AdminServer;
import io.spillway.runtime.CheckResult;
import io.spillway.runtime.Component;
import io.spillway.runtime.Metrics;
import io.spillway.runtime.SpillwayMetric;
import io.spillway.schemas.config.HostPort;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The page on a real admin server that scrapes itself (as a service showing {@code /status} does):
 * up, not ready and unreachable services are told apart, and several browsers at once do not
 * starve the admin server's workers.
 */
@Timeout(60)
class StatusPageIntegrationTests {

  @Test
  void readinessStatesAndSelfScrapeUnderConcurrentRequests() throws Exception {
    PrometheusMeterRegistry registry = Metrics.registry("bridge", "b1");
    SpillwayMetric.BRIDGE_REDIS_BACKLOG_LENGTH.gauge(7, n -> n, "spillway:events").strongReference(true).register(registry);
    AtomicBoolean kafkaOk = new AtomicBoolean(false);
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    try (AdminServer admin = new AdminServer(new HostPort("127.0.0.1", 0), registry)) {
      admin.register(new Component() {
        @Override
        public String name() {
          return "kafka";
        }

        @Override
        public CheckResult check() {
          return kafkaOk.get() ? CheckResult.OK : CheckResult.failed("kafka unreachable (test)");
        }
      }).start();
      URI self = URI.create("http://127.0.0.1:" + admin.port());
      PipelineStatus status = new PipelineStatus(Map.of("edge", self, "bridge", self,
          "delivery", URI.create("http://127.0.0.1:" + closedPort)), "spillway.events", Duration.ofMillis(0));
      admin.route("/status", new StatusPage(status));

      HttpClient http = HttpClient.newHttpClient();
      List<CompletableFuture<HttpResponse<String>>> pages = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        pages.add(http.sendAsync(HttpRequest.newBuilder(self.resolve("/status")).build(), HttpResponse.BodyHandlers.ofString()));
      }
      for (CompletableFuture<HttpResponse<String>> f : pages) {
        String html = f.join().body();
        assertThat(html).contains("<tr class=\"service not-ready\" data-service=\"bridge\">")
            .contains("kafka unreachable (test)")
            .contains("<tr class=\"service unreachable\" data-service=\"delivery\">")
            .contains("id=\"backlog\" data-value=\"7\"");
      }
      kafkaOk.set(true);
      String text = http.send(HttpRequest.newBuilder(self.resolve("/status?format=text")).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      assertThat(text).contains("bridge    up").contains("delivery  UNREACHABLE").contains("Redis backlog   7 entries");
    }
  }
}
