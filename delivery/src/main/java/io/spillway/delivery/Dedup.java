package io.spillway.delivery;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.spillway.schemas.KafkaForm;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Drops a second copy of an event: the same {@code spillway.id} arriving again within
 * {@code delivery.dedup_window} of the first, from another place in Kafka. Copies come from
 * MirrorMaker 2 (after a restart it copies again what came after its last offset flush) and from
 * the bridge (after a crash it produces again what Kafka acknowledged but Redis did not hear of).
 * Both land in the same topic and partition as the first copy (same key), so one task sees both,
 * and a task-local store suffices.
 *
 * <p>The store is a changelogged window store, id → where the first copy was (topic, partition,
 * offset), timestamped with the wall clock when delivery first saw it: the window is about when
 * copies arrive, not about the events' own time (a datacenter catching up after an outage sends
 * hours-old events, whose copies are as close together as any). Its changelog topic uses
 * {@code LogAppendTime}, so Kafka's retention of it follows the same clock.
 *
 * <p>A record processed again after a crash (same topic, partition and offset) is not a copy:
 * it is the same record, whose pending entry may not have survived while the id did (the two
 * stores' changelogs are not written atomically). Copies written by {@code spillway replay}
 * ({@value KafkaForm#REPLAY}) and {@code dlq redrive} ({@value KafkaForm#REDRIVE}) are asked for:
 * they are neither checked nor remembered.
 */
final class Dedup {
  static final String STORE = "dedup";
  /** The record's id and, for a piece of a large event, its {@code index/count} (schemas/README.md). */
  static final String ID_HEADER = "spillway.id";
  static final String CHUNK_HEADER = "spillway.chunk";

  /** What {@link #check} decided. */
  enum Verdict {
    /** First time seen (now remembered): deliver. */
    FIRST,
    /** The record that was remembered, processed again (after a crash): deliver. */
    SAME_RECORD,
    /** Another copy of an event seen within the window: drop. */
    DUPLICATE,
    /** A replay or redrive copy, or no id: deliver, not remembered. */
    EXEMPT
  }

  private final WindowStore<Bytes, byte[]> store;
  private final long windowMillis;
  private final LongSupplier clock;
  private final MeterRegistry registry;

  Dedup(WindowStore<Bytes, byte[]> store, Duration window, LongSupplier clock, MeterRegistry registry) {
    if (store == null) throw new NullPointerException("store == null");
    if (window == null || window.isZero() || window.isNegative()) throw new IllegalArgumentException("window must be positive: " + window);
    this.store = store;
    this.windowMillis = window.toMillis();
    this.clock = clock;
    this.registry = registry;
  }

  /** The store for {@link #STORE}; retention and window are both {@code window}. */
  static StoreBuilder<WindowStore<Bytes, byte[]>> storeBuilder(Duration window) {
    return Stores.windowStoreBuilder(Stores.persistentWindowStore(STORE, window, window, false), Serdes.Bytes(), Serdes.ByteArray())
        .withCachingDisabled()
        .withLoggingEnabled(Map.of("message.timestamp.type", "LogAppendTime"));
  }

  /**
   * The id a copy is recognised by: {@code spillway.id}, and for a piece of a large event also its
   * {@code spillway.chunk} (the pieces of one event share the id); null when the record has no id.
   */
  static byte[] key(Headers headers) {
    Header id = headers.lastHeader(ID_HEADER);
    if (id == null || id.value() == null) return null;
    Header chunk = headers.lastHeader(CHUNK_HEADER);
    if (chunk == null || chunk.value() == null) return id.value();
    byte[] k = java.util.Arrays.copyOf(id.value(), id.value().length + 1 + chunk.value().length);
    k[id.value().length] = '#';
    System.arraycopy(chunk.value(), 0, k, id.value().length + 1, chunk.value().length);
    return k;
  }

  /** True for copies someone asked for: a replay or a redrive. */
  static boolean exempt(Headers headers) {
    return headers.lastHeader(KafkaForm.REPLAY) != null || headers.lastHeader(KafkaForm.REDRIVE) != null;
  }

  /**
   * Checks the record at {@code topic/partition/offset} by its {@link #key} (none: exempt) and remembers it when it is the first copy; a duplicate is counted in
   * {@code spillway_delivery_duplicates_dropped_total{source=topic}}.
   */
  Verdict check(Headers headers, String topic, int partition, long offset) {
    byte[] id = key(headers);
    if (id == null || id.length == 0 || exempt(headers)) return Verdict.EXEMPT;
    Bytes key = Bytes.wrap(id);
    long now = clock.getAsLong();
    byte[] here = where(topic, partition, offset);
    Verdict v = Verdict.FIRST;
    try (WindowStoreIterator<byte[]> it = store.fetch(key, Instant.ofEpochMilli(now - windowMillis), Instant.ofEpochMilli(now))) {
      while (it.hasNext()) {
        v = verdict(it.next().value, here);
        if (v == Verdict.SAME_RECORD) break;
      }
    }
    if (v == Verdict.FIRST) store.put(key, here, now);
    if (v == Verdict.DUPLICATE) {
      Counter.builder("spillway_delivery_duplicates_dropped").description("second copies of an event dropped (same spillway.id within delivery.dedup_window)")
          .tag("source", topic).register(registry).increment();
    }
    return v;
  }

  /** A remembered copy's place against this record's: the same record, or another copy. */
  static Verdict verdict(byte[] remembered, byte[] here) {
    return java.util.Arrays.equals(remembered, here) ? Verdict.SAME_RECORD : Verdict.DUPLICATE;
  }

  /** Where a record is: topic, partition, offset. */
  static byte[] where(String topic, int partition, long offset) {
    ByteArrayOutputStream b = new ByteArrayOutputStream(topic.length() + 16);
    try (DataOutputStream out = new DataOutputStream(b)) {
      out.writeUTF(topic);
      out.writeInt(partition);
      out.writeLong(offset);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return b.toByteArray();
  }

  /** The parts of {@link #where}, for messages and tests. */
  static String describe(byte[] where) {
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(where))) {
      return in.readUTF() + "-" + in.readInt() + "@" + in.readLong();
    } catch (IOException e) {
      return "?";
    }
  }
}
