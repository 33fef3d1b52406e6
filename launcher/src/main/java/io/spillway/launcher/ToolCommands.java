package io.spillway.launcher;

import io.spillway.delivery.DeadLetters;
import io.spillway.delivery.Replay;
import io.spillway.schemas.Route;
import io.spillway.schemas.config.SpillwayConfig;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code spillway replay} and {@code spillway dlq list|show|redrive}: thin shells over delivery's tools. */
final class ToolCommands {
  private ToolCommands() {}

  @Command(name = "replay", description = {
      "Re-deliver a range of kafka.topic: the selected records are written again to the topic, so the running",
      "delivery sends them under its normal rules and rate limits. The originals are never changed.",
      "With --datacenter DC (central config) the range is read from DC's central copy <DC>.<topic>; the copies go to kafka.topic.",
      "FROM/TO: now, ISO-8601 (2026-11-27T10:00:00Z), relative (-2h, -30m, -45s, -1d), an offset for every",
      "partition (1500) or per partition (0:120,1:98). FROM is inclusive, TO exclusive; TO defaults to now."})
  static final class ReplayCommand implements Callable<Integer> {
    @CommandLine.Mixin Spillway.ConfigOption options;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--from", required = true, paramLabel = "FROM", description = "start (inclusive)")
    String from;

    @Option(names = "--to", defaultValue = "now", paramLabel = "TO", description = "end (exclusive; default: ${DEFAULT-VALUE})")
    String to;

    @Option(names = {"-r", "--route"}, paramLabel = "ROUTE", description = "only this upstream/project")
    String route;

    @Option(names = {"-u", "--upstream"}, paramLabel = "UPSTREAM", description = "only this upstream")
    String upstream;

    @Option(names = "--dry-run", description = "count what would be replayed, send nothing")
    boolean dryRun;

    @Option(names = {"-d", "--datacenter"}, paramLabel = "DC", description = "replay this datacenter's events (mirror.sources.DC)")
    String datacenter;

    @Override
    public Integer call() {
      SpillwayConfig c = options.load();
      String source = source(c, datacenter);
      Instant now = Instant.now();
      Replay.Selection selection = new Replay.Selection(route == null ? null : Route.parse(route), upstream);
      if (upstream != null && !c.upstreams().containsKey(upstream)) throw new IllegalArgumentException("no upstream '" + upstream + "' in the config");
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      Replay.Summary s;
      try {
        s = Replay.run(c, source, Replay.parseBound(from, now), Replay.parseBound(to, now), selection, dryRun, line -> {
          err.print("\r" + line);
          err.flush();
        });
      } catch (IllegalArgumentException e) {
        if (datacenter == null || !e.getMessage().contains("does not exist")) throw e;
        throw new IllegalArgumentException("--datacenter " + datacenter + ": its central copy " + source + " does not exist on "
            + c.kafka().bootstrapServers() + " (has the mirror run? spillway mirror --config ...)", e);
      }
      err.println();
      out.println(summary(s, c));
      out.flush();
      return 0;
    }

    /** The topic to replay: kafka.topic, or with {@code --datacenter} that datacenter's central copy. */
    static String source(SpillwayConfig c, String datacenter) {
      if (datacenter == null) return c.kafka().topic();
      if (!c.mirror().sources().containsKey(datacenter)) {
        throw new IllegalArgumentException("--datacenter " + datacenter + ": no such datacenter under mirror.sources"
            + (c.mirror().sources().isEmpty() ? " (this config mirrors none: replay --datacenter needs the central config)"
                : " (" + String.join(", ", c.mirror().sources().keySet()) + ")"));
      }
      return io.spillway.schemas.config.MirrorConfig.remoteTopic(datacenter, c.kafka().topic());
    }

    static String summary(Replay.Summary s, SpillwayConfig c) {
      String head = s.dryRun()
          ? "dry run: " + s.selected() + " of " + s.scanned() + " records would be replayed (nothing sent)"
          : "replay " + s.replayId() + ": selected " + s.selected() + " of " + s.scanned() + " records, sent " + s.sent()
              + " to " + c.kafka().topic();
      return head + (s.skippedCopies() > 0 ? "\n  skipped " + s.skippedCopies() + " copies of earlier replays" : "")
          + "\n  offsets read: " + String.join(" ", s.ranges())
          + (s.dryRun() ? "" : "\n  delivery now sends them under its rules: watch spillway_delivery_{ok,held,dlq}_total "
              + "(or spillway status); copies that fail go to the DLQ with header " + Replay.HEADER + "=" + s.replayId());
    }
  }

  @Command(name = "dlq", description = "Dead letters in kafka.dlq_topic: list, show, redrive.",
      subcommands = {ToolCommands.DlqList.class, ToolCommands.DlqShow.class, ToolCommands.DlqRedrive.class})
  static final class DlqCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
      spec.commandLine().usage(spec.commandLine().getOut());
    }
  }

  /** Filter options shared by list and redrive. */
  static class FilterOptions {
    @Option(names = {"-r", "--route"}, paramLabel = "ROUTE", description = "only this upstream/project")
    String route;

    @Option(names = {"-u", "--upstream"}, paramLabel = "UPSTREAM", description = "only this upstream")
    String upstream;

    @Option(names = "--reason", paramLabel = "REASON", description = "only this reason (http_400, expired, unknown_route, undecodable, unsendable, ...)")
    String reason;

    DeadLetters.Filter filter() {
      if (route != null) Route.parse(route); // a clear error for a malformed route
      return new DeadLetters.Filter(route, upstream, reason);
    }
  }

  @Command(name = "list", description = "A table of dead letters: time, route, reason, status, detail, attempts, event id, redriven.")
  static final class DlqList implements Callable<Integer> {
    @CommandLine.Mixin Spillway.ConfigOption options;
    @CommandLine.Mixin FilterOptions filter;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      List<DeadLetters.Entry> entries = DeadLetters.list(options.load(), filter.filter());
      PrintWriter out = spec.commandLine().getOut();
      out.print(table(entries));
      out.flush();
      return 0;
    }

    static String table(List<DeadLetters.Entry> entries) {
      StringBuilder b = new StringBuilder();
      String fmt = "%-9s %-20s %-24s %-14s %-6s %-30s %-8s %-32s %s%n";
      b.append(String.format(fmt, "ID", "TIME", "ROUTE", "REASON", "STATUS", "DETAIL", "ATTEMPTS", "EVENT ID", "REDRIVEN"));
      for (DeadLetters.Entry e : entries) {
        b.append(String.format(fmt, e.id(), e.deadAt() == 0 ? "-" : Instant.ofEpochMilli(e.deadAt()).toString().replaceFirst("\\.\\d+Z$", "Z"),
            dash(e.route()), dash(e.reason()), dash(e.status()), cut(dash(e.detail()), 30), dash(e.attempts()), dash(e.eventId()),
            e.redriven() ? "yes" : "no"));
      }
      b.append(entries.size()).append(" dead letter(s)\n");
      return b.toString();
    }

    private static String dash(String s) {
      return s == null || s.isEmpty() ? "-" : s.replaceAll("\\p{Cntrl}", " ");
    }

    private static String cut(String s, int n) {
      return s.length() <= n ? s : s.substring(0, n - 1) + "…";
    }
  }

  @Command(name = "show", description = "One dead letter: its headers and its body (decoded, truncated).")
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
      "so delivery tries them again. Each one is redriven once: redriven ids are kept in <dlq_topic>.redriven."})
  static final class DlqRedrive implements Callable<Integer> {
    @CommandLine.Mixin Spillway.ConfigOption options;
    @CommandLine.Mixin FilterOptions filter;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--dry-run", description = "count what would be redriven, send nothing")
    boolean dryRun;

    @Override
    public Integer call() {
      SpillwayConfig c = options.load();
      DeadLetters.Redrive r = DeadLetters.redrive(c, filter.filter(), dryRun);
      PrintWriter out = spec.commandLine().getOut();
      long fresh = r.matched() - r.alreadyRedriven();
      out.printf("%s: %d matching dead letter(s), %d redriven before (skipped), %s%n", dryRun ? "dry run" : "redrive",
          r.matched(), r.alreadyRedriven(), dryRun ? fresh + " would be sent back" : r.redriven() + " sent back to " + c.kafka().topic());
      out.flush();
      return 0;
    }
  }
}
