package io.spillway.delivery.tools;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Puts dead letters together into entries as they stream by: a whole record is an entry at once;
 * the pieces of a large event (same {@link DlqRecord#groupKey}) become one entry when the last
 * one arrives. Only headers are kept (a piece's offset and index), never a body.
 *
 * <p>An entry starts at its event's first piece (index 0): a piece whose first piece was not
 * read (it lies before the range, or on an earlier page) is skipped and counted as an orphan.
 * Pieces of an event given up as {@code incomplete} may lack index 0, so any of them starts it.
 * Delivery writes an event's pieces one after the other, so they are next to each other in their
 * partition unless another writer slipped in between; a group still missing pieces
 * {@value #WINDOW} records after its last one (or at the end of what is read) is handed on as it
 * is, with the pieces found.
 */
final class DlqGroups {
  static final int WINDOW = 10_000;

  /** One entry in the making. */
  static final class Group {
    final DlqRecord first;
    /** Already handed on (on an earlier page): its pieces are absorbed, never handed on again. */
    final boolean seen;
    /** Offset of each piece by index, -1 = not seen; one element for a whole record. */
    final long[] offsets;
    int found;
    long lastOffset;

    Group(DlqRecord first, boolean seen) {
      this.first = first;
      this.seen = seen;
      this.offsets = new long[first.isPiece() ? first.count() : 1];
      Arrays.fill(offsets, -1);
      add(first);
    }

    void add(DlqRecord r) {
      int i = r.isPiece() ? r.index() : 0;
      if (offsets[i] >= 0) return; // a DLQ duplicate (a task wrote it again after a crash)
      offsets[i] = r.offset();
      found++;
      lastOffset = Math.max(lastOffset, r.offset());
    }

    boolean complete() {
      return found == offsets.length;
    }

    /** The offsets of the pieces found, ascending. */
    long[] foundOffsets() {
      return Arrays.stream(offsets).filter(o -> o >= 0).sorted().toArray();
    }
  }

  private final Map<String, Group> open = new LinkedHashMap<>();
  private long orphans;

  /** Adds a record; {@code done} gets every entry this completes (whole records at once). */
  void add(DlqRecord r, boolean pastEnd, Consumer<Group> done) {
    if (!r.isPiece()) {
      if (!pastEnd) done.accept(new Group(r, false));
    } else {
      String key = r.groupKey();
      Group g = open.get(key);
      if (g == null) {
        if (pastEnd) return;
        if (r.index() != 0 && !r.ofIncompleteEvent()) {
          orphans++;
          return;
        }
        g = new Group(r, false);
        open.put(key, g);
      } else {
        g.add(r);
      }
      if (g.complete()) {
        open.remove(key);
        if (!g.seen) done.accept(g);
      }
    }
    if (!open.isEmpty()) expire(r.partition(), r.offset(), done);
  }

  /** Registers the entry starting at {@code r} as seen (its pieces are not orphans), without handing it on. */
  void skipEntryOf(DlqRecord r) {
    if (r.isPiece()) open.put(r.groupKey(), new Group(r, true));
  }

  private void expire(int partition, long offset, Consumer<Group> done) {
    for (Iterator<Group> it = open.values().iterator(); it.hasNext(); ) {
      Group g = it.next();
      if (g.first.partition() == partition && offset - g.lastOffset > WINDOW) {
        it.remove();
        if (!g.seen) done.accept(g);
      }
    }
  }

  /** Whether {@code r}'s event has an entry in the making (or was seen on an earlier page). */
  boolean isOpen(DlqRecord r) {
    return r.isPiece() && open.containsKey(r.groupKey());
  }

  /** Whether an entry of {@code partition} still waits for pieces (read on past the range for them). */
  boolean waiting(int partition) {
    for (Group g : open.values()) if (g.first.partition() == partition && !g.seen) return true;
    return false;
  }

  /** Hands on what is still open, as it is (pieces missing). */
  void finish(Consumer<Group> done) {
    List<Group> left = new ArrayList<>(open.values());
    open.clear();
    for (Group g : left) if (!g.seen) done.accept(g);
  }

  /** Pieces skipped because their event's first piece was not read. */
  long orphans() {
    return orphans;
  }
}
