package io.spillway.delivery.limits;

import io.spillway.rules.fingerprint.IssueKey;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.config.QuotaGuardConfig;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * One task's quota guard: at most {@code max_per_issue} events of one issue (see {@link IssueKey})
 * per route and window are let through; the rest are dropped and counted. It runs where every event
 * of a route passes one task (Kafka is keyed by route and Streams co-partitions the datacenter
 * topics into the same task), so counting here is exact fleet-wide without a shared counter.
 *
 * <p>State lives in a changelogged store that moves with the task and survives restarts. It records
 * which events were let through (by spillway id), not just how many: an event processed again
 * after a crash (its offset was not committed), replayed or redriven gets the decision it got the
 * first time instead of being counted twice. Windows are tumbling, aligned to the epoch, and taken
 * from the time the edge received the event, so a backlog drained after an outage is windowed as
 * it happened, not as it is delivered. Windows older than {@link #retentionMillis} (behind the
 * newest event this task saw) are deleted.
 *
 * <p>Keys: {@code 0x00 | window start (8, big-endian) | route | 0x00 | issue (8)} → passed count;
 * {@code 0x01 | window start | route | 0x00 | issue | id hash (8)} → marker.
 */
public final class QuotaGuard {
  public static final String STORE = "quota-guard";
  /** How often (wall clock) old windows are looked for. */
  static final long PRUNE_EVERY_MS = 10_000;
  private static final byte COUNT = 0, MEMBER = 1;
  private static final byte[] MARK = {1};

  private final KeyValueStore<Bytes, byte[]> store;
  private final QuotaGuardMetrics metrics;
  private final long retentionMillis;
  private long newestReceivedAt;
  private long lastPrune;

  public QuotaGuard(KeyValueStore<Bytes, byte[]> store, QuotaGuardMetrics metrics, long retentionMillis) {
    if (store == null) throw new NullPointerException("store == null");
    if (metrics == null) throw new NullPointerException("metrics == null");
    this.store = store;
    this.metrics = metrics;
    this.retentionMillis = retentionMillis;
  }

  /** How long a window's state is kept after the newest event seen: an hour, or two of the longest window. */
  public static long retentionFor(List<QuotaGuardConfig> guards) {
    long longest = 0;
    for (QuotaGuardConfig g : guards) longest = Math.max(longest, g.window().toMillis());
    return Math.max(3_600_000L, 2 * longest);
  }

  /**
   * Whether to deliver {@code event} under {@code guard} (null = no guard: always). Events that are
   * no issue (transactions, sessions, check-ins …) always pass, and so do DLQ redrives
   * ({@code redriven}: a record with {@code spillway.redrive}), which passed the guard before.
   */
  public boolean admit(BufferedEvent event, QuotaGuardConfig guard, boolean redriven, long nowMillis) {
    return admit(event, () -> IssueKey.of(event.kind(), event.body(), event.contentEncoding(), event.contentType()),
        guard, redriven, nowMillis);
  }

  /**
   * {@link #admit(BufferedEvent, QuotaGuardConfig, boolean, long)} with the event's issue worked out
   * by {@code issue} (only when a guard applies): a large event's, from its first piece
   * ({@link IssueKey#ofStart}), since {@code event} then holds a piece, not the whole body.
   */
  public boolean admit(BufferedEvent event, Supplier<IssueKey> issueOf, QuotaGuardConfig guard, boolean redriven, long nowMillis) {
    if (guard == null || redriven) return true;
    newestReceivedAt = Math.max(newestReceivedAt, event.receivedAt());
    pruneSometimes(nowMillis);
    IssueKey issue = issueOf.get();
    if (issue == null) return true;
    String route = event.route().toString();
    long window = Math.floorDiv(event.receivedAt(), guard.window().toMillis()) * guard.window().toMillis();
    Bytes countKey = key(COUNT, window, route, issue.hash(), 0, false);
    Bytes memberKey = key(MEMBER, window, route, issue.hash(), IssueKey.hashOf(event.id()), true);
    if (store.get(memberKey) != null) return true; // let through before: same decision again
    byte[] count = store.get(countKey);
    int passed = count == null ? 0 : ByteBuffer.wrap(count).getInt();
    if (passed < guard.maxPerIssue()) {
      store.put(memberKey, MARK);
      store.put(countKey, ByteBuffer.allocate(4).putInt(passed + 1).array());
      return true;
    }
    metrics.dropped(route, issue, window, guard.window().toMillis(), nowMillis);
    return false;
  }

  private static Bytes key(byte kind, long window, String route, long issue, long id, boolean withId) {
    byte[] r = route.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(1 + 8 + r.length + 1 + 8 + (withId ? 8 : 0));
    b.put(kind).putLong(window).put(r).put((byte) 0).putLong(issue);
    if (withId) b.putLong(id);
    return Bytes.wrap(b.array());
  }

  private void pruneSometimes(long nowMillis) {
    if (nowMillis - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = nowMillis;
    prune(newestReceivedAt - retentionMillis);
  }

  /** Deletes every window that started before {@code cutoffMillis}; returns how many entries went. */
  int prune(long cutoffMillis) {
    int deleted = 0;
    if (cutoffMillis <= 0) return 0;
    for (byte kind : new byte[] {COUNT, MEMBER}) {
      Bytes from = Bytes.wrap(ByteBuffer.allocate(9).put(kind).putLong(0).array());
      Bytes to = Bytes.wrap(ByteBuffer.allocate(9).put(kind).putLong(cutoffMillis).array());
      List<Bytes> old = new ArrayList<>();
      try (KeyValueIterator<Bytes, byte[]> it = store.range(from, to)) {
        while (it.hasNext()) {
          KeyValue<Bytes, byte[]> kv = it.next();
          if (ByteBuffer.wrap(kv.key.get(), 1, 8).getLong() < cutoffMillis) old.add(kv.key);
        }
      }
      for (Bytes k : old) store.delete(k);
      deleted += old.size();
    }
    return deleted;
  }
}
