package io.spillway.rules.privacy;

/**
 * Fast equivalents of {@link Patterns#PASSWORD} and {@link Patterns#TOKEN_KEY} for the common case
 * of ASCII text (every key and most values): one lower-casing pass and a few substring checks
 * instead of a regex scan. Text with non-ASCII letters goes to the regexes, whose Unicode case
 * folding can map such letters onto ASCII ones.
 */
final class SensitiveWords {
  private SensitiveWords() {}

  private static final String[] WORDS = {
      "password", "secret", "passwd", "api-key", "api_key", "apikey", "auth", "credentials", "mysql_pwd",
      "privatekey", "private-key", "private_key"};

  /** Like {@code Patterns.PASSWORD.matcher(s).find()}. */
  static boolean passwordWord(String s) {
    String l = asciiLower(s);
    if (l == null) return Patterns.PASSWORD.matcher(s).find();
    for (String w : WORDS) if (l.contains(w)) return true;
    if (l.equals("otp") || l.equals("two-factor") || l.equals("two_factor")) return true;
    for (int i = l.indexOf("token"); i >= 0; i = l.indexOf("token", i + 1)) {
      for (int j = i + 5; j < l.length(); j++) {
        char c = l.charAt(j);
        if (c == ':' || c == '=') return true;
        if (c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r') break;
      }
    }
    return false;
  }

  /** Like {@code Patterns.TOKEN_KEY.matcher(s).find()}. */
  static boolean tokenWord(String s) {
    String l = asciiLower(s);
    return l == null ? Patterns.TOKEN_KEY.matcher(s).find() : l.contains("token");
  }

  /** {@code s} lower-cased, or null if it has a non-ASCII character. */
  static String asciiLower(String s) {
    boolean upper = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x80) return null;
      if (c >= 'A' && c <= 'Z') upper = true;
    }
    if (!upper) return s;
    char[] out = new char[s.length()];
    for (int i = 0; i < out.length; i++) {
      char c = s.charAt(i);
      out[i] = c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
    }
    return new String(out);
  }
}
