package io.spillway.proof;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.spillway.testkit.JavaProcess;
import io.spillway.testkit.SentryUpstream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The services' memory defaults ({@code bin/jvm/*.options}, which bin/spillway and the image use) hold
 * the largest event the pipeline takes: a crash report of {@code edge.max_envelope_bytes} (100 MiB) goes
 * through edge, bridge and delivery, each in its own JVM with those options and the default config (no
 * {@code privacy:}: scrubbing an envelope holds a few copies of it, README "JVM options"), and
 * arrives whole. The peak RSS of each is printed (not asserted: it depends on the machine).
 */
class ServiceMemoryIntegrationTests {
  /** Just under the default edge.max_envelope_bytes, so the largest envelope the edge accepts. */
  static final int ENVELOPE_BYTES = (100 << 20) - 4096;

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  // kept out of `mvn verify` to hold CI under 20 min (30 MiB events are proven there); proof/run.sh extra runs it
  @org.junit.jupiter.api.condition.EnabledIfSystemProperty(named = "spillway.proof.extra", matches = "true")
  void aHundredMebibyteCrashReportArrivesWholeThroughServicesWithTheirDefaultOptions() throws Exception {
    try (Pipeline p = Pipeline.start(1, false)) {
      String id = "c0ffee00c0ffee00c0ffee00c0ffee00";
      byte[] attachment = new byte[ENVELOPE_BYTES - 512];
      new java.util.Random(7).nextBytes(attachment); // incompressible, like a minidump
      byte[] body = LoadGenerator.largeEnvelope(id, attachment);
      String sha = SentryUpstream.sha256(body);
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      Map<String, JavaProcess> services = Map.of("edge", p.edge, "bridge", p.bridge, "delivery", p.delivery);
      try {
        long t0 = System.nanoTime();
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(p.edgeUri("/api/1/envelope/"))
            .timeout(Duration.ofMinutes(3)).header("Content-Type", "application/x-sentry-envelope")
            .header("X-Sentry-Auth", "Sentry sentry_version=7, sentry_client=spillway-proof/1.0, sentry_key=" + Pipeline.APP_ALIAS)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        System.out.printf("edge answered %d after %.1f s%n", r.statusCode(), (System.nanoTime() - t0) / 1e9);
        assertThat(r.statusCode()).as("edge answer: " + r.body()).isEqualTo(200);
        body = null;
        attachment = null;
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1))
            .until(() -> p.upstream.accepted().stream().anyMatch(x -> x.bodySha256().equals(sha))
                || services.values().stream().anyMatch(s -> !s.isAlive()));
        System.out.printf("arrived at the upstream %.1f s after it was sent%n", (System.nanoTime() - t0) / 1e9);
        for (Map.Entry<String, JavaProcess> e : services.entrySet()) {
          assertThat(e.getValue().isAlive()).as(e.getKey() + " alive: " + Pipeline.tail(e.getValue().output())).isTrue();
        }
        assertThat(p.upstream.accepted()).as("the crash report arrived byte for byte")
            .anySatisfy(x -> assertThat(x.bodySha256()).isEqualTo(sha));
        for (Map.Entry<String, JavaProcess> e : services.entrySet()) {
          assertThat(e.getValue().output()).as(e.getKey()).doesNotContain("OutOfMemoryError");
        }
      } catch (Exception | AssertionError e) {
        for (Map.Entry<String, JavaProcess> s : services.entrySet()) {
          System.out.println("--- " + s.getKey() + " (alive " + s.getValue().isAlive() + "):\n" + Pipeline.tail(s.getValue().output()));
        }
        throw e;
      } finally {
        // Printed, not asserted: a process's RSS depends on the machine (and on what else runs there).
        for (Map.Entry<String, JavaProcess> e : services.entrySet()) {
          System.out.printf("%s: peak RSS %d MiB (options %s)%n", e.getKey(), peakRssMib(e.getValue().pid()), ServiceJvm.options(e.getKey()));
        }
      }
    }
  }

  /** VmHWM of a process, in MiB; -1 where there is no /proc. */
  static long peakRssMib(long pid) {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (l.startsWith("VmHWM:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024;
      }
    } catch (Exception e) {
      // not Linux
    }
    return -1;
  }
}
