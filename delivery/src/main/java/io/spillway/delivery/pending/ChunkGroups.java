package io.spillway.delivery.pending;

import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.Chunks;
import io.spillway.schemas.KafkaForm;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Large events in the pending store: their pieces (chunk records, as they came) and, per event, a
 * group entry saying which pieces arrived. Pieces may come in any order, twice, or interleaved
 * with other events (bridges re-produce after failures, several bridges share a stream); a group
 * completes when every index has arrived, then its destinations are filed as pending events that
 * refer to the pieces, and the pieces are deleted once the last destination is done.
 *
 * <p>Everything lives in the one pending store, so its writes reach the one changelog partition
 * in the order they were made: a restored store that shows a group complete also shows the
 * pending entries filed before that mark (after a crash, nothing is complete without them).
 *
 * <p>Bounds: a group stays open only while its pieces keep coming. One whose last piece arrived
 * longer than {@code delivery.chunk_timeout} ago, while its partition received events the edge
 * took more than that after it, is given up: its pieces go to the DLQ ({@code incomplete}). A
 * completed group's entry is kept for that long too, so late repeats of its pieces are recognised
 * and dropped instead of starting a group that could never complete.
 *
 * <p>A group is one <em>copy</em> of an event: its spillway id plus what {@code replay} and
 * {@code dlq redrive} add ({@link #groupId}). A replay or redrive of a large event that was
 * delivered or dead-lettered a moment ago is a new group, not a repeat of the old one's pieces.
 */
public final class ChunkGroups {
  /** First byte of every key of this class: no upstream name starts with it. */
  static final byte PREFIX = 1;
  private static final byte PIECE = 'P';
  private static final byte GROUP = 'G';
  private static final int FORMAT = 1;

  private final KeyValueStore<Bytes, byte[]> store;

  public ChunkGroups(KeyValueStore<Bytes, byte[]> store) {
    this.store = store;
  }

  /**
   * What is known of one large event.
   *
   * @param receivedAt   the edge's received-at (all pieces carry the same)
   * @param lastArrival  wall clock when the last new piece arrived
   * @param completedAt  wall clock when the last piece arrived, 0 while open
   * @param destinations the pending keys filed for it when it completed (still referring to the pieces)
   */
  public record Group(int count, long totalSize, long receivedAt, long lastArrival, BitSet received, long completedAt,
      List<byte[]> destinations) {
    boolean complete() {
      return completedAt > 0;
    }

    boolean hasAll() {
      return received.cardinality() == count;
    }

    byte[] toBytes() {
      ByteArrayOutputStream b = new ByteArrayOutputStream(64 + count / 8);
      try (DataOutputStream out = new DataOutputStream(b)) {
        out.writeByte(FORMAT);
        out.writeInt(count);
        out.writeLong(totalSize);
        out.writeLong(receivedAt);
        out.writeLong(lastArrival);
        out.writeLong(completedAt);
        byte[] bits = received.toByteArray();
        out.writeInt(bits.length);
        out.write(bits);
        out.writeInt(destinations.size());
        for (byte[] d : destinations) {
          out.writeInt(d.length);
          out.write(d);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return b.toByteArray();
    }

    static Group fromBytes(byte[] b) {
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(b))) {
        int format = in.readByte();
        if (format != FORMAT) throw new IOException("unknown group format " + format);
        int count = in.readInt();
        long total = in.readLong();
        long receivedAt = in.readLong();
        long lastArrival = in.readLong();
        long completedAt = in.readLong();
        byte[] bits = new byte[in.readInt()];
        in.readFully(bits);
        int n = in.readInt();
        List<byte[]> destinations = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          byte[] d = new byte[in.readInt()];
          in.readFully(d);
          destinations.add(d);
        }
        return new Group(count, total, receivedAt, lastArrival, BitSet.valueOf(bits), completedAt, destinations);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** What adding a piece did. */
  public sealed interface Added {}

  /** The piece was stored; others are still missing. */
  record Waiting() implements Added {}

  /** The piece was there already, or belongs to an event that completed (a repeat). */
  public record Repeated() implements Added {}

  /** The piece does not fit its group (another count or size for the same id): it cannot be used. */
  public record Conflicting(String detail) implements Added {}

  /** That was the last missing piece: {@link #complete} must be called once its destinations are filed. */
  public record Completed(Group group) implements Added {}

  /**
   * The group a piece belongs to: its spillway id, followed (only for copies written by the tools)
   * by the replay id, the redriven DLQ entry and the one destination it is for. Pieces of an
   * original event keep the plain id, as groups stored before copies had their own did.
   */
  public static String groupId(String spillwayId, List<KafkaForm.Header> headers) {
    String replay = null;
    String redrive = null;
    String only = null;
    for (KafkaForm.Header h : headers) {
      if (h.value() == null) continue;
      switch (h.name()) {
        case KafkaForm.REPLAY -> replay = new String(h.value(), StandardCharsets.UTF_8);
        case KafkaForm.REDRIVE -> redrive = new String(h.value(), StandardCharsets.UTF_8);
        case KafkaForm.ONLY_DESTINATION -> only = new String(h.value(), StandardCharsets.UTF_8);
        default -> { }
      }
    }
    if (replay == null && redrive == null && only == null) return spillwayId;
    return spillwayId + '\0' + (replay == null ? "" : replay) + '\0' + (redrive == null ? "" : redrive) + '\0' + (only == null ? "" : only);
  }

  /** Stores a piece ({@code record} is the Kafka record as it came, {@code piece} its decoded form). */
  public Added add(BufferedEvent piece, PendingEvent record, long now) {
    String id = groupId(piece.id(), record.headers());
    BufferedEvent.Chunk c = piece.chunk();
    Bytes gk = groupKey(id);
    byte[] raw = store.get(gk);
    Group g = raw == null ? null : Group.fromBytes(raw);
    if (g != null && g.complete()) return new Repeated();
    if (g == null) {
      g = new Group(c.count(), c.totalSize(), piece.receivedAt(), now, new BitSet(c.count()), 0, List.of());
    } else if (g.count() != c.count() || g.totalSize() != c.totalSize()) {
      return new Conflicting("chunk " + c + " of " + c.totalSize() + " bytes does not match its event's "
          + g.count() + " chunks of " + g.totalSize() + " bytes");
    }
    if (g.received().get(c.index())) return new Repeated();
    store.put(pieceKey(id, c.index()), record.toBytes());
    BitSet received = (BitSet) g.received().clone();
    received.set(c.index());
    Group updated = new Group(g.count(), g.totalSize(), g.receivedAt(), now, received, 0, List.of());
    if (updated.hasAll()) return new Completed(updated);
    store.put(gk, updated.toBytes());
    return new Waiting();
  }

  /** Marks a group complete, after its destinations were filed (in this order: see the class comment). */
  public void complete(String id, Group g, List<byte[]> destinations, long now) {
    store.put(groupKey(id), new Group(g.count(), g.totalSize(), g.receivedAt(), g.lastArrival(), g.received(), now,
        List.copyOf(destinations)).toBytes());
  }

  /** The whole event from its pieces. */
  public BufferedEvent join(String id, int count) {
    List<BufferedEvent> pieces = new ArrayList<>(count);
    for (PendingEvent p : pieces(id, count)) pieces.add(KafkaForm.decode(p.key(), p.value(), p.headers()));
    return Chunks.join(pieces);
  }

  /** The records of the pieces that are here, in index order. */
  public List<PendingEvent> pieces(String id, int count) {
    List<PendingEvent> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      PendingEvent p = piece(id, i);
      if (p != null) out.add(p);
    }
    return out;
  }

  /** The record of piece {@code index}, or null when it is not here. */
  public PendingEvent piece(String id, int index) {
    byte[] raw = store.get(pieceKey(id, index));
    return raw == null ? null : PendingEvent.fromBytes(raw);
  }

  /**
   * One destination of a completed event is done (delivered or dead-lettered, its pending entry
   * deleted): once none of its destinations is left, its pieces are deleted. The group entry
   * stays until {@link #sweep} removes it.
   */
  public void release(String id) {
    byte[] raw = store.get(groupKey(id));
    if (raw == null) return;
    Group g = Group.fromBytes(raw);
    List<byte[]> left = new ArrayList<>();
    for (byte[] d : g.destinations()) if (store.get(Bytes.wrap(d)) != null) left.add(d);
    if (left.isEmpty()) deletePieces(id, g.count());
    if (left.size() != g.destinations().size()) {
      store.put(groupKey(id), new Group(g.count(), g.totalSize(), g.receivedAt(), g.lastArrival(), g.received(),
          g.completedAt(), left).toBytes());
    }
  }

  /** An open group given up as incomplete: its pieces (for the DLQ) and what arrived. */
  public record Abandoned(String id, Group group, List<PendingEvent> pieces) {
    public String detail() {
      List<Integer> have = new ArrayList<>();
      for (int i = group.received().nextSetBit(0); i >= 0; i = group.received().nextSetBit(i + 1)) have.add(i);
      return "chunks " + have + " of " + group.count() + " arrived; the rest did not within delivery.chunk_timeout";
    }
  }

  /**
   * Removes completed groups older than {@code timeoutMillis} whose destinations are all done, and
   * gives up open groups that stopped receiving pieces {@code timeoutMillis} ago (wall clock) while
   * the partition moved on ({@code streamTime}, the newest received-at this task has seen, is more
   * than {@code timeoutMillis} past theirs). The abandoned ones' pieces are deleted here and
   * returned for the DLQ.
   */
  public List<Abandoned> sweep(long now, long streamTime, long timeoutMillis) {
    List<Abandoned> abandoned = new ArrayList<>();
    List<KeyValue<Bytes, byte[]>> groups = new ArrayList<>();
    try (KeyValueIterator<Bytes, byte[]> it = store.range(Bytes.wrap(new byte[] {PREFIX, GROUP}),
        Bytes.wrap(new byte[] {PREFIX, GROUP + 1}))) {
      while (it.hasNext()) groups.add(it.next());
    }
    for (KeyValue<Bytes, byte[]> kv : groups) {
      String id = new String(kv.key.get(), 2, kv.key.get().length - 2, StandardCharsets.UTF_8);
      Group g = Group.fromBytes(kv.value);
      if (g.complete()) {
        if (now - g.completedAt() <= timeoutMillis) continue;
        boolean anyLeft = false;
        for (byte[] d : g.destinations()) anyLeft |= store.get(Bytes.wrap(d)) != null;
        if (anyLeft) continue;
        deletePieces(id, g.count());
        store.delete(kv.key);
      } else if (now - g.lastArrival() > timeoutMillis && streamTime - g.receivedAt() > timeoutMillis) {
        abandoned.add(new Abandoned(id, g, pieces(id, g.count())));
        deletePieces(id, g.count());
        store.delete(kv.key);
      }
    }
    return abandoned;
  }

  /** Groups not complete yet (for the pending gauge's restore count and tests). */
  long openGroups() {
    long n = 0;
    try (KeyValueIterator<Bytes, byte[]> it = store.range(Bytes.wrap(new byte[] {PREFIX, GROUP}),
        Bytes.wrap(new byte[] {PREFIX, GROUP + 1}))) {
      while (it.hasNext()) if (!Group.fromBytes(it.next().value).complete()) n++;
    }
    return n;
  }

  private void deletePieces(String id, int count) {
    for (int i = 0; i < count; i++) store.delete(pieceKey(id, i));
  }

  static Bytes groupKey(String id) {
    byte[] i = id.getBytes(StandardCharsets.UTF_8);
    return Bytes.wrap(ByteBuffer.allocate(2 + i.length).put(PREFIX).put(GROUP).put(i).array());
  }

  static Bytes pieceKey(String id, int index) {
    byte[] i = id.getBytes(StandardCharsets.UTF_8);
    return Bytes.wrap(ByteBuffer.allocate(2 + i.length + 1 + 4).put(PREFIX).put(PIECE).put(i).put((byte) 0).putInt(index).array());
  }
}
