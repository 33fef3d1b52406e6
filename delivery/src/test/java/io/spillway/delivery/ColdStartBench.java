package io.spillway.delivery;

import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.KafkaForm;
import io.spillway.schemas.Route;
import io.spillway.schemas.SpillwayId;
import io.spillway.testkit.KafkaCluster;
import io.spillway.testkit.RedisServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Delivery as a user starts it (not a test; {@code bench/delivery/cold.sh}): {@code bin/spillway delivery
 * --config FILE} in a fresh process, a backlog of N records (the legacy benchmark's 1 KiB gzip'd
 * envelope) waiting in Kafka, the baseline's nginx sink as the upstream. Per variant (an environment
 * for {@code bin/spillway}: {@code SPILLWAY_JAVA_OPTS}, {@code SPILLWAY_CDS}), three starts on one
 * state directory, each with a new backlog of N:
 *
 * <ol>
 *   <li><b>cold</b>: a new application (empty state, a group nobody joined yet);
 *   <li><b>restart after SIGTERM</b>: stopped cleanly once the first backlog is delivered, started again;
 *   <li><b>restart after kill -9</b>: killed once the second backlog is delivered, started again.
 * </ol>
 *
 * Each prints when the first request reached the sink (from the process's start), the drain of the
 * backlog (events/s from the first request to the last, and N over the whole time from the start),
 * and the delivery process's CPU until its first request and per event of the drain: CPU time moves
 * less than wall time when other work shares the machine.
 *
 * <p>Usage: {@code ColdStartBench --spillway bin/spillway --sink URL --events N [--variant LABEL[;ENV=VALUE...]]...}
 */
final class ColdStartBench {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  public static void main(String[] args) throws Exception {
    String spillway = null;
    String sink = null;
    int n = 100_000;
    Map<String, Map<String, String>> variants = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--spillway" -> spillway = args[i + 1];
        case "--sink" -> sink = args[i + 1];
        case "--events" -> n = Integer.parseInt(args[i + 1]);
        case "--variant" -> {
          String[] f = args[i + 1].split(";");
          Map<String, String> env = new LinkedHashMap<>();
          for (int j = 1; j < f.length; j++) env.put(f[j].substring(0, f[j].indexOf('=')), f[j].substring(f[j].indexOf('=') + 1));
          variants.put(f[0], env);
        }
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    if (spillway == null || sink == null) throw new IllegalArgumentException("--spillway and --sink are required");
    if (variants.isEmpty()) variants.put("default", Map.of());
    byte[] body = Files.readAllBytes(Path.of(System.getProperty("spillway.bench.body", "/work/shared/baseline/wrk/body-envelope.gz")));
    try (KafkaCluster kafka = KafkaCluster.start(1)) {
      for (Map.Entry<String, Map<String, String>> v : variants.entrySet()) {
        run(kafka, spillway, sink, n, body, v.getKey(), v.getValue());
      }
    }
    System.exit(0);
  }

  static void run(KafkaCluster kafka, String spillway, String sink, int n, byte[] body, String label, Map<String, String> env)
      throws Exception {
    int partitions = 6;
    String topic = "cold-" + System.nanoTime();
    kafka.createTopic(topic, partitions, (short) 1);
    kafka.createTopic(topic + ".dlq", partitions, (short) 1);
    StringBuilder projects = new StringBuilder();
    List<Route> routes = new ArrayList<>();
    for (int i = 1; i <= partitions; i++) {
      projects.append("      p").append(i).append(": { id: 42, key: PUBLICKEY").append(i).append(" }\n");
      routes.add(new Route("bench", "p" + i));
    }
    Path dir = Files.createTempDirectory("spillway-cold-");
    int admin = RedisServer.freePort();
    Path config = dir.resolve("spillway.yml");
    Files.writeString(config, """
        delivery: { admin: "127.0.0.1:%d", application_id: "cold-%d", state_dir: "%s" }
        kafka: { bootstrap_servers: "%s", topic: "%s", partitions: %d, replication_factor: 1 }
        upstreams:
          bench:
            url: "%s"
            max_in_flight: 256
            projects:
        %s""".formatted(admin, System.nanoTime(), dir.resolve("state"), kafka.bootstrapServers(), topic, partitions, sink, projects));
    Path log = dir.resolve("delivery.log");
    System.out.println("## " + label + " " + env + " (log " + log + ")");

    produce(kafka, topic, routes, n, body);
    Process p = start(spillway, config, env, log);
    measure(label, "cold", p, sink, n);
    stop(p, false);

    produce(kafka, topic, routes, n, body);
    p = start(spillway, config, env, log);
    measure(label, "restart-after-sigterm", p, sink, n);
    stop(p, true);

    produce(kafka, topic, routes, n, body);
    p = start(spillway, config, env, log);
    measure(label, "restart-after-kill-9", p, sink, n);
    stop(p, false);
  }

  static Process start(String spillway, Path config, Map<String, String> env, Path log) throws Exception {
    ProcessBuilder b = new ProcessBuilder(spillway, "delivery", "--config", config.toString())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    b.environment().putAll(env);
    return b.start();
  }

  /** SIGTERM (a clean stop, committing and leaving the group) or SIGKILL; waits until the process is gone. */
  static void stop(Process p, boolean kill) throws InterruptedException {
    if (kill) p.destroyForcibly();
    else p.destroy();
    if (!p.waitFor(90, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }

  static void measure(String label, String phase, Process p, String sink, int n) throws Exception {
    long base = count(sink);
    long t0 = System.nanoTime();
    long first = 0;
    double cpuFirst = 0;
    String threadsFirst = "";
    long deadline = t0 + TimeUnit.MINUTES.toNanos(10);
    long got = 0;
    while (System.nanoTime() < deadline && p.isAlive()) {
      got = count(sink) - base;
      if (first == 0 && got > 0) {
        first = System.nanoTime();
        cpuFirst = cpuSeconds(p.pid());
        threadsFirst = threadCpu(p.pid());
      }
      if (got >= n) break;
      Thread.sleep(first == 0 ? 10 : 50);
    }
    long end = System.nanoTime();
    double cpuEnd = cpuSeconds(p.pid());
    double firstS = first == 0 ? -1 : (first - t0) / 1e9;
    double drain = first == 0 ? 0 : got / ((end - first) / 1e9);
    double overall = got / ((end - t0) / 1e9);
    System.out.printf(Locale.ROOT, "cold: variant=%s phase=%s events=%d delivered=%d first_request_s=%.2f drain_events_s=%.0f"
            + " events_s_from_start=%.0f cpu_s_to_first=%.2f cpu_us_per_event=%.0f load_avg=%.1f alive=%s%n",
        label, phase, n, got, firstS, drain, overall, cpuFirst, (cpuEnd - cpuFirst) * 1e6 / Math.max(1, got),
        java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), p.isAlive());
    System.out.println("cpu_s_to_first_by_thread: " + threadsFirst);
  }

  /** CPU seconds so far of a process's threads, by kind: JIT compilers, GC, the main thread, Kafka clients, the rest. */
  static String threadCpu(long pid) {
    Map<String, Double> by = new java.util.TreeMap<>();
    try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        String stat = Files.readString(t.resolve("stat"));
        String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        double cpu = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        String kind = comm.startsWith("C2 ") ? "jit_c2" : comm.startsWith("C1 ") ? "jit_c1"
            : comm.startsWith("GC ") || comm.startsWith("G1 ") || comm.startsWith("VM Thread") ? "gc_vm"
            : comm.equals("java") || comm.equals("main") ? "main" : comm.contains("StreamTh") || comm.contains("StateUpd") ? "streams"
            : comm.startsWith("kafka") ? "kafka_clients" : "other";
        by.merge(kind, cpu, Double::sum);
      }
    } catch (Exception e) {
      return "unknown";
    }
    StringBuilder b = new StringBuilder();
    by.forEach((k, v) -> b.append(k).append('=').append(String.format(Locale.ROOT, "%.2f", v)).append(' '));
    return b.toString().trim();
  }

  static long count(String sink) throws Exception {
    String body = HTTP.send(HttpRequest.newBuilder(URI.create(sink + "/_sink/count")).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    return Long.parseLong(body.trim());
  }

  /** utime + stime of a process and its threads so far (USER_HZ 100), 0 if unknown. */
  static double cpuSeconds(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    } catch (Exception e) {
      return 0;
    }
  }

  /** A backlog of {@code n} gzip'd envelopes of {@code body}, spread over {@code routes} (this bench's and DeliveryBench's). */
  static void produce(KafkaCluster kafka, String topic, List<Route> routes, int n, byte[] body) throws Exception {
    java.util.Properties pp = new java.util.Properties();
    pp.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    pp.put(ProducerConfig.ACKS_CONFIG, "all");
    pp.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    pp.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    SpillwayId ids = new SpillwayId();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer())) {
      List<Future<?>> acks = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        long now = System.currentTimeMillis();
        BufferedEvent e = BufferedEvent.builder().id(ids.next(now)).receivedAt(now).route(routes.get(i % routes.size()))
            .kind(EndpointKind.ENVELOPE).path("/api/42/envelope/").contentType("application/x-sentry-envelope")
            .contentEncoding("gzip").userAgent("sentry.java/8.63.0").sentryClient("sentry.java/8.63.0").sentryVersion("7")
            .clientIp("127.0.0.1").eventId("5f0b2c8e9a4d4e6f8a1b3c5d7e9f0a12").body(body).build();
        acks.add(producer.send(Pipeline.record(topic, KafkaForm.encode(e))));
        if (acks.size() >= 5000) {
          for (Future<?> f : acks) f.get(60, TimeUnit.SECONDS);
          acks.clear();
        }
      }
      for (Future<?> f : acks) f.get(60, TimeUnit.SECONDS);
    }
  }
}
