package io.spillway.delivery;

import static io.spillway.runtime.SpillwayMetric.DELIVERY_CONNECTIONS;
import static io.spillway.runtime.SpillwayMetric.DELIVERY_DLQ;
import static io.spillway.runtime.SpillwayMetric.DELIVERY_RETRIED;

import io.spillway.schemas.Route;
import io.spillway.testkit.KafkaCluster;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The delivery benchmark behind {@code bench/delivery/run.sh} (not a test): a real KRaft broker,
 * a backlog of N records of the legacy benchmark's 1 KiB gzip'd envelope (the same bytes
 * {@code bench-consumer.sh} queues), then one delivery instance draining it to the given
 * upstream. Prints one line per run, measured from the first to the last delivered event
 * (steady rate: between 10 % and 90 % of the backlog, or over a fixed window), then where the CPU
 * went per event: the delivery JVM's threads by kind (stream, http, kafka clients, jit, gc) and
 * the whole machine's (broker and upstream included), which bounds the rate on a small box.
 *
 * <p>Usage: {@code DeliveryBench --upstream URL --label L --events N [--window-s W] [--max-in-flight M] [--punctuate DURATION (default: the config default)] [--body FILE]
 * [--ca-file PEM] [--http2 auto|off]}
 * (repeatable: several {@code --upstream} groups run one after the other on the same broker).
 * {@code --ca-file} is the upstream's {@code tls.ca_file}. Each line also gives the connections open to
 * the upstream at the end ({@code spillway_delivery_connections}).
 */
final class DeliveryBench {
  public static void main(String[] args) throws Exception {
    List<Map<String, String>> runs = new ArrayList<>();
    Map<String, String> cur = null;
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (args[i].equals("--upstream")) {
        cur = new java.util.HashMap<>();
        runs.add(cur);
      }
      if (cur == null) throw new IllegalArgumentException("start with --upstream");
      cur.put(args[i].substring(2), args[i + 1]);
    }
    try (KafkaCluster kafka = KafkaCluster.start(1)) {
      for (Map<String, String> run : runs) run(kafka, run);
    }
    System.exit(0);
  }

  static void run(KafkaCluster kafka, Map<String, String> opt) throws Exception {
    String url = opt.get("upstream");
    String label = opt.getOrDefault("label", url);
    int n = Integer.parseInt(opt.getOrDefault("events", "100000"));
    int window = Integer.parseInt(opt.getOrDefault("window-s", "0"));
    int maxInFlight = Integer.parseInt(opt.getOrDefault("max-in-flight", "256"));
    int threads = Integer.parseInt(opt.getOrDefault("stream-threads", "1"));
    byte[] body = Files.readAllBytes(Path.of(opt.getOrDefault("body", "/work/shared/baseline/wrk/body-envelope.gz")));
    String transport = (opt.containsKey("ca-file") ? "    tls: { ca_file: \"" + opt.get("ca-file") + "\" }\n" : "")
        + (opt.containsKey("http2") ? "    http2: " + opt.get("http2") + "\n" : "");
    int partitions = 6;
    String topic = "bench-" + System.nanoTime();
    kafka.createTopic(topic, partitions, (short) 1);
    kafka.createTopic(topic + ".dlq", partitions, (short) 1);

    // Six projects so the backlog spreads over the partitions (one route = one partition).
    StringBuilder projects = new StringBuilder();
    List<Route> routes = new ArrayList<>();
    for (int i = 1; i <= partitions; i++) {
      projects.append("      p").append(i).append(": { id: 42, key: PUBLICKEY").append(i).append(" }\n");
      routes.add(new Route("bench", "p" + i));
    }
    Path state = Files.createTempDirectory("spillway-bench-state-");
    String yaml = """
        delivery: { admin: "127.0.0.1:0", application_id: "%s", state_dir: "%s",%s stream_threads: %d }
        kafka: { bootstrap_servers: "%s", topic: "%s", partitions: %d, replication_factor: 1 }
        upstreams:
          bench:
            url: "%s"
            max_in_flight: %d
        %s    projects:
        %s""".formatted("bench-app-" + System.nanoTime(), state, opt.containsKey("punctuate") ? " punctuate_interval: " + opt.get("punctuate") + "," : "", threads, kafka.bootstrapServers(), topic, partitions, url, maxInFlight, transport, projects);

    long t0 = System.nanoTime();
    ColdStartBench.produce(kafka, topic, routes, n, body);
    System.err.printf("%s: backlog of %d records written in %.1fs%n", label, n, (System.nanoTime() - t0) / 1e9);

    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    try (DeliveryService service = DeliveryService.start(Pipeline.config(yaml))) {
      int port = service.adminPort();
      long start = System.nanoTime();
      long first = 0;
      long cpuFirst = 0;
      Map<String, Long> cpuGroupsFirst = Map.of();
      long machineFirst = 0;
      double at10 = -1, at90 = -1;
      long t10 = 0, t90 = 0;
      double ok = 0;
      long deadline = start + TimeUnit.MINUTES.toNanos(10);
      while (System.nanoTime() < deadline) {
        Thread.sleep(250);
        ok = service.delivered("bench"); // in-process: a /metrics scrape 4×/s would cost more than it measures
        long now = System.nanoTime();
        if (first == 0 && ok > 0) {
          first = now;
          cpuFirst = os.getProcessCpuTime();
          cpuGroupsFirst = threadCpu();
          machineFirst = machineBusyNanos();
        }
        if (at10 < 0 && ok >= n * 0.1) { at10 = ok; t10 = now; }
        if (at90 < 0 && ok >= n * 0.9) { at90 = ok; t90 = now; }
        if (ok >= n) break;
        if (window > 0 && first > 0 && now - first >= TimeUnit.SECONDS.toNanos(window)) break;
      }
      long end = System.nanoTime();
      long cpu = os.getProcessCpuTime() - cpuFirst;
      long machine = machineBusyNanos() - machineFirst;
      // The stream thread runs process() and the punctuator for every event: its CPU per event is
      // the figure that bounds one instance's rate, and it moves less with the machine's load.
      Map<String, Long> groups = threadCpu();
      long streamCpu = groups.getOrDefault("stream", 0L) - cpuGroupsFirst.getOrDefault("stream", 0L);
      double secs = (end - first) / 1e9;
      double steady = at90 > 0 ? (at90 - at10) / ((t90 - t10) / 1e9) : ok / secs;
      double retried = Pipeline.metric(port, DELIVERY_RETRIED, null);
      double dlq = Pipeline.metric(port, DELIVERY_DLQ, null);
      double connections = Pipeline.metric(port, DELIVERY_CONNECTIONS, "upstream=\"bench\"");
      System.out.printf("spillway: %s events=%d delivered=%.0f in %.1fs (first after %.1fs) steady_events_s=%.0f retried=%.0f dlq=%.0f"
              + " connections=%.0f cpu_pct_delivery_jvm=%.0f stream_thread_us_per_event=%.0f jvm_cpu_us_per_event=%.0f load_avg=%.1f%n",
          label, n, ok, secs, (first - start) / 1e9, steady, retried, dlq, connections, 100.0 * cpu / (end - first),
          streamCpu / 1e3 / Math.max(1, ok), cpu / 1e3 / Math.max(1, ok), os.getSystemLoadAverage());
      // Where the JVM's CPU went, per event; "rest": the process's CPU no listed thread accounts for (threads that ended).
      StringBuilder by = new StringBuilder();
      long threadsCpu = 0;
      for (Map.Entry<String, Long> g : groups.entrySet()) {
        long d = g.getValue() - cpuGroupsFirst.getOrDefault(g.getKey(), 0L);
        threadsCpu += d;
        by.append(' ').append(g.getKey()).append('=').append(Math.round(d / 1e3 / Math.max(1, ok)));
      }
      System.out.printf("cpu_us_per_event_by_thread:%s rest=%d machine_cpu_us_per_event=%d%n", by,
          Math.round((cpu - threadsCpu) / 1e3 / Math.max(1, ok)), Math.round(machine / 1e3 / Math.max(1, ok)));
      System.out.printf("events/s=%.0f%n", steady);
    }
  }

  /** CPU time so far of the JVM's live threads, by kind (threads that ended are not counted). */
  static Map<String, Long> threadCpu() {
    java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    Map<String, Long> out = new java.util.TreeMap<>();
    for (java.lang.management.ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (t == null) continue;
      String n = t.getThreadName();
      String g = n.contains("StreamThread") && !n.contains("producer") ? "stream"
          : n.startsWith("spillway-http") ? "http"
          : n.startsWith("kafka-producer") || n.startsWith("kafka-") ? "kafka_clients"
          : "other_threads";
      out.merge(g, Math.max(0, mx.getThreadCpuTime(t.getThreadId())), Long::sum);
    }
    // The JVM's own threads (not Java threads): the JIT compilers and the garbage collector.
    try (var tasks = Files.list(Path.of("/proc/self/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        String stat = Files.readString(task.resolve("stat"));
        String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        String g = comm.contains("Compiler") ? "jit" : comm.startsWith("GC ") || comm.startsWith("G1 ") ? "gc" : null;
        if (g == null) continue;
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        out.merge(g, (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L, Long::sum); // utime + stime, USER_HZ 100
      }
    } catch (java.io.IOException | RuntimeException e) {
      // no /proc: those two are in "rest"
    }
    return out;
  }

  /**
   * CPU time all processes on the machine spent busy so far (/proc/stat: everything but idle and
   * iowait), 0 where there is no /proc: with the broker and the sink on the same cores, the
   * machine's CPU per event is what bounds the rate.
   */
  static long machineBusyNanos() {
    try {
      String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long busy = 0;
      for (int i = 1; i < f.length && i <= 8; i++) if (i != 4 && i != 5) busy += Long.parseLong(f[i]);
      return busy * 10_000_000L; // USER_HZ = 100
    } catch (java.io.IOException | RuntimeException e) {
      return 0;
    }
  }
}
