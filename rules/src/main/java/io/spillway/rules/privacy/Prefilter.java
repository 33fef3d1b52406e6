package io.spillway.rules.privacy;

import io.spillway.schemas.config.PrivacyConfig;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The fast path for the common case: one pass over a payload's raw bytes that proves the data
 * scrubbing settings cannot change it, so it is stored without being parsed. It looks for what
 * every rule of those settings needs before it can act: a sensitive word or IP/cookie field name
 * anywhere (keys decide as much as values), or, inside one JSON string, what its patterns need (a
 * run of 15 digits for a card number, {@code ddd-dd-dddd}, four dotted numbers or {@code ::} for an
 * IP, {@code @…​.x} for an e-mail, {@code -----BEGIN}, {@code //…@}, a home-directory word, two
 * capitals and two digits for an IBAN). Anything it cannot judge on bytes — a {@code \}{@code u}
 * escape, a percent-encoded query, a letter that Unicode case folding maps onto ASCII — sends the
 * payload to the full scrubber. Used only for the settings' rules (a rules file always gets the
 * full scrubber); its soundness is property-tested against the scrubber.
 */
final class Prefilter {
  /** Sentry's sensitive words, and the field names the IP and cookie rules select. */
  private static final List<String> WORDS = List.of("password", "secret", "passwd", "api-key", "api_key", "apikey", "auth",
      "credentials", "mysql_pwd", "privatekey", "private-key", "private_key", "token", "bearer", "otp", "two-factor",
      "two_factor", "remote_addr", "ip_address", "client_ip", "user.ip", "client.address", "cookie");

  /** Words that the patterns of the default rules need (a home directory, a PEM block). */
  private static final List<String> DEFAULT_PATTERN_WORDS = List.of("users", "home", "profiles", "documents and settings",
      "-----begin");

  private final boolean defaults;
  private final boolean ip;
  /** Words by their first two bytes (lower-cased ASCII). */
  private final byte[][][] byFirstTwo = new byte[128 * 128][][];
  /** The same as bits (2 KiB, stays in cache): most positions stop at this test. */
  private final long[] firstTwo = new long[128 * 128 / 64];

  private Prefilter(List<String> words, boolean defaults, boolean ip) {
    this.defaults = defaults;
    this.ip = ip;
    List<String> all = new ArrayList<>(words);
    if (defaults) all.addAll(DEFAULT_PATTERN_WORDS);
    if (ip) all.add("fe80:");
    for (String word : all) {
      byte[] w = word.getBytes(StandardCharsets.US_ASCII);
      if (w.length < 2) {
        // A one-letter sensitive field: every occurrence of that letter (rare; correct, not fast).
        for (int c = 0; c < 128; c++) add(w[0] * 128 + c, w);
      } else {
        add(w[0] * 128 + w[1], w);
      }
    }
  }

  private void add(int index, byte[] w) {
    firstTwo[index >>> 6] |= 1L << index;
    byte[][] old = byFirstTwo[index];
    byte[][] now = old == null ? new byte[1][] : java.util.Arrays.copyOf(old, old.length + 1);
    now[now.length - 1] = w;
    byFirstTwo[index] = now;
  }

  /** The prefilter for these settings, or null when the full scrubber must always run (a rules file, unusual fields). */
  static Prefilter of(PrivacyConfig c) {
    if (c.rules() != null) return null;
    List<String> words = new ArrayList<>(WORDS);
    if (c.scrubData()) {
      for (String f : c.sensitiveFields()) {
        String t = f.trim();
        if (t.isEmpty()) continue;
        for (int i = 0; i < t.length(); i++) if (t.charAt(i) >= 0x80) return null;
        words.add(t.toLowerCase(Locale.ROOT));
      }
    }
    return new Prefilter(words, c.scrubData() && c.scrubDefaults(), c.scrubIpAddresses());
  }

  /**
   * False only if the settings' rules cannot change {@code json[off, off+len)}. Every string and
   * every token between JSON punctuation is checked (so a body that is not JSON is held to the same
   * test, and bytes that could not be JSON send it to the full scrubber, which refuses it).
   */
  boolean mayChange(byte[] json, int off, int len, boolean arrayAllowed) {
    int end = off + len;
    int start = off;
    while (start < end && isSpace(json[start])) start++;
    if (start == end || json[start] != '{' && !(arrayAllowed && json[start] == '[')) return true;
    boolean in = false;
    int depth = 0;
    // Per token (a JSON string, or what lies between two punctuation marks outside strings):
    int digits = 0, run = 0, dots = 0, colons = 0, prev = 0, prev2 = 0;
    boolean sep = false, doubleColon = false, at = false, emailish = false, doubleSlash = false, afterUpperPair = false;
    for (int i = start; i < end; i++) {
      int c = json[i] & 0xff;
      if (c >= 0x80) {
        if (!in || foldsToAscii(json, i, end)) return true;
      } else if (i + 1 < end) {
        int d = json[i + 1];
        if (d >= 0) {
          int two = LOWER[c] << 7 | LOWER[d];
          if ((firstTwo[two >>> 6] & 1L << two) != 0) {
            for (byte[] w : byFirstTwo[two]) if (startsWithIgnoreCase(json, i, end, w)) return true;
          }
        }
        if (in && c >= 'a' && c <= 'z') {
          // The common case inside a string: a lower-case letter only ends a digit run (and may start an e-mail's TLD).
          if (at && prev == '.') {
            if (defaults) return true;
          }
          run = 0;
          sep = false;
          afterUpperPair = false;
          prev2 = prev;
          prev = c;
          continue;
        }
      }
      if (!in) {
        switch (c) {
          case '"', '{', '[', '}', ']', ',', ':' -> {
            if (c == '{' || c == '[') depth++;
            else if (c == '}' || c == ']') {
              if (--depth < 0) return true;
            } else if (c == ':' && prev == ':') {
              return true;
            }
            in = c == '"';
            digits = run = dots = colons = prev2 = 0;
            prev = c;
            sep = doubleColon = at = emailish = doubleSlash = afterUpperPair = false;
            continue;
          }
          case ' ', '\t', '\n', '\r', '+', '-', '.', 'e', 'E', 't', 'r', 'u', 'f', 'a', 'l', 's', 'n' -> { }
          default -> {
            if (c < '0' || c > '9') return true; // not JSON: the parser decides (and refuses)
          }
        }
      } else if (c == '"') {
        in = false;
        digits = run = dots = colons = prev2 = 0;
        prev = c;
        sep = doubleColon = at = emailish = doubleSlash = afterUpperPair = false;
        continue;
      } else if (c == '\\') {
        if (i + 1 >= end) return true;
        int e = json[++i] & 0xff;
        switch (e) {
          case 'u' -> {
            return true; // a backslash-u escape can spell anything
          }
          case 'n', 't', 'r', 'f' -> c = ' ';
          case '/' -> c = '/';
          default -> c = 1; // an escaped quote, backslash or backspace: nothing a pattern needs
        }
      } else if (c == '%' && i + 2 < end && isHex(json[i + 1]) && isHex(json[i + 2])) {
        return true; // query strings are decoded before they are scrubbed
      }
      if (c >= '0' && c <= '9') {
        digits++;
        sep = false;
        if (++run >= 15) return true; // card number (15-16 digits), IMEI
        if (afterUpperPair && defaults) return true; // IBAN: two capitals, two digits
        afterUpperPair = prev >= 'A' && prev <= 'Z' && prev2 >= 'A' && prev2 <= 'Z';
      } else {
        afterUpperPair = false;
        if ((c == '-' || c == ' ' || c == '+') && run > 0 && !sep) {
          sep = true; // one separator between digits keeps the run
        } else {
          run = 0;
          sep = false;
        }
        if (c == '.') {
          dots++;
        } else if (c == ':') {
          colons++;
          if (prev == ':') doubleColon = true;
        } else if (c == '@') {
          at = true;
        } else if (c == '/') {
          if (prev == '/') doubleSlash = true;
        } else if (c == '-') {
          if (defaults && ssnAt(json, i, end)) return true;
        } else if (at && prev == '.' && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')) {
          emailish = true;
        }
      }
      if (ip && (doubleColon || colons >= 7 || dots >= 3 && digits >= 4)) return true;
      if (defaults && (emailish || doubleSlash && at)) return true;
      prev2 = prev;
      prev = c;
    }
    return in || depth != 0; // unterminated: the parser decides
  }

  private static boolean isSpace(byte c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
  }

  /** İ ı ſ K: letters that Unicode case-insensitive matching takes for i, s and k. */
  private static boolean foldsToAscii(byte[] b, int i, int end) {
    int c = b[i] & 0xff;
    if (i + 1 >= end) return false;
    int d = b[i + 1] & 0xff;
    if (c == 0xC4 && (d == 0xB0 || d == 0xB1)) return true;
    if (c == 0xC5 && d == 0xBF) return true;
    return c == 0xE2 && d == 0x84 && i + 2 < end && (b[i + 2] & 0xff) == 0xAA;
  }

  private static final int[] LOWER = new int[128];

  static {
    for (int c = 0; c < 128; c++) LOWER[c] = c >= 'A' && c <= 'Z' ? c + 32 : c;
  }

  private static boolean startsWithIgnoreCase(byte[] b, int i, int end, byte[] w) {
    if (i + w.length > end) return false;
    for (int k = 2; k < w.length; k++) {
      int c = b[i + k];
      if (c >= 'A' && c <= 'Z') c += 32;
      if (c != w[k]) return false;
    }
    return true;
  }

  private static boolean isHex(byte c) {
    return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
  }

  /** {@code ddd-dd-dddd} around the dash at {@code i}. */
  private static boolean ssnAt(byte[] b, int i, int end) {
    if (i < 3 || i + 7 >= end) return false;
    return digit(b[i - 3]) && digit(b[i - 2]) && digit(b[i - 1]) && digit(b[i + 1]) && digit(b[i + 2]) && b[i + 3] == '-'
        && digit(b[i + 4]) && digit(b[i + 5]) && digit(b[i + 6]) && digit(b[i + 7]);
  }

  private static boolean digit(byte c) {
    return c >= '0' && c <= '9';
  }

}
