package io.spillway.rules.privacy;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/** Byte ranges of a JSON document to replace (never overlapping); applied in one copy at the end. */
final class Edits {
  private long[] starts = new long[8];
  private long[] ends = new long[8];
  private byte[][] replacements = new byte[8][];
  private int size;

  void add(long start, long end, byte[] replacement) {
    if (size == starts.length) {
      starts = Arrays.copyOf(starts, size * 2);
      ends = Arrays.copyOf(ends, size * 2);
      replacements = Arrays.copyOf(replacements, size * 2);
    }
    starts[size] = start;
    ends[size] = end;
    replacements[size] = replacement;
    size++;
  }

  int size() {
    return size;
  }

  void rollback(int mark) {
    for (int i = mark; i < size; i++) replacements[i] = null;
    size = mark;
  }

  /** {@code json[off, off+len)} with the edits applied (offsets are absolute in {@code json}). */
  byte[] apply(byte[] json, int off, int len) {
    Integer[] order = new Integer[size];
    for (int i = 0; i < size; i++) order[i] = i;
    Arrays.sort(order, (a, b) -> Long.compare(starts[a], starts[b]));
    ByteArrayOutputStream out = new ByteArrayOutputStream(len + 64);
    int pos = off;
    for (int k : order) {
      int s = (int) starts[k];
      if (s < pos) continue; // inside a range already replaced (a removed container's child): cannot happen, kept safe
      out.write(json, pos, s - pos);
      out.write(replacements[k], 0, replacements[k].length);
      pos = (int) ends[k];
    }
    out.write(json, pos, off + len - pos);
    return out.toByteArray();
  }
}
