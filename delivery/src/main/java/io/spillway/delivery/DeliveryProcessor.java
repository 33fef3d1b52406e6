package io.spillway.delivery;

import io.spillway.delivery.http.UnbuildableRequest;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.KafkaForm;
import io.spillway.schemas.RecordFormatException;
import io.spillway.schemas.config.ProjectConfig;
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
 * store (or dead-letters it): once it is there, committing its offset is safe, because Streams
 * flushes the store's changelog before it commits offsets. A wall-clock punctuator then (1)
 * applies the outcomes of finished HTTP requests (queued by the HTTP client's threads, which never
 * touch the store) and (2) sends due events of each upstream that is not held, as far as the
 * in-flight and rate limits allow without waiting. Nothing here waits on HTTP, Redis or a limiter.
 */
final class DeliveryProcessor implements Processor<byte[], byte[], byte[], byte[]> {
  static final String STORE = "pending";
  static final String DLQ_SINK = "dlq";
  /** Longer than two commit intervals (1 s): see {@link #deadLettered}. */
  static final long DLQ_SETTLE_MS = 3_000;
  /** Store entries looked at per upstream per tick: bounds a tick's work when much is held or backing off. */
  static final int MAX_SCAN = 2_000;

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
   * full (a 32 MiB bound, counted in body bytes only, ran a 384 MiB delivery out of heap in the
   * fault suite's 2-minute outage), so each entry is charged its body plus {@link #FRESH_ENTRY_OVERHEAD}.
   */
  private final Map<Bytes, Fresh> fresh = new HashMap<>();
  private long freshBytes;
  static final long FRESH_MAX_BYTES = 8L << 20;
  /** Decoded fields, header objects, map entry: a generous estimate of an entry's heap beyond its body. */
  static final int FRESH_ENTRY_OVERHEAD = 4096;
  /** Store entries per upstream, as this task counts them (published through {@link Upstream#pending}). */
  private final Map<Upstream, Long> pending = new HashMap<>();
  /**
   * Per partition, the highest offset found in the store at init: records up to it may be processed
   * again after a crash (their offsets were not committed) while their entry survived in the
   * changelog, so for them {@link #process} checks before counting a new entry.
   */
  private final Map<Integer, Long> restoredUpTo = new HashMap<>();
  private ProcessorContext<byte[], byte[]> context;
  private KeyValueStore<Bytes, byte[]> store;
  private volatile boolean closed;

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
    countRestored();
    context.schedule(shared.punctuateInterval(), PunctuationType.WALL_CLOCK_TIME, this::tick);
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    long now = shared.clock().getAsLong();
    List<KafkaForm.Header> headers = new ArrayList<>();
    for (Header h : record.headers()) headers.add(new KafkaForm.Header(h.key(), h.value()));
    BufferedEvent event;
    try {
      event = KafkaForm.decode(record.key(), record.value(), headers);
    } catch (RecordFormatException e) {
      deadLetter(record.key(), record.value(), record.timestamp(), headers, null, "undecodable", 0, e.getMessage(), 0);
      return;
    }
    Upstream upstream = shared.upstreams().get(event.route().upstream());
    ProjectConfig project = shared.routes().project(event.route()).orElse(null);
    if (upstream == null || project == null) {
      deadLetter(record.key(), record.value(), record.timestamp(), headers, null, "unknown_route", 0,
          "no upstream/project " + event.route() + " in this delivery's config", 0);
      return;
    }
    if (expired(event, now)) {
      deadLetter(record.key(), record.value(), record.timestamp(), headers, upstream, "expired", 0,
          "older than delivery.max_event_age", 0);
      return;
    }
    RecordMetadata md = context.recordMetadata().orElseThrow();
    // Categories are worked out only when a hold needs them (see sendDue): most events never meet one,
    // and reading them means decompressing the body.
    PendingEvent pending = new PendingEvent(0, 0, null, record.key(), record.value(), record.timestamp(), headers);
    Bytes key = Bytes.wrap(PendingEvent.storeKey(upstream.name, md.partition(), md.offset()));
    boolean known = md.offset() <= restoredUpTo.getOrDefault(md.partition(), -1L) && store.get(key) != null;
    store.put(key, pending.toBytes());
    if (!known) count(upstream, 1);
    long cost = (long) record.value().length + FRESH_ENTRY_OVERHEAD;
    if (freshBytes + cost <= FRESH_MAX_BYTES && fresh.putIfAbsent(key, new Fresh(pending, event)) == null) freshBytes += cost;
    nextScan.remove(upstream.name);
  }

  private void tick(long ignoredStreamClock) {
    long now = shared.clock().getAsLong();
    applyCompletions(now);
    if (!deadLettered.isEmpty()) {
      deadLettered.entrySet().removeIf(e -> {
        if (now - e.getValue() < DLQ_SETTLE_MS) return false;
        store.delete(e.getKey());
        Upstream u = shared.upstreams().get(PendingEvent.upstreamOf(e.getKey().get()));
        if (u != null) count(u, -1);
        return true;
      });
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
      String project = projectOf(p);
      DeliveryOutcome o = c.outcome;
      if (o instanceof DeliveryOutcome.Delivered d) {
        store.delete(c.key);
        count(u, -1);
        u.ok.increment();
        if (!d.limits().isEmpty()) u.holds.apply(project, d.limits(), now);
      } else if (o instanceof DeliveryOutcome.Held h) {
        u.held.increment();
        u.holds.apply(project, h.limits(), now);
        store.put(c.key, p.toBytes());
      } else if (o instanceof DeliveryOutcome.Retry) {
        u.retried.increment();
        long backoff = shared.backoff().apply(Math.max(1, p.attempts()));
        store.put(c.key, p.withNotBefore(now + backoff).toBytes());
      } else if (o instanceof DeliveryOutcome.DeadLetter dl) {
        deadLetterPending(c.key, p, u, dl.reason(), dl.status(), dl.detail(), now);
      }
      nextScan.remove(u.name);
    }
  }

  private void sendDue(Upstream u, long now) {
    byte[][] range = PendingEvent.range(u.name);
    Bytes after = cursor.get(u.name);
    boolean fromStart = after == null;
    Bytes from = fromStart ? Bytes.wrap(range[0]) : Bytes.wrap(successor(after.get()));
    List<KeyValue<Bytes, byte[]>> toSend = new ArrayList<>();
    long earliest = Long.MAX_VALUE;
    boolean blocked = false;
    boolean skippedHeld = false;
    boolean atEnd = false;
    Bytes last = after;
    int scanned = 0;
    try (KeyValueIterator<Bytes, byte[]> it = store.range(from, Bytes.wrap(range[1]))) {
      while (true) {
        if (!it.hasNext()) {
          atEnd = true;
          break;
        }
        if (++scanned > MAX_SCAN) {
          blocked = true;
          break;
        }
        KeyValue<Bytes, byte[]> kv = it.next();
        if (inFlight.contains(kv.key)) {
          last = kv.key;
          continue;
        }
        PendingEvent.Peek peek = PendingEvent.peek(kv.value);
        if (peek.deadLettered()) {
          if (!deadLettered.containsKey(kv.key)) {
            // Marked by an earlier life of this task (crash or move): its DLQ record may not have
            // been written. Write it again (a duplicate in the DLQ, never a loss).
            PendingEvent full = PendingEvent.fromBytes(kv.value);
            PendingEvent.DeadLetterMark m = full.deadLetter();
            deadLetter(full.key(), full.value(), full.timestamp(), full.headers(), u, m.reason(), m.status(), m.detail(), full.attempts());
            deadLettered.put(kv.key, now);
          }
          last = kv.key;
          continue;
        }
        if (peek.notBefore() > now) {
          earliest = Math.min(earliest, peek.notBefore());
          last = kv.key;
          continue;
        }
        String project = project(peek.route());
        if (u.holds.held(project, peek.categories(), now)) {
          Set<String> categories = peek.categories();
          if (categories == null && !u.holds.heldWhatever(project, now)) {
            // A category-specific hold: find out whether this event is concerned, once, and remember it.
            PendingEvent full = PendingEvent.fromBytes(kv.value);
            categories = categories(KafkaForm.decode(full.key(), full.value(), full.headers()));
            if (categories != null) {
              store.put(kv.key, full.withCategories(categories).toBytes());
              forget(kv.key);
            }
          }
          if (categories == null || u.holds.held(project, categories, now)) {
            skippedHeld = true;
            last = kv.key;
            continue;
          }
        }
        if (!u.tryStart()) {
          blocked = true;
          break;
        }
        if (!u.breaker.tryAcquirePermission()) {
          u.inFlight.decrementAndGet();
          blocked = true;
          break;
        }
        if (!shared.limits().tryAcquire(u.name)) {
          u.inFlight.decrementAndGet();
          u.breaker.releasePermission();
          blocked = true;
          break;
        }
        toSend.add(kv);
        last = kv.key;
      }
    }
    if (atEnd) cursor.remove(u.name); // wrap: next scan starts at the head again
    else if (last != null) cursor.put(u.name, last);
    for (KeyValue<Bytes, byte[]> kv : toSend) {
      Fresh f = forget(kv.key);
      if (f != null) send(u, kv.key, f.pending, f.event, now);
      else send(u, kv.key, PendingEvent.fromBytes(kv.value), null, now);
    }
    if (atEnd && fromStart && toSend.isEmpty()) {
      // A whole pass found nothing to send: sleep this upstream until the earliest backoff ends
      // (new records and outcomes wake it at once; held events are looked at again every 200 ms).
      long wake = skippedHeld ? now + 200 : Math.min(earliest, now + 1_000);
      nextScan.put(u.name, wake);
    }
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

  /** @param decoded {@code p} decoded, or null to decode it here */
  private void send(Upstream u, Bytes key, PendingEvent p, BufferedEvent decoded, long now) {
    BufferedEvent event = decoded;
    if (event == null) {
      try {
        event = KafkaForm.decode(p.key(), p.value(), p.headers());
      } catch (RecordFormatException e) { // cannot happen: process() decoded it before storing
        release(u);
        deadLetterPending(key, p, u, "undecodable", 0, e.getMessage(), now);
        return;
      }
    }
    ProjectConfig project = shared.routes().project(event.route()).orElse(null);
    if (project == null || expired(event, now)) {
      release(u);
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
    shared.http().send(u.config, request, event.body().length)
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
          // A limit the answer announced holds the upstream before its in-flight slot is freed: the
          // upstream's other tasks (other partitions) tick before this one applies the outcome, and
          // would otherwise send into the limit.
          List<RateLimitHeader.Limit> limits = outcome instanceof DeliveryOutcome.Held h ? h.limits()
              : outcome instanceof DeliveryOutcome.Delivered d ? d.limits() : List.of();
          if (!limits.isEmpty()) u.holds.apply(projectOf(p), limits, shared.clock().getAsLong());
          u.inFlight.decrementAndGet();
          if (closed) {
            shared.applied(); // the task moved or stopped: its store is restored elsewhere and the event sent again
          } else {
            completions.add(new Completion(key, p, u, outcome));
          }
        });
  }

  /** Forwards to the DLQ now; the store entry is marked and deleted once the DLQ record is surely durable. */
  private void deadLetterPending(Bytes key, PendingEvent p, Upstream u, String reason, int status, String detail, long now) {
    deadLetter(p.key(), p.value(), p.timestamp(), p.headers(), u, reason, status, detail, p.attempts());
    store.put(key, p.withDeadLetter(reason, status, detail).toBytes());
    deadLettered.put(key, now);
  }

  private void release(Upstream u) {
    u.inFlight.decrementAndGet();
    u.breaker.releasePermission();
  }

  private boolean expired(BufferedEvent e, long now) {
    return now - e.receivedAt() > shared.maxEventAgeMillis();
  }

  private void deadLetter(byte[] key, byte[] value, long timestamp, List<KafkaForm.Header> headers, Upstream u,
      String reason, int status, String detail, int attempts) {
    RecordHeaders out = new RecordHeaders();
    for (KafkaForm.Header h : headers) {
      if (!h.name().startsWith("spillway.dlq.")) out.add(h.name(), h.value());
    }
    out.add(KafkaForm.DeadLetter.REASON, bytes(reason));
    if (status > 0) out.add(KafkaForm.DeadLetter.STATUS, bytes(Integer.toString(status)));
    out.add(KafkaForm.DeadLetter.DETAIL, bytes(detail == null ? "" : detail));
    out.add(KafkaForm.DeadLetter.AT, bytes(Long.toString(shared.clock().getAsLong())));
    out.add(KafkaForm.DeadLetter.ATTEMPTS, bytes(Integer.toString(attempts)));
    context.forward(new Record<>(key, value, timestamp, out), DLQ_SINK);
    if (u != null) u.deadLettered(reason);
    else shared.deadLetteredWithoutUpstream(reason);
  }

  private static Set<String> categories(BufferedEvent e) {
    if (UpstreamRequest.isEnvelope(e)) {
      try {
        return EnvelopeBody.categories(EnvelopeBody.decode(e.body(), e.contentEncoding()));
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

  private static String projectOf(PendingEvent p) {
    return project(p.key() == null ? "" : new String(p.key(), StandardCharsets.UTF_8));
  }

  private static String project(String route) {
    int slash = route.indexOf('/');
    return slash < 0 ? route : route.substring(slash + 1);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Counts what a restored store already holds, per upstream, and how far each partition got. */
  private void countRestored() {
    try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
      while (it.hasNext()) {
        byte[] k = it.next().key.get();
        Upstream u = shared.upstreams().get(PendingEvent.upstreamOf(k));
        if (u != null) count(u, 1);
        restoredUpTo.merge(PendingEvent.partitionOf(k), PendingEvent.offsetOf(k), Math::max);
      }
    }
  }

  private void count(Upstream u, long delta) {
    pending.merge(u, delta, Long::sum);
    u.pending.addAndGet(delta);
  }

  @Override
  public void close() {
    closed = true;
    fresh.clear();
    // The task's entries are counted by whoever gets it next.
    pending.forEach((u, n) -> u.pending.addAndGet(-n));
    pending.clear();
    // Outcomes not applied yet are dropped with this instance: the events are still in the store
    // (changelogged), so whoever gets the task sends them again (at-least-once, counted as duplicates).
    for (Completion c; (c = completions.poll()) != null; ) shared.applied();
  }
}
