package io.spillway.runtime.status;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the pipeline looks like at one moment, read from the three services' {@code /metrics} and
 * {@code /readyz}. Figures a service did not report (it is down, or the first scrape has no rate
 * yet) are {@code NaN} and shown as "–", never as 0: a zero would claim something we do not know.
 */
public record StatusSnapshot(
    long takenAtMillis,
    List<Service> services,
    List<Stream> backlog,
    Edge edge,
    Bridge bridge,
    List<PartitionLag> lag,
    List<PartitionLag> groupLag,
    List<Upstream> upstreams,
    Rules rules,
    List<Datacenter> datacenters) {

  public enum Readiness { UP, NOT_READY, UNREACHABLE, UNKNOWN }

  /** A service's {@code /readyz} answer; {@code detail} is its body (services never put secrets there). */
  public record Service(String name, String endpoint, Readiness readiness, String detail) {}

  /** One Redis stream (shard): {@code XLEN}, pending in the bridge's group, age of its first entry. */
  public record Stream(String stream, double length, double pending, double oldestAgeSeconds) {}

  public record Edge(double acceptedTotal, double rejectedTotal, double acceptedPerSecond, double rejectedPerSecond, double inFlight) {}

  public record Bridge(double movedTotal, double movedPerSecond, double deadLetteredTotal) {}

  /** Delivery's consumer lag on one partition of a topic it reads (records behind the log end). */
  public record PartitionLag(String topic, int partition, double lag) {}

  /**
   * One datacenter a central config mirrors: the mirror's figures for it ({@code sourceUp} 1/0,
   * records and age in seconds of the oldest record not copied yet, records lost to a gap, copies
   * written and their rate) and delivery's lag on its central copy {@code topic} (consumer metric
   * and Kafka's view). {@code NaN} where a service did not report.
   */
  public record Datacenter(String name, String topic, double sourceUp, double running, double lagRecords, double lagSeconds,
      double gapRecords, double copiedTotal, double copiedPerSecond, double deliveryLag, double deliveryGroupLag) {
    public boolean gap() {
      return gapRecords > 0;
    }
  }

  /**
   * One upstream's delivery figures; {@code heldUntilEpochSeconds} 0 when no hold is active;
   * {@code pending}: events delivery has taken in from Kafka and not finished (queued, held,
   * retrying, in flight) — Kafka lag does not show them.
   */
  public record Upstream(String name, double okTotal, double heldTotal, double retriedTotal, double dlqTotal,
      double okPerSecond, double heldPerSecond, double retriedPerSecond, double dlqPerSecond,
      double inFlight, double heldUntilEpochSeconds, boolean breakerOpen, double pending) {
    public boolean held(long nowMillis) {
      return heldUntilEpochSeconds * 1000 > nowMillis;
    }
  }

  /** Events filtered at the edge, per route and filter. */
  public record Filtered(String route, String filter, double total, double perSecond) {}

  /** An issue the quota guard is capping now: events dropped in its current window. */
  public record CappedIssue(String route, String issue, String title, double droppedInWindow) {}

  /**
   * What the event rules removed: inbound filters at the edge ({@code spillway_filtered_total}), the
   * quota guard in delivery ({@code spillway_quota_guard_dropped_total} per route, and the issues it
   * caps now, from {@code spillway_quota_guard_capped}, largest first).
   */
  public record Rules(List<Filtered> filtered, Map<String, Double> guardDroppedByRoute, List<CappedIssue> capped) {
    public Rules {
      filtered = List.copyOf(filtered);
      guardDroppedByRoute = Map.copyOf(guardDroppedByRoute);
      capped = List.copyOf(capped);
    }

    static final Rules NONE = new Rules(List.of(), Map.of(), List.of());

    public boolean isEmpty() {
      return filtered.isEmpty() && guardDroppedByRoute.isEmpty() && capped.isEmpty();
    }
  }

  public StatusSnapshot {
    rules = rules == null ? Rules.NONE : rules;
    services = List.copyOf(services);
    backlog = List.copyOf(backlog);
    lag = List.copyOf(lag);
    groupLag = List.copyOf(groupLag);
    upstreams = List.copyOf(upstreams);
    datacenters = List.copyOf(datacenters);
  }

  /** True when one of the services shown is {@code name}. */
  public boolean runs(String name) {
    return services.stream().anyMatch(x -> x.name().equals(name));
  }

  /** The edge, Redis and bridge figures matter only where those run (not at a central site). */
  private boolean buffers() {
    return services.isEmpty() || runs("edge") || runs("bridge");
  }

  /** Entries in all streams ({@code NaN} when the bridge did not report). */
  public double backlogTotal() {
    return backlog.isEmpty() ? Double.NaN : backlog.stream().mapToDouble(Stream::length).sum();
  }

  public double pendingTotal() {
    return backlog.isEmpty() ? Double.NaN : backlog.stream().mapToDouble(Stream::pending).sum();
  }

  public double oldestAgeSeconds() {
    return backlog.isEmpty() ? Double.NaN : backlog.stream().mapToDouble(Stream::oldestAgeSeconds).max().orElse(Double.NaN);
  }

  public double lagTotal() {
    return lag.isEmpty() ? Double.NaN : lag.stream().mapToDouble(PartitionLag::lag).sum();
  }

  /** Kafka's view (log end − committed), {@code NaN} when not available. */
  public double groupLagTotal() {
    return groupLag.isEmpty() ? Double.NaN : groupLag.stream().mapToDouble(PartitionLag::lag).sum();
  }

  // ---- rendering ------------------------------------------------------------------------------

  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

  static String num(double v) {
    if (Double.isNaN(v)) return "–";
    if (Double.isInfinite(v)) return v > 0 ? "+Inf" : "-Inf";
    if (v == Math.rint(v) && Math.abs(v) < 1e15) return String.valueOf((long) v);
    return String.format(Locale.ROOT, "%.1f", v);
  }

  static String rate(double v) {
    return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.1f/s", v);
  }

  private String heldUntil(Upstream u) {
    if (!u.held(takenAtMillis)) return "";
    long until = (long) (u.heldUntilEpochSeconds() * 1000);
    return TIME.format(Instant.ofEpochMilli(until)) + " (in " + Math.max(0, (until - takenAtMillis + 999) / 1000) + " s)";
  }

  /** The terminal view ({@code spillway status}): one screen. */
  public String text() {
    StringBuilder b = new StringBuilder();
    b.append("Spillway status at ").append(TIME.format(Instant.ofEpochMilli(takenAtMillis))).append('\n');
    b.append("\nServices\n");
    for (Service s : services) {
      b.append(String.format(Locale.ROOT, "  %-9s %-12s %s%s%n", s.name(), label(s.readiness()), s.endpoint(),
          s.readiness() == Readiness.UP || s.detail().isEmpty() ? "" : "  " + oneLine(s.detail(), 100)));
    }
    if (buffers()) appendBuffers(b);
    else b.append('\n');
    if (!datacenters.isEmpty()) {
      b.append("Datacenters      source       mirror lag            gap (lost)  copied        delivery lag (Kafka's view / metric)\n");
      for (Datacenter d : datacenters) {
        String source = Double.isNaN(d.sourceUp()) ? "–" : d.sourceUp() > 0 ? "up" : "UNREACHABLE";
        b.append(String.format(Locale.ROOT, "  %-14s %-12s %-21s %-11s %-13s %s / %s  %s%n", d.name(), source,
            num(d.lagRecords()) + " rec, " + num(d.lagSeconds()) + " s", d.gap() ? "GAP " + num(d.gapRecords()) : num(d.gapRecords()),
            rate(d.copiedPerSecond()), num(d.deliveryGroupLag()), num(d.deliveryLag()), d.topic()));
      }
      b.append('\n');
    }
    b.append("Kafka lag       ").append(num(groupLagTotal())).append(" not committed (Kafka's view)");
    for (PartitionLag p : groupLag) b.append("  ").append(shortTopic(p.topic())).append('p').append(p.partition()).append('=').append(num(p.lag()));
    b.append('\n');
    b.append("                ").append(num(lagTotal())).append(" behind delivery's consumer (its metric)");
    for (PartitionLag p : lag) b.append("  ").append(shortTopic(p.topic())).append('p').append(p.partition()).append('=').append(num(p.lag()));
    b.append('\n');
    b.append("\nUpstreams        ok          held        retried     dlq         in flight  pending    state\n");
    for (Upstream u : upstreams) {
      String state = u.held(takenAtMillis) ? "HELD until " + heldUntil(u) : u.breakerOpen() ? "BREAKER OPEN" : "sending";
      b.append(String.format(Locale.ROOT, "  %-14s %-11s %-11s %-11s %-11s %-10s %-10s %s%n", u.name(), rate(u.okPerSecond()),
          rate(u.heldPerSecond()), rate(u.retriedPerSecond()), rate(u.dlqPerSecond()), num(u.inFlight()), num(u.pending()), state));
      b.append(String.format(Locale.ROOT, "  %-14s %-11s %-11s %-11s %-11s (totals)%n", "", num(u.okTotal()),
          num(u.heldTotal()), num(u.retriedTotal()), num(u.dlqTotal())));
    }
    if (upstreams.isEmpty()) b.append("  (delivery reported no upstream)\n");
    if (!rules.isEmpty()) {
      b.append("\nRules           filtered at the edge / dropped by the quota guard\n");
      for (Filtered f : rules.filtered()) {
        b.append(String.format(Locale.ROOT, "  filtered  %-20s %-20s %s (%s total)%n", f.route(), f.filter(), rate(f.perSecond()), num(f.total())));
      }
      rules.guardDroppedByRoute().forEach((route, n) ->
          b.append(String.format(Locale.ROOT, "  guard     %-20s %s dropped%n", route, num(n))));
      for (CappedIssue c : rules.capped()) {
        b.append(String.format(Locale.ROOT, "  capped    %-20s %s dropped this window: %s%n", c.route(), num(c.droppedInWindow()), oneLine(c.title(), 80)));
      }
    }
    return b.toString();
  }

  /** The lines of a site with edges and bridges: Redis backlog, edge and bridge rates. */
  private void appendBuffers(StringBuilder b) {
    b.append("\nRedis backlog   ").append(num(backlogTotal())).append(" entries, ").append(num(pendingTotal()))
        .append(" pending, oldest ").append(num(oldestAgeSeconds())).append(" s\n");
    for (Stream s : backlog) {
      b.append(String.format(Locale.ROOT, "  %-24s %10s entries %8s pending  oldest %s s%n", s.stream(), num(s.length()),
          num(s.pending()), num(s.oldestAgeSeconds())));
    }
    b.append("Edge            accepted ").append(rate(edge.acceptedPerSecond())).append(" (").append(num(edge.acceptedTotal()))
        .append(" total), rejected ").append(rate(edge.rejectedPerSecond())).append(" (").append(num(edge.rejectedTotal()))
        .append(" total), in flight ").append(num(edge.inFlight())).append('\n');
    b.append("Bridge          ").append(rate(bridge.movedPerSecond())).append(" (").append(num(bridge.movedTotal()))
        .append(" moved), dead-lettered ").append(num(bridge.deadLetteredTotal())).append('\n');
  }

  /** The HTML page: one screen, no external assets, refreshes itself every {@code refreshSeconds}. */
  public String html(int refreshSeconds) {
    StringBuilder b = new StringBuilder(8192);
    b.append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<title>Spillway status</title><style>")
        .append("body{font:14px/1.4 system-ui,sans-serif;margin:1em 2em;color:#222}h1{font-size:20px;margin:0 0 .3em}")
        .append("h2{font-size:15px;margin:1em 0 .3em}table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right}")
        .append("th{background:#eee}td:first-child,th:first-child{text-align:left}.fig{font-size:22px;font-weight:600}")
        .append(".cards{display:flex;gap:2em;flex-wrap:wrap}.card{border:1px solid #ccc;border-radius:6px;padding:.5em 1em}")
        .append(".up .state{color:#080}.not-ready .state,.unreachable .state{color:#c00;font-weight:600}")
        .append("tr.held{background:#fde7c7}tr.held .state{color:#b45309;font-weight:600}.muted{color:#777}")
        .append("</style></head><body>");
    b.append("<h1>Spillway status</h1><div class=\"muted\" id=\"taken-at\" data-value=\"").append(takenAtMillis).append("\">")
        .append(TIME.format(Instant.ofEpochMilli(takenAtMillis))).append(" · refreshes every ").append(refreshSeconds).append(" s</div>");

    b.append("<h2>Services</h2><table id=\"services\"><tr><th>service</th><th>state</th><th>admin</th><th>detail</th></tr>");
    for (Service s : services) {
      b.append("<tr class=\"service ").append(css(s.readiness())).append("\" data-service=\"").append(esc(s.name())).append("\"><td>")
          .append(esc(s.name())).append("</td><td class=\"state\">").append(label(s.readiness())).append("</td><td>")
          .append(esc(s.endpoint())).append("</td><td class=\"detail\">")
          .append(s.readiness() == Readiness.UP ? "" : esc(oneLine(s.detail(), 300))).append("</td></tr>");
    }
    b.append("</table>");

    b.append("<div class=\"cards\">");
    if (buffers()) {
      card(b, "Redis backlog", "backlog", backlogTotal(), "entries");
      card(b, "pending in group", "pending", pendingTotal(), "entries");
      card(b, "oldest waiting", "oldest-age", oldestAgeSeconds(), "s");
    }
    card(b, "Kafka lag, not committed", "group-lag-total", groupLagTotal(), "records");
    card(b, "consumer lag (metric)", "lag-total", lagTotal(), "records");
    if (buffers()) {
      cardRate(b, "edge accepted", "edge-accepted-rate", edge.acceptedPerSecond(), edge.acceptedTotal());
      cardRate(b, "edge rejected", "edge-rejected-rate", edge.rejectedPerSecond(), edge.rejectedTotal());
      cardRate(b, "bridge to Kafka", "bridge-rate", bridge.movedPerSecond(), bridge.movedTotal());
    }
    b.append("</div>");

    if (!datacenters.isEmpty()) {
      b.append("<h2>Datacenters</h2><table id=\"datacenters\"><tr><th>datacenter</th><th>source</th><th>mirror lag (records)</th>")
          .append("<th>oldest not copied (s)</th><th>gap: records lost</th><th>copied</th><th>delivery lag (Kafka's view)</th>")
          .append("<th>delivery lag (metric)</th><th>central copy</th></tr>");
      for (Datacenter d : datacenters) {
        String source = Double.isNaN(d.sourceUp()) ? "–" : d.sourceUp() > 0 ? "up" : "UNREACHABLE";
        b.append("<tr class=\"datacenter").append(d.gap() ? " gap" : "").append(d.sourceUp() == 0 ? " unreachable" : "")
            .append("\" data-datacenter=\"").append(esc(d.name())).append("\"><td>").append(esc(d.name()))
            .append("</td><td class=\"state\">").append(source).append("</td>");
        cell(b, "mirror-lag", d.lagRecords());
        cell(b, "mirror-lag-seconds", d.lagSeconds());
        b.append("<td class=\"gap-records\" data-value=\"").append(num(d.gapRecords())).append("\">")
            .append(d.gap() ? "GAP: " + num(d.gapRecords()) + " lost" : num(d.gapRecords())).append("</td>");
        rateCell(b, "copied", d.copiedPerSecond(), d.copiedTotal());
        cell(b, "delivery-group-lag", d.deliveryGroupLag());
        cell(b, "delivery-lag", d.deliveryLag());
        b.append("<td>").append(esc(d.topic())).append("</td></tr>");
      }
      b.append("</table><div class=\"muted\">mirror lag: records of the datacenter's topic not in the central copy yet; ")
          .append("a gap is records its retention deleted before they were copied (docs/multi-dc.md)</div>");
    }

    if (buffers()) {
      b.append("<h2>Redis streams</h2><table id=\"streams\"><tr><th>stream</th><th>length</th><th>pending</th><th>oldest (s)</th></tr>");
      for (Stream s : backlog) {
        b.append("<tr class=\"stream\" data-stream=\"").append(esc(s.stream())).append("\"><td>").append(esc(s.stream()))
            .append("</td><td class=\"length\" data-value=\"").append(num(s.length())).append("\">").append(num(s.length()))
            .append("</td><td>").append(num(s.pending())).append("</td><td>").append(num(s.oldestAgeSeconds())).append("</td></tr>");
      }
      b.append("</table><div class=\"muted\">edge in flight ").append(num(edge.inFlight())).append(", bridge dead-lettered ")
          .append(num(bridge.deadLetteredTotal())).append("</div>");
    }

    b.append("<h2>Kafka lag per partition</h2><table id=\"lag\"><tr><th>topic</th><th>partition</th>")
        .append("<th>consumer lag (metric)</th><th>not committed (Kafka's view)</th></tr>");
    Map<String, Map<Integer, double[]>> parts = new java.util.LinkedHashMap<>();
    for (PartitionLag p : lag) {
      parts.computeIfAbsent(p.topic(), k -> new TreeMap<>()).computeIfAbsent(p.partition(), k -> new double[] {Double.NaN, Double.NaN})[0] = p.lag();
    }
    for (PartitionLag p : groupLag) {
      parts.computeIfAbsent(p.topic(), k -> new TreeMap<>()).computeIfAbsent(p.partition(), k -> new double[] {Double.NaN, Double.NaN})[1] = p.lag();
    }
    // One row per topic and partition; the topic is the first cell (the row's attributes are as before several topics).
    parts.forEach((topicName, byPartition) -> byPartition.forEach((partition, v) -> b.append("<tr class=\"partition\" data-partition=\"")
        .append(partition).append("\"><td>")
        .append(esc(topicName)).append("</td><td>").append(partition).append("</td><td class=\"lag\" data-value=\"").append(num(v[0]))
        .append("\">").append(num(v[0])).append("</td><td class=\"group-lag\" data-value=\"").append(num(v[1])).append("\">")
        .append(num(v[1])).append("</td></tr>")));
    b.append("</table>");

    b.append("<h2>Upstreams</h2><table id=\"upstreams\"><tr><th>upstream</th><th>state</th><th>held until</th><th>ok</th>")
        .append("<th>held</th><th>retried</th><th>dlq</th><th>in flight</th><th>pending</th></tr>");
    for (Upstream u : upstreams) {
      boolean held = u.held(takenAtMillis);
      b.append("<tr class=\"upstream").append(held ? " held" : "").append(u.breakerOpen() ? " breaker-open" : "")
          .append("\" data-upstream=\"").append(esc(u.name())).append("\"><td>").append(esc(u.name())).append("</td><td class=\"state\">")
          .append(held ? "HELD" : u.breakerOpen() ? "breaker open" : "sending").append("</td><td class=\"held-until\" data-value=\"")
          .append(num(u.heldUntilEpochSeconds())).append("\">").append(esc(heldUntil(u))).append("</td>");
      rateCell(b, "ok", u.okPerSecond(), u.okTotal());
      rateCell(b, "held-count", u.heldPerSecond(), u.heldTotal());
      rateCell(b, "retried", u.retriedPerSecond(), u.retriedTotal());
      rateCell(b, "dlq", u.dlqPerSecond(), u.dlqTotal());
      b.append("<td class=\"in-flight\">").append(num(u.inFlight())).append("</td>");
      b.append("<td class=\"pending\" data-value=\"").append(num(u.pending())).append("\">").append(num(u.pending())).append("</td></tr>");
    }
    b.append("</table><div class=\"muted\">rates per second since the previous scrape; totals since each service started</div>");
    if (!rules.isEmpty()) {
      b.append("<h2>Filtered and capped</h2><table id=\"filtered\"><tr><th>route</th><th>filter</th><th>filtered at the edge</th></tr>");
      for (Filtered f : rules.filtered()) {
        b.append("<tr class=\"filtered\" data-route=\"").append(esc(f.route())).append("\" data-filter=\"").append(esc(f.filter()))
            .append("\"><td>").append(esc(f.route())).append("</td><td>").append(esc(f.filter())).append("</td>");
        rateCell(b, "count", f.perSecond(), f.total());
        b.append("</tr>");
      }
      b.append("</table><table id=\"capped\"><tr><th>route</th><th>issue being capped</th><th>dropped this window</th></tr>");
      for (CappedIssue c : rules.capped()) {
        b.append("<tr class=\"capped\" data-route=\"").append(esc(c.route())).append("\" data-issue=\"").append(esc(c.issue()))
            .append("\"><td>").append(esc(c.route())).append("</td><td>").append(esc(oneLine(c.title(), 120))).append("</td><td data-value=\"")
            .append(num(c.droppedInWindow())).append("\">").append(num(c.droppedInWindow())).append("</td></tr>");
      }
      b.append("</table><div class=\"muted\">quota guard dropped per route: ");
      rules.guardDroppedByRoute().forEach((route, n) -> b.append(esc(route)).append(" ").append(num(n)).append("; "));
      b.append("</div>");
    }
    // Refresh in place with a fetch of this same page rather than a meta refresh: a reload
    // flickers, and a navigation pending at any moment keeps headless Chromium's --dump-dom
    // from ever finishing (seen here). Without JavaScript the page is still complete, just static.
    b.append("<script>setInterval(function(){fetch(location.href,{cache:'no-store'}).then(function(r){return r.text()})")
        .append(".then(function(t){var d=new DOMParser().parseFromString(t,'text/html');document.body.innerHTML=d.body.innerHTML})")
        .append(".catch(function(){var e=document.getElementById('taken-at');if(e&&e.textContent.indexOf('unreachable')<0)")
        .append("e.textContent+=' · status page unreachable'})},").append(refreshSeconds * 1000L).append(");</script>");
    b.append("</body></html>\n");
    return b.toString();
  }

  private static void card(StringBuilder b, String title, String id, double v, String unit) {
    b.append("<div class=\"card\"><div>").append(title).append("</div><span class=\"fig\" id=\"").append(id)
        .append("\" data-value=\"").append(num(v)).append("\">").append(num(v)).append("</span> ").append(unit).append("</div>");
  }

  private static void cardRate(StringBuilder b, String title, String id, double perSecond, double total) {
    b.append("<div class=\"card\"><div>").append(title).append("</div><span class=\"fig\" id=\"").append(id)
        .append("\" data-value=\"").append(num(perSecond)).append("\">").append(rate(perSecond)).append("</span> <span id=\"")
        .append(id.replace("-rate", "-total")).append("\" data-value=\"").append(num(total)).append("\">(")
        .append(num(total)).append(" total)</span></div>");
  }

  private static void cell(StringBuilder b, String cls, double v) {
    b.append("<td class=\"").append(cls).append("\" data-value=\"").append(num(v)).append("\">").append(num(v)).append("</td>");
  }

  /** A datacenter's copy {@code dc1.spillway.events} as {@code dc1:} in the one-line lag lists; the events topic as nothing. */
  private String shortTopic(String topic) {
    for (Datacenter d : datacenters) if (d.topic().equals(topic)) return d.name() + ":";
    return "";
  }

  private static void rateCell(StringBuilder b, String cls, double perSecond, double total) {
    b.append("<td class=\"").append(cls).append("\" data-value=\"").append(num(total)).append("\">").append(rate(perSecond))
        .append(" <span class=\"muted\">(").append(num(total)).append(")</span></td>");
  }

  private static String label(Readiness r) {
    return switch (r) {
      case UP -> "up";
      case NOT_READY -> "NOT READY";
      case UNREACHABLE -> "UNREACHABLE";
      case UNKNOWN -> "unknown";
    };
  }

  private static String css(Readiness r) {
    return switch (r) {
      case UP -> "up";
      case NOT_READY -> "not-ready";
      case UNREACHABLE -> "unreachable";
      case UNKNOWN -> "unknown";
    };
  }

  static String oneLine(String s, int max) {
    String t = s.replaceAll("\\s+", " ").trim();
    return t.length() <= max ? t : t.substring(0, max) + "…";
  }

  static String esc(String s) {
    return io.spillway.runtime.Html.escape(s);
  }

  // ---- building from scrapes ------------------------------------------------------------------

  /**
   * Builds a snapshot from each service's parsed scrape (absent when it did not answer) and the
   * previous snapshot (for rates; null on the first scrape). {@code topic} limits the lag to the
   * events topic: Kafka Streams' restore consumer reports lags on changelog topics too.
   */
  static StatusSnapshot build(long now, List<Service> services, List<Sample> edge, List<Sample> bridge, List<Sample> delivery,
      String topic, List<PartitionLag> groupLag, StatusSnapshot previous) {
    return build(now, services, edge, bridge, List.of(), delivery, topic == null ? List.of() : List.of(topic), groupLag, previous);
  }

  /**
   * As above for a config whose delivery reads several topics: {@code topics} is {@code kafka.topic}
   * then each datacenter's central copy ({@code <dc>.<topic>}); {@code mirror} is the mirror's scrape.
   */
  static StatusSnapshot build(long now, List<Service> services, List<Sample> edge, List<Sample> bridge, List<Sample> mirror,
      List<Sample> delivery, List<String> topics, List<PartitionLag> groupLag, StatusSnapshot previous) {
    String topic = topics.isEmpty() ? null : topics.get(0);
    double dt = previous == null ? Double.NaN : (now - previous.takenAtMillis()) / 1000.0;

    Map<String, double[]> streams = new TreeMap<>();
    for (Sample s : bridge) {
      int idx = switch (s.name()) {
        case "spillway_bridge_redis_backlog_length" -> 0;
        case "spillway_bridge_redis_backlog_pending" -> 1;
        case "spillway_bridge_redis_backlog_oldest_age_seconds" -> 2;
        default -> -1;
      };
      if (idx < 0 || Double.isNaN(s.value())) continue;
      double[] v = streams.computeIfAbsent(s.label("stream"), k -> new double[] {Double.NaN, Double.NaN, Double.NaN});
      // Several bridges report the same stream's figures: they are one stream, not a sum.
      v[idx] = Double.isNaN(v[idx]) ? s.value() : Math.max(v[idx], s.value());
    }
    List<Stream> backlog = new ArrayList<>();
    streams.forEach((k, v) -> backlog.add(new Stream(k, v[0], v[1], v[2])));

    // Micrometer registers a labelled counter at its first increment: a service that answered
    // but has no such series yet has counted 0 of them, which is known, unlike a silent service.
    double accepted = known(edge, sum(edge, "spillway_edge_accepted_total"));
    double rejected = known(edge, sum(edge, "spillway_edge_rejected_total"));
    Edge e = new Edge(accepted, rejected,
        rate(accepted, previous == null ? Double.NaN : previous.edge().acceptedTotal(), dt),
        rate(rejected, previous == null ? Double.NaN : previous.edge().rejectedTotal(), dt),
        sum(edge, "spillway_edge_in_flight"));

    double moved = known(bridge, sum(bridge, "spillway_bridge_entries_moved_total"));
    Bridge br = new Bridge(moved, rate(moved, previous == null ? Double.NaN : previous.bridge().movedTotal(), dt),
        known(bridge, sum(bridge, "spillway_bridge_dead_lettered_total")));

    Map<String, Map<Integer, Double>> lags = new TreeMap<>();
    for (Sample s : delivery) {
      if (!s.name().equals("kafka_consumer_fetch_manager_records_lag") || Double.isNaN(s.value())) continue;
      String t = s.label("topic");
      // Kafka's fetch metrics write the topic with '.' replaced by '_'.
      String known = null;
      for (String candidate : topics) if (t.equals(candidate) || t.equals(candidate.replace('.', '_'))) known = candidate;
      if (topic != null && known == null) continue;
      int partition;
      try {
        partition = Integer.parseInt(s.label("partition"));
      } catch (NumberFormatException ex) {
        continue;
      }
      lags.computeIfAbsent(known != null ? known : t, k -> new TreeMap<>()).merge(partition, s.value(), Math::max);
    }
    List<PartitionLag> lag = new ArrayList<>();
    lags.forEach((t, m) -> m.forEach((p, v) -> lag.add(new PartitionLag(t, p, v))));

    Map<String, double[]> ups = new TreeMap<>();
    for (Sample s : delivery) {
      int idx = switch (s.name()) {
        case "spillway_delivery_ok_total" -> 0;
        case "spillway_delivery_held_total" -> 1;
        case "spillway_delivery_retried_total" -> 2;
        case "spillway_delivery_dlq_total" -> 3;
        case "spillway_delivery_in_flight" -> 4;
        case "spillway_delivery_held_until_seconds" -> 5;
        case "spillway_delivery_breaker_open" -> 6;
        case "spillway_delivery_pending" -> 7;
        default -> -1;
      };
      if (idx < 0 || !s.labels().containsKey("upstream") || Double.isNaN(s.value())) continue;
      double[] v = ups.computeIfAbsent(s.label("upstream"), k -> new double[8]);
      if (idx == 5 || idx == 6) v[idx] = Math.max(v[idx], s.value()); // latest hold / any breaker open
      else v[idx] += s.value();
    }
    Map<String, Upstream> before = new TreeMap<>();
    if (previous != null) previous.upstreams().forEach(u -> before.put(u.name(), u));
    List<Upstream> upstreams = new ArrayList<>();
    ups.forEach((name, v) -> {
      Upstream p = before.get(name);
      upstreams.add(new Upstream(name, v[0], v[1], v[2], v[3],
          rate(v[0], p == null ? Double.NaN : p.okTotal(), dt), rate(v[1], p == null ? Double.NaN : p.heldTotal(), dt),
          rate(v[2], p == null ? Double.NaN : p.retriedTotal(), dt), rate(v[3], p == null ? Double.NaN : p.dlqTotal(), dt),
          v[4], v[5], v[6] > 0, v[7]));
    });
    List<Datacenter> datacenters = new ArrayList<>();
    for (int i = 1; i < topics.size(); i++) {
      String copy = topics.get(i);
      String dc = copy.endsWith("." + topic) ? copy.substring(0, copy.length() - topic.length() - 1) : copy;
      double copied = known(mirror, sumWhere(mirror, "spillway_mirror_records_total", "datacenter", dc));
      Datacenter p = null;
      if (previous != null) for (Datacenter d : previous.datacenters()) if (d.name().equals(dc)) p = d;
      datacenters.add(new Datacenter(dc, copy, sumWhere(mirror, "spillway_mirror_source_up", "datacenter", dc),
          sumWhere(mirror, "spillway_mirror_running", "datacenter", dc),
          sumWhere(mirror, "spillway_mirror_lag_records", "datacenter", dc), sumWhere(mirror, "spillway_mirror_lag_seconds", "datacenter", dc),
          known(mirror, sumWhere(mirror, "spillway_mirror_gap_records_total", "datacenter", dc)), copied,
          rate(copied, p == null ? Double.NaN : p.copiedTotal(), dt),
          lag.stream().filter(x -> x.topic().equals(copy)).mapToDouble(PartitionLag::lag).reduce(Double::sum).orElse(Double.NaN),
          groupLag.stream().filter(x -> x.topic().equals(copy)).mapToDouble(PartitionLag::lag).reduce(Double::sum).orElse(Double.NaN)));
    }
    return new StatusSnapshot(now, services, backlog, e, br, lag, groupLag, upstreams, rules(edge, delivery, previous, dt),
        datacenters);
  }


  /** Filtered events (edge) and the quota guard's drops and capped issues (delivery). */
  static Rules rules(List<Sample> edge, List<Sample> delivery, StatusSnapshot previous, double dt) {
    Map<String, Double> filtered = new TreeMap<>();
    for (Sample s : edge) {
      if (!s.name().equals("spillway_filtered_total") || Double.isNaN(s.value())) continue;
      filtered.merge(s.label("route") + "\0" + s.label("filter"), s.value(), Double::sum);
    }
    Map<String, Double> before = new TreeMap<>();
    if (previous != null) previous.rules().filtered().forEach(f -> before.put(f.route() + "\0" + f.filter(), f.total()));
    List<Filtered> fs = new ArrayList<>();
    filtered.forEach((k, v) -> {
      String[] rf = k.split("\0", 2);
      fs.add(new Filtered(rf[0], rf[1], v, rate(v, before.getOrDefault(k, Double.NaN), dt)));
    });
    Map<String, Double> guard = new TreeMap<>();
    List<CappedIssue> capped = new ArrayList<>();
    for (Sample s : delivery) {
      if (Double.isNaN(s.value())) continue;
      if (s.name().equals("spillway_quota_guard_dropped_total")) guard.merge(s.label("route"), s.value(), Double::sum);
      if (s.name().equals("spillway_quota_guard_capped")) {
        capped.add(new CappedIssue(s.label("route"), s.label("issue"), s.label("title"), s.value()));
      }
    }
    capped.sort((a, b) -> Double.compare(b.droppedInWindow(), a.droppedInWindow()));
    return new Rules(fs, guard, capped.subList(0, Math.min(10, capped.size())));
  }

  /** 0 for a series a reporting service does not have yet; {@code NaN} stays when it reported nothing. */
  static double known(List<Sample> scrape, double v) {
    return Double.isNaN(v) && !scrape.isEmpty() ? 0 : v;
  }

  /** Sum over the series whose {@code label} is {@code value}, {@code NaN} when there is none. */
  static double sumWhere(List<Sample> samples, String name, String label, String value) {
    double total = Double.NaN;
    for (Sample s : samples) {
      if (!s.name().equals(name) || !value.equals(s.label(label)) || Double.isNaN(s.value())) continue;
      total = Double.isNaN(total) ? s.value() : total + s.value();
    }
    return total;
  }

  /** Sum over every label set, {@code NaN} when the series is absent. */
  static double sum(List<Sample> samples, String name) {
    double total = Double.NaN;
    for (Sample s : samples) {
      if (!s.name().equals(name) || Double.isNaN(s.value())) continue;
      total = Double.isNaN(total) ? s.value() : total + s.value();
    }
    return total;
  }

  /** Per second between two totals; a total that went down is a restarted service (count from 0). */
  static double rate(double now, double before, double dtSeconds) {
    if (Double.isNaN(now) || Double.isNaN(dtSeconds) || dtSeconds <= 0) return Double.NaN;
    if (Double.isNaN(before)) return Double.NaN;
    double delta = now >= before ? now - before : now;
    return delta / dtSeconds;
  }
}
