package io.spillway.schemas;

import java.security.SecureRandom;

/**
 * Spillway's event ids: 26-character ULIDs (48-bit millisecond time + 80 random bits, Crockford
 * base32). Unique across edges without coordination, and they sort by arrival time, so an id says
 * roughly when an event entered the pipeline. Within one generator, ids are strictly increasing
 * even within the same millisecond.
 */
public final class SpillwayId {
  private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();
  private static final SecureRandom SEED = new SecureRandom();

  private long lastMillis = -1;
  private long randHi; // 16 bits
  private long randLo; // 64 bits

  /** Next id for {@code nowMillis}. Thread-safe. */
  public synchronized String next(long nowMillis) {
    if (nowMillis > lastMillis) {
      lastMillis = nowMillis;
      randHi = SEED.nextInt() & 0xFFFFL;
      randLo = SEED.nextLong();
    } else {
      // Same (or earlier: clock stepped back) millisecond: increment the random part.
      randLo++;
      if (randLo == 0) randHi = (randHi + 1) & 0xFFFFL;
    }
    return encode(lastMillis, randHi, randLo);
  }

  static String encode(long millis, long hi16, long lo64) {
    char[] out = new char[26];
    // 10 chars of time (50 bits, top 2 zero), 16 chars of randomness (80 bits).
    for (int i = 9; i >= 0; i--) {
      out[i] = ALPHABET[(int) (millis & 31)];
      millis >>>= 5;
    }
    // 80 bits = hi16 | lo64, emitted 5 bits at a time from the least significant end.
    for (int i = 25; i >= 10; i--) {
      out[i] = ALPHABET[(int) (lo64 & 31)];
      lo64 = (lo64 >>> 5) | ((hi16 & 31) << 59);
      hi16 >>>= 5;
    }
    return new String(out);
  }

  /** The millisecond timestamp encoded in an id; throws {@link IllegalArgumentException} if malformed. */
  public static long timestampOf(String id) {
    if (id == null || id.length() != 26) throw new IllegalArgumentException("not a spillway id: " + id);
    long t = 0;
    for (int i = 0; i < 10; i++) {
      int v = indexOf(id.charAt(i));
      if (v < 0) throw new IllegalArgumentException("not a spillway id: " + id);
      t = (t << 5) | v;
    }
    return t;
  }

  private static int indexOf(char c) {
    for (int i = 0; i < ALPHABET.length; i++) if (ALPHABET[i] == c) return i;
    return -1;
  }
}
