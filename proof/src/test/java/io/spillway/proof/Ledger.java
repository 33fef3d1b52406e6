package io.spillway.proof;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the load generator saw for one scenario: every event id it sent, the ids answered 200,
 * the non-200 answers by status, and requests that got no answer at all (connection refused or
 * reset, timeout). An id answered 200 is an acknowledged event the pipeline now owes delivery of.
 */
final class Ledger {
  final String scenario;
  final Set<String> sent = ConcurrentHashMap.newKeySet();
  final Set<String> acked = ConcurrentHashMap.newKeySet();
  /** Ids sent on the copied route ({@link Pipeline#SHOP_ALIAS}): owed to the copy's destination as well once acknowledged. */
  final Set<String> copied = ConcurrentHashMap.newKeySet();
  /** Acknowledged ids that were sent to a route the upstream rejects: expected in the DLQ, not at the upstream. */
  final Set<String> ackedPoison = ConcurrentHashMap.newKeySet();
  final Map<Integer, AtomicLong> rejectedByStatus = new ConcurrentHashMap<>();
  final AtomicLong noAnswer = new AtomicLong();
  /** Large events sent: event id → SHA-256 of the body sent, to check they arrive whole. */
  final Map<String, String> largeDigests = new ConcurrentHashMap<>();
  /** Sends the generator skipped because too many requests were already in flight (never sent, no id). */
  final AtomicLong skipped = new AtomicLong();
  /** What the scenario's fault actions observed, for the report's notes. */
  final java.util.List<String> notes = new java.util.concurrent.CopyOnWriteArrayList<>();

  Ledger(String scenario) {
    this.scenario = scenario;
  }

  void rejected(int status) {
    rejectedByStatus.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
  }

  long rejectedTotal() {
    return rejectedByStatus.values().stream().mapToLong(AtomicLong::get).sum();
  }

  String rejectedSummary() {
    StringBuilder b = new StringBuilder();
    new java.util.TreeMap<>(rejectedByStatus).forEach((s, n) -> b.append(b.length() == 0 ? "" : ", ").append(s).append("×").append(n.get()));
    return b.toString();
  }
}
