package io.spillway.schemas;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Large events travel in pieces (as Sentry's own ingest does with attachment chunks): a body above
 * {@link #CHUNK_BYTES} becomes {@code ceil(size / CHUNK_BYTES)} records of version 2, each with
 * the event's fields, its slice of the body and {@link BufferedEvent.Chunk} (index, count, total
 * size). Every record then fits Kafka's default message size (1 MiB) whoever created the topic, a
 * changelog record of delivery's stores, and a bridge's read batch. Delivery puts the pieces
 * together again ({@link #join}) and sends the original body.
 */
public final class Chunks {
  /**
   * 512 KiB: a piece with its headers stays well under Kafka's default {@code message.max.bytes}
   * (1 MiB + 12 bytes), so no topic setting is needed for it to pass.
   */
  public static final int CHUNK_BYTES = 512 * 1024;

  private Chunks() {}

  /** The records {@code event} travels as: itself if its body fits one chunk, else its pieces in order. */
  public static List<BufferedEvent> split(BufferedEvent event) {
    return split(event, CHUNK_BYTES);
  }

  /** As {@link #split(BufferedEvent)} with another piece size (tests). */
  public static List<BufferedEvent> split(BufferedEvent event, int chunkBytes) {
    if (event == null) throw new NullPointerException("event == null");
    if (chunkBytes < 1) throw new IllegalArgumentException("chunkBytes < 1");
    if (event.isChunk()) throw new IllegalArgumentException("already a chunk: " + event);
    byte[] body = event.body();
    if (body.length <= chunkBytes) return List.of(event);
    List<byte[]> pieces = new ArrayList<>();
    for (int off = 0; off < body.length; off += chunkBytes) {
      pieces.add(Arrays.copyOfRange(body, off, Math.min(body.length, off + chunkBytes)));
    }
    return of(event, pieces);
  }

  /**
   * The chunk records of {@code template}'s event whose body is {@code pieces} in order (the edge
   * collects a large body straight into pieces). One piece means a whole event.
   */
  public static List<BufferedEvent> of(BufferedEvent template, List<byte[]> pieces) {
    if (pieces.isEmpty()) throw new IllegalArgumentException("no pieces");
    if (pieces.size() == 1) return List.of(template.toBuilder().body(pieces.get(0)).chunk(null).build());
    long total = 0;
    for (byte[] p : pieces) total += p.length;
    List<BufferedEvent> out = new ArrayList<>(pieces.size());
    for (int i = 0; i < pieces.size(); i++) {
      out.add(template.toBuilder().body(pieces.get(i)).chunk(new BufferedEvent.Chunk(i, pieces.size(), total)).build());
    }
    return List.copyOf(out);
  }

  /**
   * The whole event from all of its chunks (in any order, no duplicates): the fields of chunk 0 and
   * the pieces' bodies in index order. Throws {@link RecordFormatException} if they are not exactly
   * the pieces of one event.
   */
  public static BufferedEvent join(List<BufferedEvent> chunks) {
    if (chunks == null || chunks.isEmpty()) throw new RecordFormatException("no chunks to join");
    BufferedEvent first = chunks.get(0);
    if (!first.isChunk()) throw new RecordFormatException("not a chunk: " + first);
    int count = first.chunk().count();
    long total = first.chunk().totalSize();
    if (chunks.size() != count) throw new RecordFormatException("event " + first.id() + " has " + chunks.size() + " of " + count + " chunks");
    if (total > Integer.MAX_VALUE - 16) throw new RecordFormatException("event " + first.id() + " is too large to join: " + total + " bytes");
    BufferedEvent[] byIndex = new BufferedEvent[count];
    for (BufferedEvent c : chunks) {
      if (!c.isChunk() || !c.id().equals(first.id()) || c.chunk().count() != count || c.chunk().totalSize() != total) {
        throw new RecordFormatException("chunk " + c + " does not belong to event " + first.id());
      }
      if (byIndex[c.chunk().index()] != null) throw new RecordFormatException("chunk " + c.chunk() + " of " + first.id() + " twice");
      byIndex[c.chunk().index()] = c;
    }
    byte[] body = new byte[(int) total];
    int off = 0;
    for (BufferedEvent c : byIndex) {
      if (off + c.body().length > total) throw new RecordFormatException("chunks of " + first.id() + " exceed " + total + " bytes");
      System.arraycopy(c.body(), 0, body, off, c.body().length);
      off += c.body().length;
    }
    if (off != total) throw new RecordFormatException("chunks of " + first.id() + " hold " + off + " of " + total + " bytes");
    return byIndex[0].toBuilder().body(body).chunk(null).build();
  }
}
