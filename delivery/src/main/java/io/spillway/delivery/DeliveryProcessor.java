package io.spillway.delivery;

import io.spillway.delivery.http.UnbuildableRequest;
import io.spillway.delivery.limits.QuotaGuard;
import io.spillway.delivery.pending.ChunkGroups;
import io.spillway.delivery.pending.PendingEvent;
import io.spillway.delivery.pending.PendingKey;
import io.spillway.delivery.upstream.DeliveryOutcome;
import io.spillway.delivery.upstream.EnvelopeBody;
import io.spillway.delivery.upstream.SecretFilter;
import io.spillway.delivery.upstream.UpstreamRequest;
import io.spillway.rules.fingerprint.IssueKey;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.Chunks;
import io.spillway.schemas.KafkaForm;
import io.spillway.schemas.RecordFormatException;
import io.spillway.schemas.Route;
import io.spillway.schemas.config.ProjectConfig;
import io.spillway.schemas.config.RouteTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * One task's delivery loop. {@link #process} only files a record into the changelogged pending
 * store — once per destination (the route and the routes it is copied to), or its piece of a
 * large event ({@link ChunkGroups}) — or dead-letters it: once it is there, committing its offset
 * is safe, because Streams flushes the store's changelog before it commits offsets. A wall-clock
 * punctuator then (1) applies the outcomes of finished HTTP requests (queued by the HTTP client's
 * threads, which never touch the store) and (2) sends due events of each upstream that is not
 * held, as far as the in-flight and rate limits allow without waiting. Nothing here waits on
 * HTTP, Redis or a limiter.
 */
final class DeliveryProcessor implements Processor<byte[], byte[], byte[], byte[]> {
  static final String STORE = "pending";
  static final String DLQ_SINK = "dlq";
  /** Longer than two commit intervals (1 s): see {@link #deadLettered}. */
  static final long DLQ_SETTLE_MS = 3_000;
  /** Store entries looked at per upstream per tick: bounds a tick's work when much is held or backing off. */
  static final int MAX_SCAN = 2_000;
  /** How often open and finished groups of large events are looked at. */
  static final long SWEEP_EVERY_MS = 1_000;

  private final DeliveryService.Shared shared;
  private final Queue<Completion> completions = new ConcurrentLinkedQueue<>();
  private final Set<Bytes> inFlight = new HashSet<>();
  /** Per upstream: don't rescan before this time (nothing was due); 0 = scan. */
  private final Map<String, Long> nextScan = new HashMap<>();
  /**
   * Per upstream: the last key a scan got past. The next scan continues after it and wraps around
   * at the end, so a tick does not wade through the tombstones of everything delivered since the
   * last RocksDB compaction (deletes pile up at the head of the range).
   */
  private final Map<String, Bytes> cursor = new HashMap<>();
  /**
   * Per upstream: a key at or below every live key of its range (absent: the range's start). A scan
   * that wraps around starts here, not at the range's start: below it lie only the tombstones of what
   * was delivered, and a RocksDB seek steps over each of them until a compaction removes them. With a
   * backlog of a few hundred thousand, seeking from the start took most of the stream thread's time
   * (drains at a third of the rate after a restart, where the last run's tombstones were still there).
   * A wrapped scan moves it up to the first key it finds; a new key below it moves it down.
   */
  private final Map<String, Bytes> head = new HashMap<>();
  /**
   * Entries forwarded to the DLQ by this processor, with the time: deleted from the store only
   * {@link #DLQ_SETTLE_MS} later, when a commit (which flushes the producer) has surely made the DLQ
   * record durable. The DLQ record and the store's tombstone go to different partitions, so
   * deleting at once could, in a crash, keep the tombstone and lose the DLQ record.
   */
  private final Map<Bytes, Long> deadLettered = new HashMap<>();
  /**
   * Events filed by {@link #process} and not sent yet, decoded: the common path sends them without
   * reading them back from the store. Only a cache (the store stays the truth), and small: it only
   * needs to cover what one tick sends. While an upstream is down or held it fills up and stays
   * full, so it is bounded by an estimate of its heap: each entry is charged its body plus
   * {@link #FRESH_ENTRY_OVERHEAD} (see RATIONALE in the module README).
   */
  private final Map<Bytes, Fresh> fresh = new HashMap<>();
  private long freshBytes;
  static final long FRESH_MAX_BYTES = 8L << 20;
  /** Decoded fields, header objects, map entry: a generous estimate of an entry's heap beyond its body. */
  static final int FRESH_ENTRY_OVERHEAD = 4096;
  /** Store entries per upstream, as this task counts them (published through {@link Upstream#pending}). */
  private final Map<Upstream, Long> pending = new HashMap<>();
  /**
   * Per source topic and partition, the highest offset found in the store at init: records up to
   * it may be processed again after a crash (their offsets were not committed) while their entry
   * survived in the changelog, so for them {@link #process} checks before counting a new entry.
   */
  private final Map<String, Long> restoredUpTo = new HashMap<>();
  private ProcessorContext<byte[], byte[]> context;
  private KeyValueStore<Bytes, byte[]> store;
  private ChunkGroups chunks;
  /** Drops second copies of an event (MirrorMaker 2, bridge re-sends); null when delivery.dedup_window is 0. */
  private Dedup dedup;
  private QuotaGuard guard;
  /** The newest received-at (record timestamp) this task has processed: how far its partitions got. */
  private long streamTime;
  private long lastSweep;
  /**
   * This instance's current life: Kafka Streams may {@link #close} a processor and {@link #init} it
   * again (a task revived after corruption, over a store restored anew). Each init starts a new
   * life with nothing in flight; an answer to a request sent in an earlier life, or arriving after
   * close, is not applied (the event is still in the store and is sent again). Each init and each
   * close starts the next one; only the stream thread writes it.
   */
  private volatile int life;

  private record Fresh(PendingEvent pending, BufferedEvent event) {}

  /** A finished request, handed from an HTTP thread to the stream thread. */
  private record Completion(Bytes key, PendingEvent event, Upstream upstream, DeliveryOutcome outcome) {}

  DeliveryProcessor(DeliveryService.Shared shared) {
    this.shared = shared;
  }

  @Override
  public void init(ProcessorContext<byte[], byte[]> context) {
    this.context = context;
    this.store = context.getStateStore(STORE);
    this.chunks = new ChunkGroups(store);
    if (!shared.dedupWindow().isZero()) {
      this.dedup = new Dedup(context.getStateStore(Dedup.STORE), shared.dedupWindow(), shared.clock(), shared.registry());
    }
    this.guard = new QuotaGuard(context.getStateStore(QuotaGuard.STORE), shared.guardMetrics, shared.guardRetentionMillis);
    // A new life: nothing from a previous one (a revived task's processor is initialised again) carries over.
    head.clear();
    cursor.clear();
    inFlight.clear();
    nextScan.clear();
    deadLettered.clear();
    fresh.clear();
    freshBytes = 0;
    restoredUpTo.clear();
    for (Completion c; (c = completions.poll()) != null; ) shared.applied();
    life++;
    countRestored();
    context.schedule(shared.punctuateInterval(), PunctuationType.WALL_CLOCK_TIME, this::tick);
  }

  // ---- taking records in ----

  @Override
  public void process(Record<byte[], byte[]> record) {
    long now = shared.clock().getAsLong();
    streamTime = Math.max(streamTime, record.timestamp());
    List<KafkaForm.Header> headers = new ArrayList<>();
    for (Header h : record.headers()) headers.add(new KafkaForm.Header(h.key(), h.value()));
    RecordMetadata md = context.recordMetadata().orElseThrow();
    if (dedup != null && dedup.check(record.headers(), md.topic(), md.partition(), md.offset()) == Dedup.Verdict.DUPLICATE) return;
    PendingEvent asCame = new PendingEvent(0, 0, null, record.key(), record.value(), record.timestamp(), headers);
    BufferedEvent event;
    try {
      event = KafkaForm.decode(record.key(), record.value(), headers);
    } catch (RecordFormatException e) {
      deadLetter(asCame, null, "undecodable", 0, e.getMessage());
      return;
    }
    if (event.isChunk()) {
      takePiece(event, asCame, md, now);
    } else if (record.value().length > Chunks.CHUNK_BYTES) {
      // A whole record above a chunk (written before events travelled in chunks): held in pieces
      // like any large event, so no store entry (and no changelog record) is ever that large.
      takeWholeLarge(event, headers, md, now);
    } else {
      file(event, asCame, md, 0, now);
    }
  }

  /** A piece of a large event; the last missing one files the event. */
  private void takePiece(BufferedEvent piece, PendingEvent asCame, RecordMetadata md, long now) {
    ChunkGroups.Added added = chunks.add(piece, asCame, now);
    if (added instanceof ChunkGroups.Completed c) {
      List<byte[]> keys = file(piece, asCame, md, c.group().count(), now);
      chunks.complete(ChunkGroups.groupId(piece.id(), asCame.headers()), c.group(), keys, now); // after the entries: see ChunkGroups
    } else if (added instanceof ChunkGroups.Conflicting conflict) {
      deadLetter(asCame, shared.upstreams().get(piece.route().upstream()), "undecodable", 0, conflict.detail());
    } else if (added instanceof ChunkGroups.Repeated) {
      shared.repeatedChunk();
    }
  }

  private void takeWholeLarge(BufferedEvent whole, List<KafkaForm.Header> recordHeaders, RecordMetadata md, long now) {
    List<BufferedEvent> pieces = Chunks.split(whole);
    for (BufferedEvent piece : pieces) {
      KafkaForm form = KafkaForm.encode(piece);
      List<KafkaForm.Header> headers = new ArrayList<>(form.headers());
      headers.addAll(copyHeaders(recordHeaders)); // a replayed or redriven copy stays one
      takePiece(piece, new PendingEvent(0, 0, null, form.key(), form.value(), form.timestamp(), headers), md, now);
    }
  }

  /**
   * Files an event for each of its destinations (its route, then the routes that route is copied
   * to, each taking its sampled share by event id). {@code asCame} is the record: of a whole event,
   * or for a large one ({@code pieces} > 0, the entries refer to its pieces) of its last piece.
   * Returns the keys filed.
   */
  private List<byte[]> file(BufferedEvent event, PendingEvent asCame, RecordMetadata md, int pieces, long now) {
    PendingEvent base = pieces == 0 ? asCame : chunkedEntry(event, pieces, asCame.headers());
    Upstream own = shared.upstreams().get(event.route().upstream());
    if (own == null || shared.routes().project(event.route()).isEmpty()) {
      deadLetter(base, null, "unknown_route", 0, "no upstream/project " + event.route() + " in this delivery's config");
      return List.of();
    }
    if (expired(event, now)) {
      deadLetter(base, own, "expired", 0, "older than delivery.max_event_age");
      return List.of();
    }
    // Once per event, before its copies; a large event's issue is read from its first piece.
    Supplier<IssueKey> issue = pieces == 0
        ? () -> IssueKey.of(event.kind(), event.body(), event.contentEncoding(), event.contentType())
        : () -> issueOfLarge(event, asCame.headers());
    if (!guard.admit(event, issue, shared.routes().project(event.route()).get().quotaGuard(),
        header(base, KafkaForm.REDRIVE) != null, now)) {
      shared.replays.count(header(base, KafkaForm.REPLAY), own.name, "dropped");
      return List.of();
    }
    String sampleBy = event.eventId() != null ? event.eventId() : event.id();
    String only = header(base, KafkaForm.ONLY_DESTINATION);
    List<byte[]> keys = new ArrayList<>();
    for (RouteTable.Destination d : shared.routes().destinations(event.route())) {
      if (only != null ? !only.equals(d.route().toString()) : !d.takes(sampleBy)) continue;
      Upstream u = shared.upstreams().get(d.route().upstream());
      if (u == null) continue;
      PendingEvent entry = d.route().equals(event.route()) ? base : base.forTarget(d.route().toString());
      byte[] k = PendingKey.of(u.name, md.topic(), md.partition(), md.offset(), d.route().project());
      Bytes key = Bytes.wrap(k);
      boolean known = md.offset() <= restoredUpTo.getOrDefault(md.topic() + "\0" + md.partition(), -1L) && store.get(key) != null;
      store.put(key, entry.toBytes());
      head.computeIfPresent(u.name, (n, h) -> key.compareTo(h) < 0 ? key : h);
      keys.add(k);
      if (!known) count(u, 1);
      if (pieces == 0) {
        long cost = (long) entry.value().length + FRESH_ENTRY_OVERHEAD;
        if (freshBytes + cost <= FRESH_MAX_BYTES && fresh.putIfAbsent(key, new Fresh(entry, event)) == null) freshBytes += cost;
      }
      nextScan.remove(u.name);
    }
    return keys;
  }

  /**
   * The issue of a large event whose pieces are all here ({@code piece} is one of them), from its
   * first piece: envelopes carry the event item before the attachments that make them large.
   */
  private IssueKey issueOfLarge(BufferedEvent piece, List<KafkaForm.Header> pieceHeaders) {
    PendingEvent first = chunks.piece(ChunkGroups.groupId(piece.id(), pieceHeaders), 0);
    BufferedEvent start = first == null ? null : decodeOrNull(first);
    return start == null ? null : IssueKey.ofStart(piece.kind(), start.body(), piece.contentEncoding(), piece.contentType());
  }

  /**
   * The pending entry of a large event: its fields without a body, referring to the pieces, plus
   * what the tools put on the pieces of a copy (the same on each: see {@link ChunkGroups#groupId}).
   */
  private static PendingEvent chunkedEntry(BufferedEvent piece, int pieces, List<KafkaForm.Header> pieceHeaders) {
    KafkaForm form = KafkaForm.encode(piece.toBuilder().body(new byte[0]).chunk(null).build());
    List<KafkaForm.Header> headers = new ArrayList<>(form.headers());
    headers.addAll(copyHeaders(pieceHeaders));
    return new PendingEvent(0, 0, null, form.key(), new byte[0], form.timestamp(), headers, null, null, pieces);
  }

  /** The headers {@code replay} and {@code dlq redrive} add to a copy, in order. */
  private static List<KafkaForm.Header> copyHeaders(List<KafkaForm.Header> headers) {
    List<KafkaForm.Header> out = new ArrayList<>(3);
    for (KafkaForm.Header h : headers) {
      if (h.name().equals(KafkaForm.REPLAY) || h.name().equals(KafkaForm.REDRIVE) || h.name().equals(KafkaForm.ONLY_DESTINATION)) out.add(h);
    }
    return out;
  }

  // ---- the punctuator ----

  private void tick(long ignoredStreamClock) {
    long now = shared.clock().getAsLong();
    applyCompletions(now);
    settleDeadLetters(now);
    if (now - lastSweep >= SWEEP_EVERY_MS) {
      lastSweep = now;
      for (ChunkGroups.Abandoned a : chunks.sweep(now, streamTime, shared.chunkTimeoutMillis())) {
        BufferedEvent first = a.pieces().isEmpty() ? null : decodeOrNull(a.pieces().get(0));
        Upstream u = first == null ? null : shared.upstreams().get(first.route().upstream());
        for (PendingEvent p : a.pieces()) deadLetter(p, null, "incomplete", 0, a.detail());
        if (u != null) u.deadLettered("incomplete");
        else shared.deadLetteredWithoutUpstream("incomplete");
        if (!a.pieces().isEmpty()) shared.replays.count(header(a.pieces().get(0), KafkaForm.REPLAY), u == null ? "none" : u.name, "dlq");
      }
    }
    if (shared.draining()) return;
    for (Upstream u : shared.upstreams().values()) {
      Long next = nextScan.get(u.name);
      if (next != null && next > now) continue;
      if (u.holds.wholeUpstreamUntil(now) > 0) continue;
      sendDue(u, now);
    }
  }

  private void applyCompletions(long now) {
    for (Completion c; (c = completions.poll()) != null; ) {
      inFlight.remove(c.key);
      shared.applied();
      Upstream u = c.upstream;
      PendingEvent p = c.event.withAttempt();
      DeliveryOutcome o = c.outcome;
      String replay = header(p, KafkaForm.REPLAY);
      if (o instanceof DeliveryOutcome.Delivered) {
        store.delete(c.key);
        count(u, -1);
        u.ok.increment();
        shared.replays.count(replay, u.name, "ok");
        if (p.isChunked()) chunks.release(groupOf(p));
      } else if (o instanceof DeliveryOutcome.Held) {
        u.held.increment();
        shared.replays.count(replay, u.name, "held");
        store.put(c.key, p.toBytes());
      } else if (o instanceof DeliveryOutcome.Retry) {
        u.retried.increment();
        shared.replays.count(replay, u.name, "retried");
        long backoff = shared.backoff().apply(Math.max(1, p.attempts()));
        store.put(c.key, p.withNotBefore(now + backoff).toBytes());
      } else if (o instanceof DeliveryOutcome.DeadLetter dl) {
        deadLetterPending(c.key, p, u, dl.reason(), dl.status(), dl.detail(), now);
      }
      nextScan.remove(u.name);
    }
  }

  /** Dead-lettered entries are deleted once their DLQ records are surely durable (see {@link #deadLettered}). */
  private void settleDeadLetters(long now) {
    if (deadLettered.isEmpty()) return;
    deadLettered.entrySet().removeIf(e -> {
      if (now - e.getValue() < DLQ_SETTLE_MS) return false;
      byte[] raw = store.get(e.getKey());
      store.delete(e.getKey());
      Upstream u = shared.upstreams().get(PendingKey.upstreamOf(e.getKey().get()));
      if (u != null) count(u, -1);
      if (raw != null) {
        PendingEvent p = PendingEvent.fromBytes(raw);
        if (p.isChunked()) chunks.release(groupOf(p));
      }
      return true;
    });
  }

  /** The result of scanning an upstream's range: what to send, and where the next scan goes on. */
  private record Scan(List<KeyValue<Bytes, byte[]>> toSend, Bytes last, boolean atEnd, long earliest, boolean skippedHeld) {}

  private void sendDue(Upstream u, long now) {
    Bytes after = cursor.get(u.name);
    Scan scan = scan(u, after, now);
    if (scan.atEnd()) cursor.remove(u.name); // wrap: next scan starts at the head again
    else if (scan.last() != null) cursor.put(u.name, scan.last());
    for (KeyValue<Bytes, byte[]> kv : scan.toSend()) {
      Fresh f = forget(kv.key);
      if (f != null) send(u, kv.key, f.pending, f.event, now);
      else send(u, kv.key, PendingEvent.fromBytes(kv.value), null, now);
    }
    if (scan.atEnd() && after == null && scan.toSend().isEmpty()) {
      // A whole pass found nothing to send: sleep this upstream until the earliest backoff ends
      // (new records and outcomes wake it at once; held events are looked at again every 200 ms).
      nextScan.put(u.name, scan.skippedHeld() ? now + 200 : Math.min(scan.earliest(), now + 1_000));
    }
  }

  /**
   * Walks the upstream's range from after {@code after} (or its head), taking events that are due
   * and not held, as long as an in-flight slot, the breaker's permission and a rate token can all
   * be had ({@link #admit}); stops at the first refusal, at the end, or after {@link #MAX_SCAN}.
   */
  private Scan scan(Upstream u, Bytes after, long now) {
    byte[][] range = PendingKey.range(u.name);
    Bytes from = after != null ? Bytes.wrap(successor(after.get())) : head.getOrDefault(u.name, Bytes.wrap(range[0]));
    List<KeyValue<Bytes, byte[]>> toSend = new ArrayList<>();
    long earliest = Long.MAX_VALUE;
    boolean skippedHeld = false;
    Bytes last = after;
    int scanned = 0;
    try (KeyValueIterator<Bytes, byte[]> it = store.range(from, Bytes.wrap(range[1]))) {
      while (it.hasNext()) {
        if (++scanned > MAX_SCAN) return new Scan(toSend, last, false, earliest, skippedHeld);
        KeyValue<Bytes, byte[]> kv = it.next();
        if (after == null && scanned == 1) head.put(u.name, kv.key); // the smallest live key
        if (inFlight.contains(kv.key)) {
          last = kv.key;
          continue;
        }
        PendingEvent.Peek peek = PendingEvent.peek(kv.value);
        if (peek.deadLettered()) {
          resendDeadLetterOfEarlierLife(u, kv, now);
          last = kv.key;
          continue;
        }
        if (peek.notBefore() > now) {
          earliest = Math.min(earliest, peek.notBefore());
          last = kv.key;
          continue;
        }
        if (isHeld(u, kv, peek, now)) {
          skippedHeld = true;
          last = kv.key;
          continue;
        }
        long largeBytes = (long) peek.chunks() * Chunks.CHUNK_BYTES;
        if (largeBytes > 0 && !shared.reserveLarge(largeBytes)) {
          last = kv.key; // the large-event budget is spent: small events go on
          continue;
        }
        if (!admit(u)) {
          if (largeBytes > 0) shared.releaseLarge(largeBytes);
          return new Scan(toSend, last, false, earliest, skippedHeld);
        }
        toSend.add(kv);
        last = kv.key;
      }
    }
    if (after == null && scanned == 0) head.put(u.name, Bytes.wrap(range[1])); // none: new keys move it down
    return new Scan(toSend, last, true, earliest, skippedHeld);
  }

  /** Takes an in-flight slot, the breaker's permission and a rate token, all or none. */
  private boolean admit(Upstream u) {
    if (!u.tryStart()) return false;
    if (!u.breaker.tryAcquirePermission()) {
      u.inFlight.decrementAndGet();
      return false;
    }
    if (!shared.limits().tryAcquire(u.name)) {
      u.inFlight.decrementAndGet();
      u.breaker.releasePermission();
      return false;
    }
    return true;
  }

  /** Gives back what {@link #admit} took, for a send that did not happen. */
  private static void unadmit(Upstream u) {
    u.inFlight.decrementAndGet();
    u.breaker.releasePermission();
  }

  /**
   * Whether a hold of the upstream covers this event. For a category-specific hold, the event's
   * categories are worked out once (it means decompressing the body) and remembered in its entry.
   */
  private boolean isHeld(Upstream u, KeyValue<Bytes, byte[]> kv, PendingEvent.Peek peek, long now) {
    String project = project(peek.route());
    if (!u.holds.held(project, peek.categories(), now)) return false;
    Set<String> categories = peek.categories();
    if (categories == null && !u.holds.heldWhatever(project, now)) {
      PendingEvent full = PendingEvent.fromBytes(kv.value);
      BufferedEvent e = full.isChunked() ? null : decodeOrNull(full);
      categories = e == null ? null : categories(e);
      if (categories != null) {
        store.put(kv.key, full.withCategories(categories).toBytes());
        forget(kv.key);
      }
    }
    return categories == null || u.holds.held(project, categories, now);
  }

  /** An entry marked dead-lettered by an earlier life of this task (crash or move): its DLQ record may not exist. */
  private void resendDeadLetterOfEarlierLife(Upstream u, KeyValue<Bytes, byte[]> kv, long now) {
    if (deadLettered.containsKey(kv.key)) return;
    PendingEvent full = PendingEvent.fromBytes(kv.value);
    PendingEvent.DeadLetterMark m = full.deadLetter();
    forwardToDlq(full, u, m.reason(), m.status(), m.detail()); // again: a duplicate in the DLQ, never a loss
    deadLettered.put(kv.key, now);
  }

  /** The smallest key greater than {@code key}. */
  private static byte[] successor(byte[] key) {
    return java.util.Arrays.copyOf(key, key.length + 1);
  }

  /** Removes {@code key} from the cache of fresh events; returns what was there. */
  private Fresh forget(Bytes key) {
    Fresh f = fresh.remove(key);
    if (f != null) freshBytes -= (long) f.pending.value().length + FRESH_ENTRY_OVERHEAD;
    return f;
  }

  /** @param decoded {@code p} decoded, or null to decode it (or join its pieces) here */
  private void send(Upstream u, Bytes key, PendingEvent p, BufferedEvent decoded, long now) {
    long largeBytes = (long) p.chunks() * Chunks.CHUNK_BYTES;
    BufferedEvent event = decoded;
    if (event == null) {
      try {
        event = p.isChunked() ? chunks.join(groupOf(p), p.chunks()) : KafkaForm.decode(p.key(), p.value(), p.headers());
      } catch (RecordFormatException e) { // pieces missing or not matching: cannot be sent as the original
        unadmit(u);
        shared.releaseLarge(largeBytes);
        deadLetterPending(key, p, u, "undecodable", 0, e.getMessage(), now);
        return;
      }
    }
    Route target = Route.parse(p.targetRoute());
    ProjectConfig project = shared.routes().project(target).orElse(null);
    if (project == null || expired(event, now)) {
      unadmit(u);
      shared.releaseLarge(largeBytes);
      deadLetterPending(key, p, u, project == null ? "unknown_route" : "expired", 0,
          project == null ? "route no longer configured" : "older than delivery.max_event_age", now);
      return;
    }
    inFlight.add(key);
    shared.started();
    u.sent.increment();
    long start = System.nanoTime();
    // Built on the HTTP client's thread (see UpstreamClient.send): the stream thread only hands it over.
    BufferedEvent toBuild = event;
    Supplier<UpstreamRequest> request = () -> {
      UpstreamRequest r = UpstreamRequest.build(toBuild, u.config, project, shared.clock().getAsLong());
      if (r.rewritten()) u.rewritten.increment();
      return r;
    };
    String projectName = target.project();
    int sentIn = life;
    shared.http().send(u.config, request, timeoutFor(u, event.body().length), (int) Math.min(Integer.MAX_VALUE, event.body().length))
        .whenComplete((response, error) -> {
          long nanos = System.nanoTime() - start;
          DeliveryOutcome outcome;
          if (error instanceof UnbuildableRequest unbuildable) {
            // A record that cannot even become a request (a path or header no HTTP client accepts):
            // it is dead-lettered with what was wrong instead of being tried again and again.
            u.breaker.releasePermission();
            outcome = new DeliveryOutcome.DeadLetter("unsendable", 0, SecretFilter.clean(unbuildable.getMessage(), project));
          } else if (error != null) {
            outcome = DeliveryOutcome.ofFailure(error);
            u.breaker.onError(nanos, TimeUnit.NANOSECONDS, error);
          } else {
            u.latency.record(nanos, TimeUnit.NANOSECONDS);
            String sentryError = SecretFilter.clean(response.header("X-Sentry-Error"), project);
            outcome = DeliveryOutcome.of(response.status(), response.header("X-Sentry-Rate-Limits"),
                response.header("Retry-After"), sentryError, shared.clock().getAsLong());
            if (outcome instanceof DeliveryOutcome.Retry) {
              u.breaker.onError(nanos, TimeUnit.NANOSECONDS, new IOException("HTTP " + response.status()));
            } else {
              u.breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
            }
          }
          // Holds are known before the slot is free: no task may send into a limit this answer announced.
          if (outcome instanceof DeliveryOutcome.Held h) u.holds.apply(projectName, h.limits(), shared.clock().getAsLong());
          else if (outcome instanceof DeliveryOutcome.Delivered d && !d.limits().isEmpty()) {
            u.holds.apply(projectName, d.limits(), shared.clock().getAsLong());
          }
          u.inFlight.decrementAndGet();
          shared.releaseLarge(largeBytes);
          if (life != sentIn) {
            shared.applied(); // the task moved, stopped or was revived: the event is still in its store and is sent again
          } else {
            Completion c = new Completion(key, p, u, outcome);
            completions.add(c);
            // close() may have drained the queue between the check and the add: then no one else applies it.
            if (life != sentIn && completions.remove(c)) shared.applied();
          }
        });
  }

  /**
   * {@code upstreams.<u>.timeout}, plus a second per MiB of body: an upstream reads and checks a
   * large upload before it answers (the edge allows clients the same pace).
   */
  static java.time.Duration timeoutFor(Upstream u, long bodyBytes) {
    return u.config.timeout().plusSeconds(bodyBytes >> 20);
  }

  // ---- dead letters ----

  /** Forwards to the DLQ now; the store entry is marked and deleted once the DLQ record is surely durable. */
  private void deadLetterPending(Bytes key, PendingEvent p, Upstream u, String reason, int status, String detail, long now) {
    forwardToDlq(p, u, reason, status, detail);
    shared.replays.count(header(p, KafkaForm.REPLAY), u == null ? "none" : u.name, "dlq");
    store.put(key, p.withDeadLetter(reason, status, detail).toBytes());
    deadLettered.put(key, now);
  }

  /** The record(s) of a pending event to the DLQ: the record as it came, or every piece of a large event. */
  private void forwardToDlq(PendingEvent p, Upstream u, String reason, int status, String detail) {
    if (p.isChunked()) {
      for (PendingEvent piece : chunks.pieces(groupOf(p), p.chunks())) {
        forward(piece, reason, status, detail, p.attempts(), p.targetRoute());
      }
    } else {
      forward(p, reason, status, detail, p.attempts(), p.targetRoute());
    }
    if (u != null) u.deadLettered(reason);
    else shared.deadLetteredWithoutUpstream(reason);
  }

  /** A record that never became a pending event (undecodable, unknown route, expired on arrival). */
  private void deadLetter(PendingEvent asCame, Upstream u, String reason, int status, String detail) {
    forward(asCame, reason, status, detail, 0, null);
    if (u != null) u.deadLettered(reason);
    else if (!reason.equals("incomplete")) shared.deadLetteredWithoutUpstream(reason);
    // The pieces of an incomplete event are counted once, by the sweep.
    if (!reason.equals("incomplete")) shared.replays.count(header(asCame, KafkaForm.REPLAY), u == null ? "none" : u.name, "dlq");
  }

  private void forward(PendingEvent p, String reason, int status, String detail, int attempts, String target) {
    RecordHeaders out = new RecordHeaders();
    for (KafkaForm.Header h : p.headers()) {
      if (!h.name().startsWith("spillway.dlq.")) out.add(h.name(), h.value());
    }
    out.add(KafkaForm.DeadLetter.REASON, bytes(reason));
    if (status > 0) out.add(KafkaForm.DeadLetter.STATUS, bytes(Integer.toString(status)));
    out.add(KafkaForm.DeadLetter.DETAIL, bytes(detail == null ? "" : detail));
    out.add(KafkaForm.DeadLetter.AT, bytes(Long.toString(shared.clock().getAsLong())));
    out.add(KafkaForm.DeadLetter.ATTEMPTS, bytes(Integer.toString(attempts)));
    if (target != null) out.add(KafkaForm.DeadLetter.DESTINATION, bytes(target));
    // Timestamped when dead-lettered (received-at stays in spillway.ts): the DLQ's time index then
    // answers "dead-lettered since" (dlq list --from), and retention counts from the dead-lettering,
    // not from an arrival that may be older than the DLQ's retention (an expired event).
    context.forward(new Record<>(p.key(), p.value(), shared.clock().getAsLong(), out), DLQ_SINK);
  }

  // ---- helpers ----

  private boolean expired(BufferedEvent e, long now) {
    return now - e.receivedAt() > shared.maxEventAgeMillis();
  }

  private static BufferedEvent decodeOrNull(PendingEvent p) {
    try {
      return KafkaForm.decode(p.key(), p.value(), p.headers());
    } catch (RecordFormatException e) {
      return null;
    }
  }

  /** The {@link ChunkGroups} group of a large event's pending entry. */
  private static String groupOf(PendingEvent p) {
    String id = header(p, "spillway.id");
    if (id == null) throw new RecordFormatException("pending event without spillway.id");
    return ChunkGroups.groupId(id, p.headers());
  }

  private static String header(PendingEvent p, String name) {
    String v = null;
    for (KafkaForm.Header h : p.headers()) {
      if (h.name().equals(name) && h.value() != null) v = new String(h.value(), StandardCharsets.UTF_8);
    }
    return v;
  }

  private static Set<String> categories(BufferedEvent e) {
    if (UpstreamRequest.isEnvelope(e)) {
      try {
        return EnvelopeBody.categories(e.body(), e.contentEncoding());
      } catch (IOException | RuntimeException ex) {
        return null;
      }
    }
    return switch (e.kind()) {
      case STORE, MINIDUMP, UNREAL -> Set.of("error");
      case SECURITY, CSP_REPORT -> Set.of("security");
      case ATTACHMENTS -> Set.of("attachment");
      case CRON -> Set.of("monitor");
      default -> null;
    };
  }

  private static String project(String route) {
    int slash = route.indexOf('/');
    return slash < 0 ? route : route.substring(slash + 1);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Counts what a restored store already holds, per upstream, and how far each source partition got. */
  private void countRestored() {
    String topic = shared.topic();
    try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
      while (it.hasNext()) {
        byte[] k = it.next().key.get();
        if (!PendingKey.isEvent(k)) continue;
        Upstream u = shared.upstreams().get(PendingKey.upstreamOf(k));
        if (u != null) count(u, 1);
        restoredUpTo.merge(PendingKey.topicOf(k, topic) + "\0" + PendingKey.partitionOf(k), PendingKey.offsetOf(k), Math::max);
      }
    }
  }

  private void count(Upstream u, long delta) {
    pending.merge(u, delta, Long::sum);
    u.pending.addAndGet(delta);
  }

  @Override
  public void close() {
    life++;
    fresh.clear();
    freshBytes = 0;
    // The task's entries are counted by whoever gets it next.
    pending.forEach((u, n) -> u.pending.addAndGet(-n));
    pending.clear();
    // Outcomes not applied yet are dropped with this instance: the events are still in the store
    // (changelogged), so whoever gets the task sends them again (at-least-once, counted as duplicates).
    for (Completion c; (c = completions.poll()) != null; ) shared.applied();
  }
}
