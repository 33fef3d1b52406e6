package io.spillway.rules.privacy.bench;

import io.spillway.rules.privacy.BodyScrubber;
import io.spillway.rules.privacy.Scrubber;
import io.spillway.schemas.body.ContentEncoding;
import io.spillway.schemas.config.PrivacyConfig;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU per request of the edge's privacy stage, in one warm JVM, measured with thread CPU time (so a
 * busy machine inflates wall time, not these figures much): the benchmark's 1 KiB gzip envelope
 * (nothing to scrub: decoded, proven clean, kept byte for byte), the same envelope with personal
 * data in it (scrubbed, rebuilt and gzipped again), each with the body already decoded by the
 * edge's checks (as the edge hands it to the stage) and decoded here.
 *
 * <pre>java -cp … io.spillway.rules.privacy.bench.PrivacyBench [body-envelope.gz] [seconds per case]</pre>
 */
public final class PrivacyBench {
  private PrivacyBench() {}

  public static void main(String[] args) throws Exception {
    Path clean = Path.of(args.length > 0 ? args[0] : "../shared/baseline/wrk/body-envelope.gz");
    double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 3;
    byte[] gz = Files.readAllBytes(clean);
    byte[] decoded = ContentEncoding.GZIP.decode(gz, 1 << 20);
    String dirtyText = new String(decoded, StandardCharsets.UTF_8)
        .replace("\"server_name\":\"app-7\"", "\"server_name\":\"app-7\",\"user\":{\"email\":\"jane.doe@example.com\",\"ip_address\":\"{{auto}}\"},"
            + "\"extra\":{\"password\":\"hunter2\",\"card\":\"4111 1111 1111 1111\"}");
    byte[] dirtyDecoded = fixLength(dirtyText).getBytes(StandardCharsets.UTF_8);
    byte[] dirtyGz = ContentEncoding.gzip(dirtyDecoded);
    PrivacyConfig c = new PrivacyConfig(true, true, true, List.of(), List.of(), null, null, PrivacyConfig.Attachments.KEEP);
    BodyScrubber b = new BodyScrubber(Scrubber.of(c), 1 << 20, 100 << 20);
    if (b.envelope(gz, "gzip").changed() || !b.envelope(dirtyGz, "gzip").changed()) throw new AssertionError("bench bodies");
    System.out.printf("privacy stage CPU per request (%d-byte gzip envelope, %d bytes decoded), %d cores, load %.1f%n",
        gz.length, decoded.length, Runtime.getRuntime().availableProcessors(),
        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    for (int round = 0; round < 2; round++) {
      String tag = round == 0 ? "warm-up" : "measured";
      report(tag, "clean, decoded by the edge", seconds, () -> b.envelope(null, "gzip", decoded));
      report(tag, "clean, gzip decoded here", seconds, () -> b.envelope(gz, "gzip"));
      report(tag, "personal data, decoded by the edge (scrub, rebuild, gzip)", seconds, () -> b.envelope(null, "gzip", dirtyDecoded));
      report(tag, "personal data, gzip decoded here", seconds, () -> b.envelope(dirtyGz, "gzip"));
    }
  }

  private static String fixLength(String envelope) {
    String[] lines = envelope.split("\n", -1);
    // header, item header, payload: set the item's length to the payload's new size
    int len = lines[2].getBytes(StandardCharsets.UTF_8).length;
    lines[1] = lines[1].replaceAll("\"length\":\\d+", "\"length\":" + len);
    return String.join("\n", lines);
  }

  private static void report(String tag, String name, double seconds, Runnable op) {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    long end = System.nanoTime() + (long) (seconds * 1e9);
    long n = 0;
    long cpu0 = mx.getCurrentThreadCpuTime();
    while (System.nanoTime() < end) {
      for (int i = 0; i < 1000; i++) op.run();
      n += 1000;
    }
    long cpu = mx.getCurrentThreadCpuTime() - cpu0;
    if (tag.equals("measured")) System.out.printf("  %-58s %6.2f µs CPU/request (%,d requests)%n", name, cpu / 1e3 / n, n);
  }
}
