package io.spillway.delivery.pending;

import io.spillway.schemas.KafkaForm;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * An event waiting in the pending store for one destination: the Kafka record as it came (so a DLQ
 * copy or a redrive is the original), plus the delivery bookkeeping. Keys: {@link PendingKey}.
 *
 * @param attempts    HTTP attempts so far
 * @param notBefore   epoch ms before which it must not be sent again (retry backoff)
 * @param categories  data categories (for category holds), or null = unknown (every limit applies)
 * @param target      the destination route ({@code upstream/project}); null = the record's own route
 * @param chunks      0 for an event held whole in {@code value}; else the number of pieces of a large
 *                    event held by {@link ChunkGroups} under its spillway id ({@code value} is empty)
 */
public record PendingEvent(int attempts, long notBefore, Set<String> categories, byte[] key, byte[] value,
    long timestamp, List<KafkaForm.Header> headers, DeadLetterMark deadLetter, String target, int chunks) {

  /**
   * Set once the event was forwarded to the DLQ: the entry stays until that record is surely
   * written (see DeliveryProcessor), so a crash in between re-sends the DLQ record instead of
   * losing the event.
   */
  public record DeadLetterMark(String reason, int status, String detail) {}

  /** A record as it came, for its own route, held whole. */
  public PendingEvent(int attempts, long notBefore, Set<String> categories, byte[] key, byte[] value, long timestamp,
      List<KafkaForm.Header> headers) {
    this(attempts, notBefore, categories, key, value, timestamp, headers, null, null, 0);
  }

  public PendingEvent withDeadLetter(String reason, int status, String detail) {
    return new PendingEvent(attempts, notBefore, categories, key, value, timestamp, headers,
        new DeadLetterMark(reason, status, detail == null ? "" : detail), target, chunks);
  }

  /** Format 1 had neither target nor chunks; it is still read. */
  private static final int FORMAT = 2;

  public PendingEvent withNotBefore(long notBefore) {
    return new PendingEvent(attempts, notBefore, categories, key, value, timestamp, headers, deadLetter, target, chunks);
  }

  public PendingEvent withCategories(Set<String> categories) {
    return new PendingEvent(attempts, notBefore, categories, key, value, timestamp, headers, deadLetter, target, chunks);
  }

  public PendingEvent withAttempt() {
    return new PendingEvent(attempts + 1, notBefore, categories, key, value, timestamp, headers, deadLetter, target, chunks);
  }

  /** The same event for another destination route. */
  public PendingEvent forTarget(String targetRoute) {
    return new PendingEvent(attempts, notBefore, categories, key, value, timestamp, headers, deadLetter, targetRoute, chunks);
  }

  /** The destination route: {@link #target}, or the record's own route. */
  public String targetRoute() {
    return target != null ? target : key == null ? "" : new String(key, StandardCharsets.UTF_8);
  }

  public boolean isChunked() {
    return chunks > 0;
  }

  public byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(value.length + 512);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(FORMAT);
      out.writeInt(attempts);
      out.writeLong(notBefore);
      out.writeUTF(categories == null ? "\u0000" : String.join(";", categories));
      out.writeBoolean(deadLetter != null);
      if (deadLetter != null) {
        out.writeUTF(deadLetter.reason());
        out.writeInt(deadLetter.status());
        out.writeUTF(truncate(deadLetter.detail()));
      }
      out.writeUTF(target == null ? "" : target);
      out.writeInt(chunks);
      writeBytes(out, key);
      out.writeLong(timestamp);
      writeBytes(out, value);
      out.writeInt(headers.size());
      for (KafkaForm.Header h : headers) {
        out.writeUTF(h.name());
        writeBytes(out, h.value());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  public static PendingEvent fromBytes(byte[] b) {
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(b))) {
      Head h = Head.read(in);
      long ts = in.readLong();
      byte[] value = readBytes(in);
      int n = in.readInt();
      List<KafkaForm.Header> headers = new ArrayList<>(n);
      for (int i = 0; i < n; i++) headers.add(new KafkaForm.Header(in.readUTF(), readBytes(in)));
      return new PendingEvent(h.attempts, h.notBefore, h.categories, h.key, value, ts, headers, h.mark, h.target, h.chunks);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * What the scan needs, read without copying the body.
   *
   * @param route the destination route ({@code upstream/project})
   */
  public record Peek(long notBefore, Set<String> categories, String route, boolean deadLettered, int chunks) {}

  public static Peek peek(byte[] b) {
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(b))) {
      Head h = Head.read(in);
      String route = h.target != null ? h.target : h.key == null ? "" : new String(h.key, StandardCharsets.UTF_8);
      return new Peek(h.notBefore, h.categories, route, h.mark != null, h.chunks);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Everything before the record's timestamp and body; formats 1 and 2 (2 added the target and the chunk count). */
  private record Head(int attempts, long notBefore, Set<String> categories, DeadLetterMark mark, String target, int chunks, byte[] key) {
    static Head read(DataInputStream in) throws IOException {
      int format = in.readByte();
      if (format != FORMAT && format != 1) throw new IOException("unknown pending format " + format);
      int attempts = in.readInt();
      long notBefore = in.readLong();
      String cats = in.readUTF();
      Set<String> categories = cats.equals("\u0000") ? null
          : cats.isEmpty() ? Set.of() : Set.of(cats.split(";"));
      DeadLetterMark mark = in.readBoolean() ? new DeadLetterMark(in.readUTF(), in.readInt(), in.readUTF()) : null;
      String target = null;
      int chunks = 0;
      if (format >= 2) {
        String t = in.readUTF();
        target = t.isEmpty() ? null : t;
        chunks = in.readInt();
      }
      return new Head(attempts, notBefore, categories, mark, target, chunks, readBytes(in));
    }
  }

  /** writeUTF takes at most 65535 bytes; details are short anyway (SecretFilter.MAX_LENGTH). */
  private static String truncate(String s) {
    return s.length() > 1000 ? s.substring(0, 1000) : s;
  }

  private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
    if (b == null) {
      out.writeInt(-1);
      return;
    }
    out.writeInt(b.length);
    out.write(b);
  }

  private static byte[] readBytes(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0) return null;
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }
}
