package io.spillway.delivery.tools;

import io.spillway.schemas.KafkaForm;
import io.spillway.schemas.Route;
import io.spillway.schemas.body.ContentEncoding;
import io.spillway.schemas.config.SpillwayConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * {@code spillway dlq}: lists, counts, shows and redrives the records of {@code kafka.dlq_topic}.
 * The DLQ is only read, never changed.
 *
 * <p><b>Scale.</b> Nothing reads more of the DLQ than asked for: {@code --from/--to} become offsets
 * with offsets-for-times (delivery timestamps a dead letter when it dead-letters it), {@code list}
 * stops after a page ({@code --limit}, continued with {@code --after ID}), and every record is
 * looked at once and let go: memory is the consumer's fetch buffer plus a page of entries (list),
 * one row per destination and reason (stats), or one bit per dead letter of the range for the
 * redriven markers (stats, redrive). Bodies are never held beyond the record at hand.
 *
 * <p><b>Large events</b> are dead-lettered as their pieces (same {@code spillway.id}): they are one
 * entry, listed with their size and piece count, shown once, and redriven whole or not at all.
 *
 * <p><b>Redrive</b> writes a dead letter back to {@code kafka.topic}: same key and value, its headers
 * without {@code spillway.dlq.*}, plus {@value #HEADER} = the entry's id and, when the DLQ record
 * names the destination that gave up ({@code spillway.dlq.destination}),
 * {@code spillway.destination} = that route, so only that destination gets it again. What was
 * redriven is remembered in a compacted topic (see {@link RedriveMarkers}), written after the
 * copies were acknowledged, so a second redrive skips it; a crash between the two writes can
 * redrive an entry twice (at least once, like everything else).
 */
public final class DeadLetters {
  /** Header on a redriven copy: which DLQ entry it came from ({@code partition:offset}). */
  public static final String HEADER = KafkaForm.REDRIVE;
  /** Entries per page when no limit is given. */
  public static final int DEFAULT_LIMIT = 100;
  private static final String DLQ_PREFIX = "spillway.dlq.";
  private static final String KEY = "kafka.dlq_topic";
  private static final int SHOW_BODY_CHARS = 4000;

  private DeadLetters() {}

  /**
   * Which dead letters: by destination route ({@code upstream/project}) or upstream, reason, and
   * when they were dead-lettered ({@code from} inclusive, {@code to} exclusive; null = open end).
   * The destination is the one that gave up ({@code spillway.dlq.destination}) when the record
   * names it, else its route.
   */
  public record Query(String route, String upstream, String reason, Bound from, Bound to) {
    public Query {
      if (route != null && upstream != null) throw new IllegalArgumentException("choose a route or an upstream, not both");
      if (route != null) Route.parse(route); // a clear error for a malformed route
    }

    public static Query all() {
      return new Query(null, null, null, null, null);
    }

    boolean matches(DlqRecord r) {
      String d = r.destination();
      if (route != null && !route.equals(d)) return false;
      if (upstream != null && (d == null || !d.startsWith(upstream + "/"))) return false;
      return reason == null || reason.equals(r.reason());
    }
  }

  /**
   * One dead letter: a record, or a large event (all its pieces).
   *
   * @param id          {@code partition:offset} of its record (of its first piece), what {@code show} takes
   * @param deadAt      epoch ms it was dead-lettered (0 if the header is missing)
   * @param route       the record key, {@code upstream/project}
   * @param destination the destination that gave up (see {@link Query})
   * @param size        body bytes (of the whole event, for a large one)
   * @param pieces      pieces of a large event, 0 for a whole record
   * @param piecesFound pieces of it found in the DLQ (fewer: see {@link #complete})
   * @param redriven    whether a redrive already sent it back
   * @param replayId    {@code spillway.replay} when it was a replay's copy
   */
  public record Entry(String id, long deadAt, String route, String destination, String reason, String status, String detail,
      String attempts, String eventId, long size, int pieces, int piecesFound, boolean redriven, String replayId) {
    /** Whether every piece is there (always, for a whole record): only complete entries are redriven. */
    public boolean complete() {
      return piecesFound == Math.max(1, pieces);
    }
  }

  /**
   * A page of {@link #list}.
   *
   * @param next    the {@code --after} of the next page, or null when this was the last
   * @param scanned DLQ records read for it
   */
  public record Page(List<Entry> entries, String next, long scanned) {}

  /** One row of {@link #stats}: dead letters of one destination and reason. */
  public record Stat(String destination, String reason, long entries, long records, long bytes, long redriven, long firstAt,
      long lastAt) {}

  /**
   * Counts of the dead letters in a range, by destination and reason.
   *
   * @param orphanPieces pieces whose event starts before the range (not counted)
   * @param ranges       the offsets read, of the partitions that had any: {@code p:[start,end)}
   */
  public record Stats(List<Stat> rows, long entries, long records, long redriven, long scanned, long orphanPieces, List<String> ranges) {}

  /**
   * What a redrive did.
   *
   * @param matched         matching entries
   * @param alreadyRedriven of them, redriven before (skipped)
   * @param redriven        entries written back and acknowledged (would be, on a dry run)
   * @param records         records written back (a large event is several)
   * @param incomplete      large events whose pieces are not all in the DLQ: never redriven
   */
  public record Redrive(long matched, long alreadyRedriven, long redriven, long records, long incomplete, boolean dryRun) {}

  // ---- list ----

  /**
   * The first {@code limit} matching entries after {@code after} ({@code partition:offset} of the
   * last entry of the previous page; null = from the start), by partition and offset.
   */
  public static Page list(SpillwayConfig config, Query query, String after, int limit) {
    if (config == null) throw new NullPointerException("config == null");
    if (query == null) throw new NullPointerException("query == null");
    if (limit < 1) throw new IllegalArgumentException("--limit must be at least 1, got " + limit);
    long[] cursor = after == null ? null : parseId(after, "--after");
    List<DlqGroups.Group> page = new ArrayList<>();
    long scanned = 0;
    String next = null;
    try (KafkaConsumer<byte[], byte[]> consumer = ToolClients.consumer(config, "spillway-dlq-list")) {
      List<TopicPartition> tps = ToolClients.partitions(consumer, config.kafka().dlqTopic(), KEY, config);
      for (Span s : Span.resolve(consumer, tps, query.from(), query.to())) {
        int p = s.tp().partition();
        if (cursor != null && p < cursor[0]) continue;
        long start = cursor != null && p == cursor[0] ? Math.max(s.start(), cursor[1]) : s.start();
        if (start >= s.end()) continue;
        Span span = new Span(s.tp(), start, s.end(), s.hardEnd());
        long skip = cursor != null && p == cursor[0] ? cursor[1] : -1; // the previous page's last entry
        DlqGroups groups = new DlqGroups();
        int[] started = {page.size()};
        boolean[] full = {false};
        scanned += RangeReader.read(consumer, List.of(span), new RangeReader.Visitor() {
          @Override
          public boolean visit(ConsumerRecord<byte[], byte[]> r, boolean pastEnd) {
            DlqRecord d = DlqRecord.of(r);
            if (r.offset() == skip) {
              groups.skipEntryOf(d);
              return true;
            }
            boolean startsEntry = !d.isPiece() || (d.index() == 0 || d.ofIncompleteEvent()) && !groups.isOpen(d);
            if (startsEntry) {
              // Not an entry of this page: not matching, past the range, or after a full page.
              if (pastEnd || full[0] || !query.matches(d)) return !full[0] || groups.waiting(p);
              if (++started[0] == limit) full[0] = true;
            }
            groups.add(d, pastEnd, page::add);
            return !full[0] || groups.waiting(p); // a full page still ends with its large events whole
          }

          @Override
          public boolean more(TopicPartition tp) {
            return groups.waiting(p);
          }
        });
        groups.finish(page::add);
        if (full[0]) break;
      }
      page.sort(Comparator.comparingInt((DlqGroups.Group g) -> g.first.partition()).thenComparingLong(g -> g.first.offset()));
      if (page.size() >= limit) next = page.get(page.size() - 1).first.id();
    }
    return new Page(entries(config, page), next, scanned);
  }

  /** Entries of a page, with their redriven flags (markers read from the oldest one's time on). */
  private static List<Entry> entries(SpillwayConfig config, List<DlqGroups.Group> groups) {
    Set<String> ids = new HashSet<>();
    long oldest = Long.MAX_VALUE;
    for (DlqGroups.Group g : groups) {
      for (long o : g.foundOffsets()) ids.add(g.first.partition() + ":" + o);
      oldest = Math.min(oldest, g.first.timestamp());
    }
    Set<String> marked = RedriveMarkers.among(config, oldest == Long.MAX_VALUE ? 0 : oldest, ids);
    List<Entry> out = new ArrayList<>(groups.size());
    for (DlqGroups.Group g : groups) {
      boolean redriven = true;
      for (long o : g.foundOffsets()) redriven &= marked.contains(g.first.partition() + ":" + o);
      out.add(entry(g, redriven));
    }
    return out;
  }

  private static Entry entry(DlqGroups.Group g, boolean redriven) {
    DlqRecord d = g.first;
    return new Entry(d.id(), d.deadAt(), d.route(), d.destination(), d.reason(), d.status(), d.detail(), d.attempts(), d.eventId(),
        d.size(), d.count(), g.found, redriven, d.replayId());
  }

  // ---- stats ----

  /** Counts the matching dead letters of the range by destination and reason; {@code progress} gets a line about once a second. */
  public static Stats stats(SpillwayConfig config, Query query, Consumer<String> progress) {
    if (config == null) throw new NullPointerException("config == null");
    if (query == null) throw new NullPointerException("query == null");
    if (progress == null) throw new NullPointerException("progress == null");
    Map<String, long[]> rows = new TreeMap<>(); // destination \0 reason -> entries, records, bytes, redriven, first, last
    try (KafkaConsumer<byte[], byte[]> consumer = ToolClients.consumer(config, "spillway-dlq-stats")) {
      List<TopicPartition> tps = ToolClients.partitions(consumer, config.kafka().dlqTopic(), KEY, config);
      List<Span> spans = Span.resolve(consumer, tps, query.from(), query.to());
      RedriveMarkers.Marked marked = RedriveMarkers.within(config, sinceMillis(query), spans);
      DlqGroups groups = new DlqGroups();
      Progress bar = new Progress(total(spans), progress);
      Consumer<DlqGroups.Group> count = g -> {
        if (!query.matches(g.first)) return;
        long[] row = rows.computeIfAbsent(g.first.destination() + '\0' + g.first.reason(), k -> new long[] {0, 0, 0, 0, Long.MAX_VALUE, 0});
        row[0]++;
        row[1] += g.found;
        row[2] += g.first.size();
        if (allMarked(g, marked)) row[3]++;
        row[4] = Math.min(row[4], g.first.deadAt());
        row[5] = Math.max(row[5], g.first.deadAt());
        bar.add(0, 1);
      };
      long scanned = RangeReader.read(consumer, spans, new RangeReader.Visitor() {
        @Override
        public boolean visit(ConsumerRecord<byte[], byte[]> r, boolean pastEnd) {
          groups.add(DlqRecord.of(r), pastEnd, count);
          if (!pastEnd) bar.add(1, 0);
          return true;
        }

        @Override
        public boolean more(TopicPartition tp) {
          return groups.waiting(tp.partition());
        }
      });
      groups.finish(count);
      bar.done();
      List<Stat> out = new ArrayList<>();
      long entries = 0;
      long records = 0;
      long redriven = 0;
      for (var e : rows.entrySet()) {
        String[] k = e.getKey().split("\0", 2);
        long[] v = e.getValue();
        out.add(new Stat(nullIfNull(k[0]), nullIfNull(k[1]), v[0], v[1], v[2], v[3], v[4], v[5]));
        entries += v[0];
        records += v[1];
        redriven += v[3];
      }
      return new Stats(List.copyOf(out), entries, records, redriven, scanned, groups.orphans(),
          spans.stream().filter(x -> x.size() > 0).map(Span::toString).toList());
    }
  }

  // ---- show ----

  /** One dead letter as text: its headers and its body (decoded, truncated); a large event once, with its pieces. */
  public static String show(SpillwayConfig config, String id) {
    if (config == null) throw new NullPointerException("config == null");
    if (id == null) throw new NullPointerException("id == null");
    long[] pos = parseId(id, "a dead letter id");
    String dlq = config.kafka().dlqTopic();
    try (KafkaConsumer<byte[], byte[]> consumer = ToolClients.consumer(config, "spillway-dlq-show")) {
      TopicPartition tp = ToolClients.partitions(consumer, dlq, KEY, config).stream().filter(t -> t.partition() == pos[0]).findFirst()
          .orElseThrow(() -> new IllegalArgumentException("no partition " + pos[0] + " in " + dlq));
      long first = consumer.beginningOffsets(List.of(tp)).get(tp);
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      if (pos[1] >= end || pos[1] < first) throw new IllegalArgumentException("no dead letter " + id + " in " + dlq + " (partition "
          + pos[0] + " holds offsets " + first + " to " + (end - 1) + ")");
      List<ConsumerRecord<byte[], byte[]>> found = new ArrayList<>(1);
      RangeReader.read(consumer, List.of(new Span(tp, pos[1], pos[1] + 1, pos[1] + 1)), (rec, pastEnd) -> !found.add(rec));
      if (found.isEmpty()) throw new IllegalArgumentException("no dead letter " + id + " in " + dlq + " (a transaction marker or compacted away)");
      ConsumerRecord<byte[], byte[]> r = found.get(0);
      DlqRecord d = DlqRecord.of(r);
      List<Long> pieces = new ArrayList<>();
      if (d.isPiece()) {
        // Its pieces lie next to each other (see DlqGroups): look around it, no further than that.
        long from = Math.max(first, pos[1] - d.index() - DlqGroups.WINDOW);
        long to = Math.min(end, pos[1] + d.count() + DlqGroups.WINDOW);
        long[] byIndex = new long[d.count()];
        java.util.Arrays.fill(byIndex, -1);
        int[] missing = {d.count()};
        RangeReader.read(consumer, List.of(new Span(tp, from, to, to)), (rec, pastEnd) -> {
          DlqRecord x = DlqRecord.of(rec);
          if (x.isPiece() && x.groupKey().equals(d.groupKey()) && byIndex[x.index()] < 0) {
            byIndex[x.index()] = rec.offset();
            missing[0]--;
            if (x.index() == 0) found.set(0, rec); // shown from its first piece
          }
          return missing[0] > 0;
        });
        for (long o : byIndex) if (o >= 0) pieces.add(o);
        r = found.get(0);
      }
      Set<String> ids = new HashSet<>();
      if (pieces.isEmpty()) ids.add(id);
      for (long o : pieces) ids.add(pos[0] + ":" + o);
      boolean redriven = RedriveMarkers.among(config, r.timestamp(), ids).size() == ids.size();
      return describe(dlq, r, DlqRecord.of(r), pieces, redriven);
    }
  }

  private static String describe(String dlq, ConsumerRecord<byte[], byte[]> r, DlqRecord d, List<Long> pieces, boolean redriven) {
    StringBuilder s = new StringBuilder();
    s.append("dead letter ").append(d.id()).append(" (").append(dlq).append(")\n");
    s.append("  key: ").append(r.key() == null ? "(none)" : printable(new String(r.key(), StandardCharsets.UTF_8), 500)).append('\n');
    s.append("  dead-lettered: ").append(d.deadAt() == 0 ? "-" : Instant.ofEpochMilli(d.deadAt())).append('\n');
    for (Header h : r.headers()) {
      if (d.isPiece() && (h.key().equals("spillway.chunk") || h.key().equals("spillway.size"))) continue; // the piece's own
      s.append("  ").append(h.key()).append(": ").append(printable(h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8), 500)).append('\n');
    }
    s.append("  redriven: ").append(redriven ? "yes" : "no").append('\n');
    if (d.isPiece()) {
      s.append("  large event: ").append(d.count()).append(" pieces, ").append(d.size()).append(" bytes; ")
          .append(pieces.size() == d.count() ? "all in the DLQ" : "only " + pieces.size() + " found (it cannot be redriven)")
          .append(", at ").append(String.join(",", pieces.stream().map(o -> d.partition() + ":" + o).toList())).append('\n');
    }
    byte[] body = r.value() == null ? new byte[0] : r.value();
    String encoding = ToolClients.text(r, "content-encoding");
    String note;
    String text;
    try (InputStream in = ContentEncoding.of(encoding).decoder(body)) {
      byte[] head = in.readNBytes(SHOW_BODY_CHARS * 4);
      text = new String(head, StandardCharsets.UTF_8);
      note = ContentEncoding.isIdentity(encoding) ? "" : " (decoded from " + encoding + ")";
    } catch (IOException | RuntimeException e) {
      text = new String(body, 0, Math.min(body.length, SHOW_BODY_CHARS * 4), StandardCharsets.ISO_8859_1);
      note = " (raw: could not decode " + encoding + ")";
    }
    if (d.isPiece()) {
      s.append("body of the first piece, ").append(body.length).append(" of ").append(d.size()).append(" bytes").append(note).append(":\n");
    } else {
      s.append("body, ").append(body.length).append(" bytes").append(note).append(":\n");
    }
    s.append(printable(text, SHOW_BODY_CHARS)).append('\n');
    return s.toString();
  }

  // ---- redrive ----

  /**
   * Sends the matching entries not redriven yet back to {@code kafka.topic}; {@code progress} gets
   * a line about once a second.
   */
  public static Redrive redrive(SpillwayConfig config, Query query, boolean dryRun, Consumer<String> progress) {
    if (config == null) throw new NullPointerException("config == null");
    if (query == null) throw new NullPointerException("query == null");
    if (progress == null) throw new NullPointerException("progress == null");
    if (!dryRun) ToolClients.ensureCompacted(config, RedriveMarkers.topic(config));
    long[] n = new long[5]; // matched, already, redriven (entries), records, incomplete
    try (KafkaConsumer<byte[], byte[]> consumer = ToolClients.consumer(config, "spillway-dlq-redrive");
         KafkaConsumer<byte[], byte[]> pieceReader = ToolClients.consumer(config, "spillway-dlq-redrive-pieces");
         KafkaProducer<byte[], byte[]> producer = dryRun ? null : ToolClients.producer(config, "spillway-dlq-redrive")) {
      List<TopicPartition> tps = ToolClients.partitions(consumer, config.kafka().dlqTopic(), KEY, config);
      List<Span> spans = Span.resolve(consumer, tps, query.from(), query.to());
      RedriveMarkers.Marked marked = RedriveMarkers.within(config, sinceMillis(query), spans);
      Sends sends = producer == null ? null : new Sends(producer, config);
      Progress bar = new Progress(total(spans), progress);
      Consumer<DlqGroups.Group> take = g -> {
        if (!query.matches(g.first)) return;
        n[0]++;
        if (!g.complete()) {
          n[4]++;
          return;
        }
        if (allMarked(g, marked)) {
          n[1]++;
          return;
        }
        n[2]++;
        if (sends == null) {
          n[3] += g.found;
          return;
        }
        List<String> ids = new ArrayList<>();
        for (long o : g.foundOffsets()) ids.add(g.first.partition() + ":" + o);
        Sends.Unit unit = sends.unit(ids);
        String entryId = g.first.id();
        long[] offsets = g.foundOffsets();
        TopicPartition tp = new TopicPartition(config.kafka().dlqTopic(), g.first.partition());
        Set<Long> wanted = new HashSet<>();
        for (long o : offsets) wanted.add(o);
        long[] sent = {0};
        // Read again, one piece at a time, rather than holding a large event's pieces while they come.
        RangeReader.read(pieceReader, List.of(new Span(tp, offsets[0], offsets[offsets.length - 1] + 1, offsets[offsets.length - 1] + 1)),
            (rec, pastEnd) -> {
              if (wanted.remove(rec.offset())) {
                sends.send(copy(config, rec, DlqRecord.of(rec), entryId), unit);
                sent[0]++;
              }
              return !wanted.isEmpty();
            });
        if (!wanted.isEmpty()) throw new IllegalStateException("pieces " + wanted + " of dead letter " + entryId + " could not be read again");
        unit.seal();
        n[3] += sent[0];
        sends.drainMarkers();
      };
      DlqGroups groups = new DlqGroups();
      RangeReader.read(consumer, spans, new RangeReader.Visitor() {
        @Override
        public boolean visit(ConsumerRecord<byte[], byte[]> r, boolean pastEnd) {
          DlqRecord d = DlqRecord.of(r);
          if (!pastEnd) bar.add(1, 0);
          if (d.isPiece()) {
            groups.add(d, pastEnd, take);
          } else if (!pastEnd && query.matches(d)) {
            n[0]++;
            if (marked.contains(d.partition(), d.offset())) {
              n[1]++;
            } else {
              n[2]++;
              n[3]++;
              if (sends != null) {
                Sends.Unit unit = sends.unit(List.of(d.id()));
                sends.send(copy(config, r, d, d.id()), unit);
                unit.seal();
                sends.drainMarkers();
              }
            }
          }
          bar.redriven(n[2]);
          return true;
        }

        @Override
        public boolean more(TopicPartition tp) {
          return groups.waiting(tp.partition());
        }
      });
      groups.finish(take);
      if (sends != null) {
        sends.finish();
        n[2] = sends.entriesAcknowledged();
        bar.redriven(n[2]);
      }
      bar.done();
      return new Redrive(n[0], n[1], n[2], n[3], n[4], dryRun);
    }
  }

  /** The record to write back for a dead letter (or one piece of it); {@code entryId} is the entry's id. */
  private static ProducerRecord<byte[], byte[]> copy(SpillwayConfig config, ConsumerRecord<byte[], byte[]> r, DlqRecord d, String entryId) {
    RecordHeaders headers = new RecordHeaders();
    String only = ToolClients.text(r, KafkaForm.ONLY_DESTINATION);
    for (Header h : r.headers()) {
      String k = h.key();
      if (k.startsWith(DLQ_PREFIX) || k.equals(KafkaForm.REDRIVE) || k.equals(KafkaForm.ONLY_DESTINATION)) continue;
      headers.add(h);
    }
    headers.add(KafkaForm.REDRIVE, entryId.getBytes(StandardCharsets.UTF_8));
    String to = d.destinationKnown() ? d.destination() : only;
    if (to != null) headers.add(KafkaForm.ONLY_DESTINATION, to.getBytes(StandardCharsets.UTF_8));
    // Timestamp = now, as for a replay: the topic's time index stays in order; received-at is in spillway.ts.
    return new ProducerRecord<>(config.kafka().topic(), null, null, r.key(), r.value(), headers);
  }

  // ---- helpers ----

  private static boolean allMarked(DlqGroups.Group g, RedriveMarkers.Marked marked) {
    for (long o : g.foundOffsets()) if (!marked.contains(g.first.partition(), o)) return false;
    return true;
  }

  /** From when markers can matter: a time {@code --from}, else all of them. */
  private static long sinceMillis(Query q) {
    return q.from() instanceof Bound.At at ? at.time().toEpochMilli() : 0;
  }

  private static long total(List<Span> spans) {
    long t = 0;
    for (Span s : spans) t += s.size();
    return t;
  }

  private static long[] parseId(String id, String what) {
    if (!id.matches("\\d{1,9}:\\d{1,18}")) {
      throw new IllegalArgumentException(what + " is partition:offset, e.g. 0:17 (the ID column of dlq list), got '" + id + "'");
    }
    int colon = id.indexOf(':');
    return new long[] {Long.parseLong(id.substring(0, colon)), Long.parseLong(id.substring(colon + 1))};
  }

  private static String nullIfNull(String s) {
    return "null".equals(s) ? null : s;
  }

  /** Control characters (a terminal escape in an event) become '?'; long text is cut. */
  static String printable(String s, int max) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), max) + 16);
    for (int i = 0; i < s.length() && i < max; i++) {
      char c = s.charAt(i);
      b.append(c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7f && (c < 0x80 || c > 0x9f)) ? c : '?');
    }
    if (s.length() > max) b.append("… (").append(s.length() - max).append(" more chars)");
    return b.toString();
  }

  /** A one-line progress bar, handed on about once a second. */
  static final class Progress {
    private final long total;
    private final Consumer<String> sink;
    private long read;
    private long entries;
    private long redriven = -1;
    private long last = System.nanoTime();

    Progress(long total, Consumer<String> sink) {
      this.total = total;
      this.sink = sink;
    }

    void add(long records, long newEntries) {
      read += records;
      entries += newEntries;
      tick();
    }

    void redriven(long n) {
      redriven = n;
    }

    private void tick() {
      if (System.nanoTime() - last > TimeUnit.SECONDS.toNanos(1)) {
        last = System.nanoTime();
        sink.accept(line());
      }
    }

    void done() {
      sink.accept(line());
    }

    String line() {
      return bar(read, total) + " " + read + "/" + total + " read" + (redriven >= 0 ? ", " + redriven + " redriven" : ", " + entries + " counted");
    }
  }

  static String bar(long done, long total) {
    int width = 30;
    int filled = total == 0 ? width : (int) Math.min(width, done * width / total);
    return "[" + "#".repeat(filled) + " ".repeat(width - filled) + "]";
  }
}
