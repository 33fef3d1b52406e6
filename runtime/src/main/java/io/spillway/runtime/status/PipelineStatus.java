package io.spillway.runtime.status;

import io.spillway.schemas.config.HostPort;
import io.spillway.schemas.config.SpillwayConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The pipeline's status, scraped from the three services' admin ports ({@code /metrics} in the
 * Prometheus text format and {@code /readyz}), so the status page and {@code spillway status}
 * need nothing from the services beyond what Prometheus already reads. Keeps the previous
 * snapshot to turn counters into rates; a snapshot younger than {@code minInterval} is reused so
 * that several browsers refreshing at once neither hammer the services nor give rates over a few
 * milliseconds.
 */
public final class PipelineStatus {
  public static final List<String> SERVICES = List.of("edge", "bridge", "delivery");
  /** Every service the page knows, in pipeline order (a datacenter's edge and bridge, the central mirror, delivery). */
  static final List<String> ALL = List.of("edge", "bridge", "mirror", "delivery");

  private final Map<String, URI> admins;
  private final List<String> topics;
  private final String topic;
  private final Duration minInterval;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  private volatile GroupLag groupLag;
  private StatusSnapshot last;

  /**
   * @param admins      service name ({@link #SERVICES}) → its admin base URI ({@code http://host:port}); a
   *                    missing or null entry shows as "unknown"
   * @param topic       the events topic (lag is shown for it only)
   * @param minInterval a snapshot younger than this is reused
   */
  public PipelineStatus(Map<String, URI> admins, String topic, Duration minInterval) {
    this(admins, List.of(topic), minInterval);
  }

  /**
   * @param admins      service name (edge, bridge, mirror, delivery) → its admin base URI; the page shows
   *                    the services present (a null URI shows as "unknown"), in pipeline order
   * @param topics      the topics delivery reads: {@code kafka.topic}, then each datacenter's central copy
   * @param minInterval a snapshot younger than this is reused
   */
  public PipelineStatus(Map<String, URI> admins, List<String> topics, Duration minInterval) {
    if (admins == null) throw new NullPointerException("admins == null");
    if (topics == null || topics.isEmpty()) throw new NullPointerException("topics == null or empty");
    if (minInterval == null) throw new NullPointerException("minInterval == null");
    this.admins = new LinkedHashMap<>();
    for (String s : ALL) if (admins.containsKey(s)) this.admins.put(s, admins.get(s));
    admins.forEach(this.admins::putIfAbsent);
    this.topics = List.copyOf(topics);
    this.topic = topics.get(0);
    this.minInterval = minInterval;
  }

  /** Adds Kafka's own view of the lag (shown next to the consumer's metric); returns this. */
  public PipelineStatus groupLag(GroupLag source) {
    this.groupLag = source;
    return this;
  }

  /**
   * The services the config runs ({@link io.spillway.schemas.config.Role}: central → mirror and
   * delivery, datacenter → edge and bridge, single site → all three) at the admin addresses it names
   * ({@code 0.0.0.0} means loopback; port 0 is unknown), and the topics delivery reads.
   */
  public static PipelineStatus forConfig(SpillwayConfig config) {
    if (config == null) throw new NullPointerException("config == null");
    Map<String, URI> admins = new LinkedHashMap<>();
    for (String service : config.role().services()) {
      HostPort admin = switch (service) {
        case "edge" -> config.edge().admin();
        case "bridge" -> config.bridge().admin();
        case "mirror" -> config.mirror().admin();
        default -> config.delivery().admin();
      };
      admins.put(service, adminUri(admin));
    }
    return new PipelineStatus(admins, config.deliveryTopics(), Duration.ofSeconds(1));
  }

  /** {@code http://host:port} of an admin listener, or null when it was bound to an ephemeral port. */
  public static URI adminUri(HostPort admin) {
    if (admin == null || admin.port() == 0) return null;
    String host = admin.host();
    if (host.equals("0.0.0.0") || host.isEmpty()) host = "127.0.0.1";
    if (host.equals("::") || host.equals("[::]")) host = "[::1]";
    if (host.contains(":") && !host.startsWith("[")) host = "[" + host + "]";
    return URI.create("http://" + host + ":" + admin.port());
  }

  /** The current status: a fresh scrape, or the last one if younger than {@code minInterval}. */
  public synchronized StatusSnapshot snapshot() {
    long now = System.currentTimeMillis();
    if (last != null && now - last.takenAtMillis() < minInterval.toMillis()) return last;
    return refresh();
  }

  /** Scrapes now, whatever the age of the last snapshot. */
  public synchronized StatusSnapshot refresh() {
    Map<String, CompletableFuture<HttpResponse<String>>> metrics = new LinkedHashMap<>();
    Map<String, CompletableFuture<HttpResponse<String>>> ready = new LinkedHashMap<>();
    for (String s : admins.keySet()) {
      URI base = admins.get(s);
      if (base == null) continue;
      metrics.put(s, get(base.resolve("/metrics")));
      ready.put(s, get(base.resolve("/readyz")));
    }
    List<StatusSnapshot.Service> services = new ArrayList<>();
    Map<String, List<Sample>> samples = new LinkedHashMap<>();
    for (String s : admins.keySet()) {
      URI base = admins.get(s);
      if (base == null) {
        services.add(new StatusSnapshot.Service(s, "(admin port not fixed in the config)", StatusSnapshot.Readiness.UNKNOWN, ""));
        samples.put(s, List.of());
        continue;
      }
      HttpResponse<String> r = join(ready.get(s));
      HttpResponse<String> m = join(metrics.get(s));
      StatusSnapshot.Readiness readiness;
      String detail;
      if (r == null) {
        readiness = StatusSnapshot.Readiness.UNREACHABLE;
        detail = "no answer from " + base;
      } else if (r.statusCode() == 200) {
        readiness = StatusSnapshot.Readiness.UP;
        detail = "";
      } else {
        readiness = StatusSnapshot.Readiness.NOT_READY;
        detail = "HTTP " + r.statusCode() + " " + r.body();
      }
      services.add(new StatusSnapshot.Service(s, base.toString(), readiness, detail));
      samples.put(s, m != null && m.statusCode() == 200 ? PrometheusText.parse(m.body()) : List.of());
    }
    last = StatusSnapshot.build(System.currentTimeMillis(), services, samples.getOrDefault("edge", List.of()),
        samples.getOrDefault("bridge", List.of()), samples.getOrDefault("mirror", List.of()), samples.getOrDefault("delivery", List.of()),
        topics, readGroupLag(), last);
    return last;
  }

  /** Kafka's view, or empty (shown as unknown) when there is no source or Kafka did not answer. */
  private List<StatusSnapshot.PartitionLag> readGroupLag() {
    GroupLag source = groupLag;
    if (source == null) return List.of();
    List<StatusSnapshot.PartitionLag> out = new ArrayList<>();
    for (String t : topics) {
      try {
        Map<Integer, Long> lag = t.equals(topic) ? source.read() : source.read(t);
        new java.util.TreeMap<>(lag).forEach((p, v) -> out.add(new StatusSnapshot.PartitionLag(t, p, v)));
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
          break;
        }
        // this topic's figures stay unknown (a copy the mirror has not created yet, Kafka not answering)
      }
    }
    return out;
  }

  private CompletableFuture<HttpResponse<String>> get(URI uri) {
    return http.sendAsync(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(3)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** The answer, or null when the service did not answer (refused, timed out). */
  private static HttpResponse<String> join(CompletableFuture<HttpResponse<String>> f) {
    try {
      return f.join();
    } catch (RuntimeException e) {
      return null;
    }
  }
}
