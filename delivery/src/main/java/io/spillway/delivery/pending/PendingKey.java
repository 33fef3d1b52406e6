package io.spillway.delivery.pending;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Keys of the pending store, which holds three kinds of entries:
 * <ul>
 *   <li>an event for one destination: {@code upstream \0 \2 topic \0 partition offset project}
 *       (partition and offset big-endian; the destination's project last). One upstream's events
 *       are one key range, in arrival order per source partition, so one upstream's backlog never
 *       stands in front of another's; the source topic is in the key because one task reads the
 *       same partition number of several topics (a datacenter's mirrored copy, say), and the
 *       project because one event may go to two projects of an upstream (copies);
 *   <li>a piece of a large event and the state of its group ({@link ChunkGroups}), under
 *       {@code \1}, which no upstream name starts with.
 * </ul>
 * Keys written before topics were part of them ({@code upstream \0 partition offset}) are still
 * read, as the main topic's and the record's own route.
 */
public final class PendingKey {
  private static final byte FORMAT_2 = 2;

  private PendingKey() {}

  public static byte[] of(String upstream, String topic, int partition, long offset, String project) {
    byte[] u = upstream.getBytes(StandardCharsets.US_ASCII);
    byte[] t = topic.getBytes(StandardCharsets.UTF_8);
    byte[] p = project.getBytes(StandardCharsets.US_ASCII);
    return ByteBuffer.allocate(u.length + 2 + t.length + 1 + 12 + p.length)
        .put(u).put((byte) 0).put(FORMAT_2).put(t).put((byte) 0).putInt(partition).putLong(offset).put(p).array();
  }

  /** The first and one-past-the-last key of an upstream's range. */
  public static byte[][] range(String upstream) {
    byte[] u = upstream.getBytes(StandardCharsets.US_ASCII);
    byte[] from = Arrays.copyOf(u, u.length + 1);
    byte[] to = Arrays.copyOf(u, u.length + 1);
    to[u.length] = 1;
    return new byte[][] {from, to};
  }

  /** Whether this key is an event for a destination (not a piece or group of a large event). */
  public static boolean isEvent(byte[] key) {
    return key.length > 0 && key[0] != ChunkGroups.PREFIX;
  }

  public static String upstreamOf(byte[] key) {
    return new String(key, 0, nul(key), StandardCharsets.US_ASCII);
  }

  public static String topicOf(byte[] key, String legacyTopic) {
    int n = nul(key);
    if (isLegacy(key, n)) return legacyTopic;
    int end = indexOf(key, (byte) 0, n + 2);
    return new String(key, n + 2, end - n - 2, StandardCharsets.UTF_8);
  }

  public static int partitionOf(byte[] key) {
    return ByteBuffer.wrap(key, numbersAt(key), 4).getInt();
  }

  public static long offsetOf(byte[] key) {
    return ByteBuffer.wrap(key, numbersAt(key) + 4, 8).getLong();
  }

  /** The destination's project, or null for a key written before keys carried it (then the record's route). */
  static String projectOf(byte[] key) {
    int n = nul(key);
    if (isLegacy(key, n)) return null;
    int start = numbersAt(key) + 12;
    return new String(key, start, key.length - start, StandardCharsets.US_ASCII);
  }

  /** A legacy key has its partition right after the nul; partition numbers never start with byte 2. */
  private static boolean isLegacy(byte[] key, int nul) {
    return key[nul + 1] != FORMAT_2;
  }

  private static int numbersAt(byte[] key) {
    int n = nul(key);
    if (isLegacy(key, n)) return n + 1;
    return indexOf(key, (byte) 0, n + 2) + 1;
  }

  private static int nul(byte[] key) {
    int n = indexOf(key, (byte) 0, 0);
    if (n < 0) throw new IllegalArgumentException("not a pending key");
    return n;
  }

  private static int indexOf(byte[] b, byte c, int from) {
    for (int i = from; i < b.length; i++) if (b[i] == c) return i;
    return -1;
  }
}
