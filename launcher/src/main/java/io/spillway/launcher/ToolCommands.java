package io.spillway.launcher;

import io.spillway.delivery.tools.Bound;
import io.spillway.delivery.tools.DeadLetters;
import io.spillway.delivery.tools.Replay;
import io.spillway.delivery.tools.ReplayWatch;
import io.spillway.runtime.status.PipelineStatus;
import io.spillway.schemas.Route;
import io.spillway.schemas.config.HostPort;
import io.spillway.schemas.config.MirrorConfig;
import io.spillway.schemas.config.SpillwayConfig;
import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code spillway replay} and {@code spillway dlq list|stats|show|redrive}: thin shells over delivery's tools. */
final class ToolCommands {
  private ToolCommands() {}

  @Command(name = "replay", description = {
      "Re-deliver a range of kafka.topic: the selected events are written again to the topic, so the running",
      "delivery sends them under its normal rules and rate limits. The originals are never changed.",
      "With --route or --upstream only those destinations get them again (copy_to destinations included).",
      "A large event is replayed whole when its first piece is in the range.",
      "With --datacenter DC (central config) the range is read from DC's central copy <DC>.<topic>; the copies go to kafka.topic.",
      "FROM/TO: " + Bound.SYNTAX + ".",
      "FROM is inclusive, TO exclusive; TO defaults to now.",
      "Exit code: 0 done (with --wait: every event delivered), 1 failed (with --wait: some dead-lettered, dropped",
      "or still pending), 2 bad usage or config."})
  static final class ReplayCommand implements Callable<Integer> {
    @CommandLine.Mixin Spillway.ConfigOption options;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--from", required = true, paramLabel = "FROM", description = "start (inclusive)")
    String from;

    @Option(names = "--to", defaultValue = "now", paramLabel = "TO", description = "end (exclusive; default: ${DEFAULT-VALUE})")
    String to;

    @Option(names = {"-r", "--route"}, paramLabel = "ROUTE", description = "only to this destination route (upstream/project)")
    String route;

    @Option(names = {"-u", "--upstream"}, paramLabel = "UPSTREAM", description = "only to this upstream's destinations")
    String upstream;

    @Option(names = "--dry-run", description = "count what would be replayed, send nothing")
    boolean dryRun;

    @Option(names = {"-d", "--datacenter"}, paramLabel = "DC", description = "replay this datacenter's events (mirror.sources.DC)")
    String datacenter;

    @Option(names = "--rate", paramLabel = "N", description = "write at most N events per second (default: as fast as Kafka takes them)")
    Double rate;

    @Option(names = "--wait", description = "follow the replayed events through delivery and end with a summary")
    boolean await;

    @Option(names = "--wait-timeout", paramLabel = "SECONDS", defaultValue = "600",
        description = "give up following after this long (default: ${DEFAULT-VALUE})")
    long waitTimeout;

    @Option(names = "--admin", paramLabel = "HOST:PORT",
        description = "a delivery instance's admin address to follow the replay on (repeat for each instance; default: delivery.admin)")
    List<String> admins = new ArrayList<>();

    @Override
    public Integer call() {
      if (rate != null && !(rate > 0)) throw new IllegalArgumentException("--rate must be above 0, got " + rate);
      if (await && dryRun) throw new IllegalArgumentException("--wait follows what was sent: not with --dry-run");
      if (waitTimeout < 1) throw new IllegalArgumentException("--wait-timeout must be at least 1 second");
      SpillwayConfig c = options.load();
      String source = source(c, datacenter);
      Instant now = Instant.now();
      Replay.Selection selection = new Replay.Selection(route == null ? null : Route.parse(route), upstream);
      if (upstream != null && !c.upstreams().containsKey(upstream)) {
        throw new IllegalArgumentException("--upstream " + upstream + ": no such upstream in the config (" + String.join(", ", c.upstreams().keySet()) + ")");
      }
      if (route != null && c.routes().project(Route.parse(route)).isEmpty()) {
        throw new IllegalArgumentException("--route " + route + ": no such route in the config");
      }
      List<URI> followOn = await ? adminUris(c, admins) : List.of();
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      Replay.Request request = Replay.Request.of(Bound.parse(from, now), Bound.parse(to, now), selection).dryRun(dryRun)
          .rate(rate == null ? 0 : rate).source(source);
      Replay.Summary s;
      try {
        s = Replay.run(c, request, progressLine(err));
      } catch (IllegalArgumentException e) {
        if (datacenter == null || !String.valueOf(e.getMessage()).startsWith("topic " + source + " ")) throw e;
        throw new IllegalArgumentException("--datacenter " + datacenter + ": its central copy " + source + " does not exist on "
            + c.kafka().bootstrapServers() + " (has the mirror run? spillway mirror --config ...)", e);
      }
      err.println();
      out.println(summary(s, c));
      out.flush();
      if (!await) return 0;
      if (s.deliveries() == 0) {
        out.println("nothing to follow");
        out.flush();
        return 0;
      }
      ReplayWatch.Outcome o = ReplayWatch.follow(c, s, followOn, Duration.ofSeconds(waitTimeout), progressLine(err));
      err.println();
      out.println(outcome(o));
      out.flush();
      return o.ok() + o.dropped() >= o.expected() && o.unreachable().isEmpty() ? 0 : 1;
    }

    /** The topic to replay: kafka.topic, or with {@code --datacenter} that datacenter's central copy. */
    static String source(SpillwayConfig c, String datacenter) {
      if (datacenter == null) return c.kafka().topic();
      if (!c.mirror().sources().containsKey(datacenter)) {
        throw new IllegalArgumentException("--datacenter " + datacenter + ": no such datacenter under mirror.sources"
            + (c.mirror().sources().isEmpty() ? " (this config mirrors none: replay --datacenter needs the central config)"
                : " (" + String.join(", ", c.mirror().sources().keySet()) + ")"));
      }
      return MirrorConfig.remoteTopic(datacenter, c.kafka().topic());
    }

    static String summary(Replay.Summary s, SpillwayConfig c) {
      StringBuilder b = new StringBuilder();
      b.append(s.dryRun()
          ? "dry run: " + s.selected() + " events (" + s.records() + " records) would be replayed, of " + s.scanned() + " records read (nothing sent)"
          : "replay " + s.replayId() + ": " + s.selected() + " events selected, " + s.sent() + " records sent to " + c.kafka().topic()
              + " (" + s.scanned() + " read)");
      if (s.skippedCopies() > 0) b.append("\n  skipped ").append(s.skippedCopies()).append(" copies of earlier replays");
      if (s.skippedPieces() > 0) b.append("\n  skipped ").append(s.skippedPieces()).append(" pieces of large events that begin before --from");
      if (s.incomplete() > 0) b.append("\n  ").append(s.incomplete()).append(" large events begin in the range but not all their pieces were found");
      b.append("\n  offsets read from ").append(s.source()).append(": ").append(String.join(" ", s.ranges()));
      if (!s.dryRun()) {
        b.append("\n  delivery now sends them under its rules (").append(s.deliveries()).append(" deliveries): follow with --wait, ")
            .append("spillway_delivery_replay_total{replay=\"").append(s.replayId()).append("\"}; copies that fail go to the DLQ with header ")
            .append(Replay.HEADER).append('=').append(s.replayId());
      }
      return b.toString();
    }

    static String outcome(ReplayWatch.Outcome o) {
      StringBuilder b = new StringBuilder();
      b.append(o.finished() ? "replay finished: " : "replay not finished: ").append(o.ok()).append(" delivered, ")
          .append(o.deadLettered()).append(" dead-lettered, ").append(o.dropped()).append(" dropped by the quota guard, ")
          .append(o.pending()).append(" still pending, of ").append(o.expected())
          .append("\n  upstream answers on the way: ").append(o.held()).append(" held (429 / rate limits), ").append(o.retried()).append(" retried");
      if (o.deadLettered() > 0) b.append("\n  dead letters: spillway dlq list --from <replay start> (header ").append(Replay.HEADER).append(')');
      for (String u : o.unreachable()) b.append("\n  not answering: ").append(u);
      return b.toString();
    }

    /** The delivery admin addresses to follow a replay on: {@code --admin}, else {@code delivery.admin}. */
    static List<URI> adminUris(SpillwayConfig c, List<String> given) {
      List<URI> out = new ArrayList<>();
      for (String a : given) {
        URI u = PipelineStatus.adminUri(HostPort.parse(a));
        if (u == null) throw new IllegalArgumentException("--admin " + a + ": needs a fixed port");
        out.add(u);
      }
      if (out.isEmpty()) {
        URI u = PipelineStatus.adminUri(c.delivery().admin());
        if (u == null) throw new IllegalArgumentException("--wait reads delivery's /metrics, but delivery.admin has no fixed port: "
            + "give it one, or pass --admin HOST:PORT for each delivery instance");
        out.add(u);
      }
      return out;
    }
  }

  @Command(name = "dlq", description = {
      "Dead letters in kafka.dlq_topic: list, stats, show, redrive. The DLQ is only read, never changed.",
      "Time bounds (--from/--to) select when records were dead-lettered: " + Bound.SYNTAX + "."},
      subcommands = {ToolCommands.DlqList.class, ToolCommands.DlqStats.class, ToolCommands.DlqShow.class, ToolCommands.DlqRedrive.class})
  static final class DlqCommand implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      return Spillway.missingCommand(spec);
    }
  }

  /** Which dead letters: options shared by list, stats and redrive. */
  static class QueryOptions {
    @Option(names = "--from", paramLabel = "FROM", description = "dead-lettered at or after (default: the oldest)")
    String from;

    @Option(names = "--to", paramLabel = "TO", description = "dead-lettered before (default: now)")
    String to;

    @Option(names = {"-r", "--route"}, paramLabel = "ROUTE", description = "only this destination route (upstream/project)")
    String route;

    @Option(names = {"-u", "--upstream"}, paramLabel = "UPSTREAM", description = "only this upstream's destinations")
    String upstream;

    @Option(names = "--reason", paramLabel = "REASON",
        description = "only this reason (http_400, expired, unknown_route, undecodable, unsendable, incomplete, ...)")
    String reason;

    DeadLetters.Query query() {
      Instant now = Instant.now();
      return new DeadLetters.Query(route, upstream, reason, from == null ? null : Bound.parse(from, now), to == null ? null : Bound.parse(to, now));
    }
  }

  @Command(name = "list", description = {
      "A page of dead letters, oldest first per partition: id, time, destination, reason, status, size, detail, event id, redriven.",
      "A large event is one line (its size and pieces). Reads only the range and the page, never the whole DLQ."})
  static final class DlqList implements Callable<Integer> {
    @CommandLine.Mixin Spillway.ConfigOption options;
    @CommandLine.Mixin QueryOptions query;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "" + DeadLetters.DEFAULT_LIMIT, description = "entries per page (default: ${DEFAULT-VALUE})")
    int limit;

    @Option(names = "--after", paramLabel = "ID", description = "the page after this entry (the last ID of the previous page)")
    String after;

    @Override
    public Integer call() {
      DeadLetters.Page page = DeadLetters.list(options.load(), query.query(), after, limit);
      PrintWriter out = spec.commandLine().getOut();
      out.print(table(page.entries()));
      out.print(page.entries().size() + " dead letter(s)");
      out.println(page.next() == null ? "" : "; next page: --after " + page.next());
      out.flush();
      return 0;
    }

    static String table(List<DeadLetters.Entry> entries) {
      StringBuilder b = new StringBuilder();
      String fmt = "%-11s %-20s %-24s %-14s %-6s %-18s %-30s %-32s %s%n";
      b.append(String.format(fmt, "ID", "DEAD-LETTERED", "DESTINATION", "REASON", "STATUS", "SIZE", "DETAIL", "EVENT ID", "REDRIVEN"));
      for (DeadLetters.Entry e : entries) {
        String destination = dash(e.destination()) + (e.route() != null && !e.route().equals(e.destination()) ? " (copy)" : "");
        b.append(String.format(fmt, e.id(), time(e.deadAt()),
            destination, dash(e.reason()), dash(e.status()), size(e), cut(dash(e.detail()), 30), dash(e.eventId()), e.redriven() ? "yes" : "no"));
      }
      return b.toString();
    }

    static String size(DeadLetters.Entry e) {
      String s = bytes(e.size());
      if (e.pieces() == 0) return s;
      return s + " " + (e.complete() ? e.pieces() + " pcs" : e.piecesFound() + "/" + e.pieces() + " pcs");
    }
  }

  @Command(name = "stats", description = {
      "Dead letters counted by destination and reason (a large event counts once), with bytes, redriven and",
      "first/last time. Reads every record of the range once, keeps no body."})
  static final class DlqStats implements Callable<Integer> {
    @CommandLine.Mixin Spillway.ConfigOption options;
    @CommandLine.Mixin QueryOptions query;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter err = spec.commandLine().getErr();
      DeadLetters.Stats s = DeadLetters.stats(options.load(), query.query(), progressLine(err));
      err.println();
      PrintWriter out = spec.commandLine().getOut();
      String fmt = "%-28s %-16s %10s %10s %10s %-20s %s%n";
      out.printf(fmt, "DESTINATION", "REASON", "COUNT", "SIZE", "REDRIVEN", "FIRST", "LAST");
      for (DeadLetters.Stat r : s.rows()) {
        out.printf(fmt, dash(r.destination()), dash(r.reason()), r.entries(), bytes(r.bytes()), r.redriven(), time(r.firstAt()), time(r.lastAt()));
      }
      out.printf("%d dead letter(s) in %d records, %d redriven; %d records read (%s)%n", s.entries(), s.records(), s.redriven(), s.scanned(),
          String.join(" ", s.ranges()));
      if (s.orphanPieces() > 0) out.printf("  %d pieces of large events that begin before --from are not counted%n", s.orphanPieces());
      out.flush();
      return 0;
    }
  }

  @Command(name = "show", description = "One dead letter: its headers and its body (decoded, truncated); a large event once, with its pieces.")
  static final class DlqShow implements Callable<Integer> {
    @CommandLine.Mixin Spillway.ConfigOption options;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @CommandLine.Parameters(paramLabel = "ID", description = "partition:offset, as in the ID column of dlq list")
    String id;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      out.print(DeadLetters.show(options.load(), id));
      out.flush();
      return 0;
    }
  }

  @Command(name = "redrive", description = {
      "Send matching dead letters back to kafka.topic (original key, value and headers without spillway.dlq.*),",
      "so delivery tries them again; a dead letter of one destination goes back to that destination only.",
      "A large event goes back whole (all its pieces) or not at all. Each entry is redriven once:",
      "redriven ids are kept in <dlq_topic>.redriven. Fix the upstream first: what fails again is dead-lettered again."})
  static final class DlqRedrive implements Callable<Integer> {
    @CommandLine.Mixin Spillway.ConfigOption options;
    @CommandLine.Mixin QueryOptions query;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--dry-run", description = "count what would be redriven, send nothing")
    boolean dryRun;

    @Override
    public Integer call() {
      SpillwayConfig c = options.load();
      PrintWriter err = spec.commandLine().getErr();
      DeadLetters.Redrive r = DeadLetters.redrive(c, query.query(), dryRun, progressLine(err));
      err.println();
      PrintWriter out = spec.commandLine().getOut();
      out.printf("%s: %d matching dead letter(s), %d redriven before (skipped), %s%n", dryRun ? "dry run" : "redrive",
          r.matched(), r.alreadyRedriven(), dryRun
              ? r.redriven() + " would be sent back (" + r.records() + " records)"
              : r.redriven() + " sent back to " + c.kafka().topic() + " (" + r.records() + " records)");
      if (r.incomplete() > 0) out.printf("  %d large event(s) not redriven: not all their pieces are in the DLQ (dlq show ID)%n", r.incomplete());
      out.flush();
      return 0;
    }
  }

  /** A progress line redrawn in place on stderr. */
  static Consumer<String> progressLine(PrintWriter err) {
    return line -> {
      err.print("\r" + line);
      err.flush();
    };
  }

  /** An epoch-ms time to the second, "-" for none (0, or never seen). */
  static String time(long ms) {
    return ms == 0 || ms == Long.MAX_VALUE ? "-" : Instant.ofEpochMilli(ms).toString().replaceFirst("\\.\\d+Z$", "Z");
  }

  static String dash(String s) {
    return s == null || s.isEmpty() ? "-" : s.replaceAll("\\p{Cntrl}", " ");
  }

  static String cut(String s, int n) {
    return s.length() <= n ? s : s.substring(0, n - 1) + "…";
  }

  static String bytes(long n) {
    if (n < 1024) return n + " B";
    if (n < 1024 * 1024) return String.format("%.1f KiB", n / 1024.0);
    return String.format("%.1f MiB", n / (1024.0 * 1024));
  }
}
