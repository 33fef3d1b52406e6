package io.spillway.schemas.body;

import java.util.UUID;

/** Sentry event ids: 32 hex digits, also accepted hyphenated (UUID form); written lower-case without hyphens. */
public final class EventIds {
  private EventIds() {}

  /** The id as 32 lower-case hex digits, or null if {@code s} is not an event id. */
  public static String normalize(String s) {
    if (s == null) return null;
    int n = s.length();
    if (n != 32 && n != 36) return null;
    char[] out = new char[32];
    int j = 0;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (n == 36 && (i == 8 || i == 13 || i == 18 || i == 23)) {
        if (c != '-') return null;
        continue;
      }
      if (c >= '0' && c <= '9' || c >= 'a' && c <= 'f') out[j++] = c;
      else if (c >= 'A' && c <= 'F') out[j++] = (char) (c + ('a' - 'A'));
      else return null;
    }
    return new String(out);
  }

  /** A fresh random id (a UUID v4 as 32 hex digits). */
  public static String random() {
    UUID u = UUID.randomUUID();
    return hex(u.getMostSignificantBits()) + hex(u.getLeastSignificantBits());
  }

  /** 32 hex digits → {@code xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}, the minidump/unreal answer. */
  public static String hyphenated(String id32) {
    return id32.substring(0, 8) + "-" + id32.substring(8, 12) + "-" + id32.substring(12, 16) + "-"
        + id32.substring(16, 20) + "-" + id32.substring(20);
  }

  private static String hex(long v) {
    String s = Long.toHexString(v);
    return "0".repeat(16 - s.length()) + s;
  }
}
