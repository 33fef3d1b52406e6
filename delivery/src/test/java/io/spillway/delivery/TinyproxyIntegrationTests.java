package io.spillway.delivery;

import static io.spillway.delivery.UpstreamClientIntegrationTests.KEY;
import static io.spillway.delivery.UpstreamClientIntegrationTests.caFile;
import static io.spillway.delivery.UpstreamClientIntegrationTests.client;
import static io.spillway.delivery.UpstreamClientIntegrationTests.failure;
import static io.spillway.delivery.UpstreamClientIntegrationTests.send;
import static io.spillway.delivery.UpstreamClientIntegrationTests.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.spillway.delivery.http.UpstreamClient;
import io.spillway.delivery.upstream.DeliveryOutcome;
import io.spillway.schemas.config.UpstreamConfig;
import io.spillway.testkit.RedisServer;
import io.spillway.testkit.SentryUpstream;
import io.spillway.testkit.TestCertificate;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Delivery's HTTP client through Debian's {@code tinyproxy} (the kind of proxy a datacenter puts in
 * front of its egress), started by the test with Basic authentication: https upstreams by CONNECT
 * (HTTP/2 inside the tunnel), http upstreams in absolute form. CI installs tinyproxy ({@code .ci/run});
 * where it is missing the test is skipped, and the testkit's proxy
 * ({@link UpstreamClientIntegrationTests#goesThroughAnHttpProxy}) still covers the same paths.
 */
@Timeout(120)
class TinyproxyIntegrationTests {
  @TempDir Path dir;

  static Path tinyproxy() {
    String configured = System.getenv("SPILLWAY_TINYPROXY");
    if (configured != null && !configured.isEmpty()) return Path.of(configured);
    for (String p : System.getenv().getOrDefault("PATH", "/usr/bin:/usr/sbin").split(":")) {
      Path candidate = Path.of(p, "tinyproxy");
      if (Files.isExecutable(candidate)) return candidate;
    }
    return Path.of("/usr/bin/tinyproxy");
  }

  @Test
  void goesThroughTinyproxy() throws Exception {
    Path binary = tinyproxy();
    assumeTrue(Files.isExecutable(binary), "tinyproxy is not installed here (apt-get install tinyproxy; CI installs it in .ci/run)");
    int port = RedisServer.freePort();
    Path conf = dir.resolve("tinyproxy.conf");
    Files.writeString(conf, String.join("\n",
        "Port " + port,
        "Listen 127.0.0.1",
        "Timeout 60",
        "MaxClients 64",
        "Allow 127.0.0.1",
        "BasicAuth spillway tiny-s3cret",
        "DisableViaHeader Yes",
        "LogLevel Info",
        "LogFile \"" + dir.resolve("tinyproxy.log") + "\"",
        "PidFile \"" + dir.resolve("tinyproxy.pid") + "\"",
        ""));
    Process proxy = new ProcessBuilder(binary.toString(), "-d", "-c", conf.toString())
        .redirectErrorStream(true).redirectOutput(dir.resolve("tinyproxy.out").toFile()).start();
    try (SentryUpstream tls = SentryUpstream.startTls(true, false).project(7, KEY, null);
         SentryUpstream plain = SentryUpstream.start().project(7, KEY, null);
         UpstreamClient client = client()) {
      awaitListening(port, proxy);
      String via = "proxy: \"http://spillway:tiny-s3cret@127.0.0.1:" + port + "\"";
      UpstreamConfig https = upstream("tiny-connect", tls.url(), caFile(TestCertificate.get().caPem()), via);
      for (int i = 0; i < 10; i++) assertThat(send(client, https, "n=" + i).status()).isEqualTo(200);
      assertThat(tls.requests()).allSatisfy(r -> assertThat(r.protocol()).isEqualTo("HTTP/2.0"));
      assertThat(client.connections("tiny-connect")).isEqualTo(1);

      UpstreamConfig http = upstream("tiny-absolute", plain.url(), via);
      for (int i = 0; i < 5; i++) assertThat(send(client, http, "n=" + i).status()).isEqualTo(200);
      assertThat(plain.requests().get(4).query()).isEqualTo("n=4");

      String wrong = "proxy: \"http://spillway:wrong@127.0.0.1:" + port + "\"";
      Throwable refused = failure(client, upstream("tiny-wrong", tls.url(), caFile(TestCertificate.get().caPem()), wrong));
      assertThat(DeliveryOutcome.ofFailure(refused)).as("%s", refused).isEqualTo(new DeliveryOutcome.Retry("connect"));
      Throwable refusedPlain = failure(client, upstream("tiny-wrong-plain", plain.url(), wrong));
      assertThat(DeliveryOutcome.ofFailure(refusedPlain)).as("%s", refusedPlain).isEqualTo(new DeliveryOutcome.Retry("connect"));
      assertThat(tls.acceptedCount()).isEqualTo(10);
      assertThat(plain.acceptedCount()).isEqualTo(5);
    } finally {
      proxy.destroy();
      if (!proxy.waitFor(10, TimeUnit.SECONDS)) proxy.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private void awaitListening(int port, Process proxy) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException e) {
        if (!proxy.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException("tinyproxy did not start: " + Files.readString(dir.resolve("tinyproxy.out"))
              + (Files.exists(dir.resolve("tinyproxy.log")) ? Files.readString(dir.resolve("tinyproxy.log")) : ""), e);
        }
        Thread.sleep(50);
      }
    }
  }
}
