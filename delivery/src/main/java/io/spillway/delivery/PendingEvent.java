package io.spillway.delivery;

import io.spillway.schemas.KafkaForm;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * An event waiting in the pending store: the Kafka record as it came (so a DLQ copy or a redrive
 * is the original), plus the delivery bookkeeping. The store key is
 * {@code upstream \0 partition offset} (big-endian), so one range scan yields one upstream's
 * events in arrival order and one upstream's backlog never stands in front of another's.
 *
 * @param attempts    HTTP attempts so far
 * @param notBefore   epoch ms before which it must not be sent again (retry backoff)
 * @param categories  data categories (for category holds), or null = unknown (every limit applies)
 */
record PendingEvent(int attempts, long notBefore, Set<String> categories, byte[] key, byte[] value,
    long timestamp, List<KafkaForm.Header> headers, DeadLetterMark deadLetter) {

  /**
   * Set once the event was forwarded to the DLQ: the entry stays until that record is surely
   * written (see DeliveryProcessor), so a crash in between re-sends the DLQ record instead of
   * losing the event.
   */
  record DeadLetterMark(String reason, int status, String detail) {}

  PendingEvent(int attempts, long notBefore, Set<String> categories, byte[] key, byte[] value, long timestamp,
      List<KafkaForm.Header> headers) {
    this(attempts, notBefore, categories, key, value, timestamp, headers, null);
  }

  PendingEvent withDeadLetter(String reason, int status, String detail) {
    return new PendingEvent(attempts, notBefore, categories, key, value, timestamp, headers,
        new DeadLetterMark(reason, status, detail == null ? "" : detail));
  }

  private static final int FORMAT = 1;

  PendingEvent withNotBefore(long notBefore) {
    return new PendingEvent(attempts, notBefore, categories, key, value, timestamp, headers, deadLetter);
  }

  PendingEvent withCategories(Set<String> categories) {
    return new PendingEvent(attempts, notBefore, categories, key, value, timestamp, headers, deadLetter);
  }

  PendingEvent withAttempt() {
    return new PendingEvent(attempts + 1, notBefore, categories, key, value, timestamp, headers, deadLetter);
  }

  static byte[] storeKey(String upstream, int partition, long offset) {
    byte[] u = upstream.getBytes(StandardCharsets.US_ASCII);
    return ByteBuffer.allocate(u.length + 1 + 4 + 8).put(u).put((byte) 0).putInt(partition).putLong(offset).array();
  }

  /** The parts of a {@link #storeKey}. */
  static String upstreamOf(byte[] storeKey) {
    return new String(storeKey, 0, storeKey.length - 13, StandardCharsets.US_ASCII);
  }

  static int partitionOf(byte[] storeKey) {
    return ByteBuffer.wrap(storeKey, storeKey.length - 12, 4).getInt();
  }

  static long offsetOf(byte[] storeKey) {
    return ByteBuffer.wrap(storeKey, storeKey.length - 8, 8).getLong();
  }

  /** The first and one-past-the-last key of an upstream's range. */
  static byte[][] range(String upstream) {
    byte[] u = upstream.getBytes(StandardCharsets.US_ASCII);
    byte[] from = java.util.Arrays.copyOf(u, u.length + 1);
    byte[] to = java.util.Arrays.copyOf(u, u.length + 1);
    to[u.length] = 1;
    return new byte[][] {from, to};
  }

  byte[] toBytes() {
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

  static PendingEvent fromBytes(byte[] b) {
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(b))) {
      int format = in.readByte();
      if (format != FORMAT) throw new IOException("unknown pending format " + format);
      int attempts = in.readInt();
      long notBefore = in.readLong();
      String cats = in.readUTF();
      Set<String> categories = cats.equals("\u0000") ? null
          : cats.isEmpty() ? Set.of() : Set.of(cats.split(";"));
      DeadLetterMark mark = in.readBoolean() ? new DeadLetterMark(in.readUTF(), in.readInt(), in.readUTF()) : null;
      byte[] key = readBytes(in);
      long ts = in.readLong();
      byte[] value = readBytes(in);
      int n = in.readInt();
      List<KafkaForm.Header> headers = new ArrayList<>(n);
      for (int i = 0; i < n; i++) headers.add(new KafkaForm.Header(in.readUTF(), readBytes(in)));
      return new PendingEvent(attempts, notBefore, categories, key, value, ts, headers, mark);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What the scan needs, read without copying the body. */
  record Peek(long notBefore, Set<String> categories, String route, boolean deadLettered) {}

  static Peek peek(byte[] b) {
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(b))) {
      in.readByte();
      in.readInt();
      long notBefore = in.readLong();
      String cats = in.readUTF();
      Set<String> categories = cats.equals("\u0000") ? null
          : cats.isEmpty() ? Set.of() : Set.of(cats.split(";"));
      boolean dead = in.readBoolean();
      if (dead) {
        in.readUTF();
        in.readInt();
        in.readUTF();
      }
      byte[] key = readBytes(in);
      return new Peek(notBefore, categories, key == null ? "" : new String(key, StandardCharsets.UTF_8), dead);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
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
