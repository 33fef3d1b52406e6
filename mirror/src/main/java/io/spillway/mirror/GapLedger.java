package io.spillway.mirror;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Records of a datacenter's topic that its retention deleted before the mirror copied them — the
 * loss MirrorMaker 2 itself passes over in silence (its consumer jumps to the log start). Two
 * observers report ranges of source offsets: the tail of the central copy (the next copy's source
 * offset jumped) and the datacenter watch (the log start passed the last copied offset, before MM2
 * even resumes). Each offset is counted once, whoever saw it first.
 */
final class GapLedger {
  /** One detected gap: offsets {@code [from, to)} of {@code partition}, deleted before they were copied. */
  record Gap(String datacenter, int partition, long from, long to, long detectedAtMillis, String how) {
    long records() {
      return to - from;
    }
  }

  static final int KEPT = 20;
  private final Map<String, Map<Integer, Long>> countedUpTo = new HashMap<>();
  private final Map<String, Long> totals = new HashMap<>();
  private final Map<String, Deque<Gap>> recent = new HashMap<>();

  /**
   * Reports offsets {@code [from, to)} of a partition as deleted before being copied; returns how
   * many of them were not counted before (0 if all were).
   */
  synchronized long report(String datacenter, int partition, long from, long to, long nowMillis, String how) {
    Map<Integer, Long> upTo = countedUpTo.computeIfAbsent(datacenter, k -> new HashMap<>());
    long start = Math.max(from, upTo.getOrDefault(partition, Long.MIN_VALUE));
    if (to <= start) return 0;
    upTo.put(partition, to);
    long n = to - start;
    totals.merge(datacenter, n, Long::sum);
    Deque<Gap> d = recent.computeIfAbsent(datacenter, k -> new ArrayDeque<>());
    d.addLast(new Gap(datacenter, partition, start, to, nowMillis, how));
    while (d.size() > KEPT) d.removeFirst();
    return n;
  }

  /** Records counted as lost for a datacenter since this mirror started. */
  synchronized long total(String datacenter) {
    return totals.getOrDefault(datacenter, 0L);
  }

  /** The last {@value #KEPT} gaps of a datacenter, oldest first. */
  synchronized List<Gap> recent(String datacenter) {
    return new ArrayList<>(recent.getOrDefault(datacenter, new ArrayDeque<>()));
  }
}
