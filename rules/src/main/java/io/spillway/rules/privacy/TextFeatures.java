package io.spillway.rules.privacy;

/**
 * What a string contains, counted in one pass, so that a built-in pattern that cannot match is not
 * run (most strings hold no number long enough for a card, no {@code @}, no {@code ::} …). Each
 * check is implied by every match of its pattern: skipping on a failed check never misses one.
 * Computed on the original text; redactions only remove text, so the counts stay upper bounds.
 */
final class TextFeatures {
  /** The precondition a step's pattern needs; NONE runs it always (custom patterns). */
  enum Need { NONE, CARD, IBAN, PEM, URL_AUTH, USER_PATH, BEARER, SSN, EMAIL, IPV4, IPV6, IMEI, MAC, UUID }

  private final String text;
  private int digits;
  private int dots;
  private int colons;
  private int dashes;
  private int hexOrAlnum;
  private boolean at;
  private boolean doubleSlash;
  private boolean doubleColon;
  private boolean emailish;
  private boolean ibanish;
  private boolean nonAscii;
  private String lower;

  TextFeatures(String text) {
    this.text = text;
    char p2 = 0;
    char p1 = 0;
    boolean sawAt = false;
    boolean afterUpperPair = false; // the previous character was a digit right after two capitals
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= '0' && c <= '9') {
        digits++;
        hexOrAlnum++;
        if (afterUpperPair) ibanish = true;
        afterUpperPair = isUpper(p1) && isUpper(p2);
      } else {
        afterUpperPair = false;
        if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
          hexOrAlnum++;
          if (sawAt && p1 == '.') emailish = true;
        } else if (c == '.') {
          dots++;
        } else if (c == ':') {
          colons++;
          if (p1 == ':') doubleColon = true;
        } else if (c == '-') {
          dashes++;
        } else if (c == '@') {
          at = true;
          sawAt = true;
        } else if (c == '/') {
          if (p1 == '/') doubleSlash = true;
        } else if (c >= 0x80) {
          nonAscii = true;
        }
      }
      p2 = p1;
      p1 = c;
    }
  }

  private static boolean isUpper(char c) {
    return c >= 'A' && c <= 'Z';
  }

  /** Whether a pattern with this need could match somewhere in the text. */
  boolean mayMatch(Need need) {
    if (nonAscii && need != Need.NONE) return true; // Unicode digits, case folding: do not guess
    return switch (need) {
      case NONE -> true;
      case CARD -> digits >= 15;
      case IMEI -> digits >= 15;
      case IBAN -> ibanish && text.length() >= 15;
      case PEM -> text.contains("-----BEGIN");
      case URL_AUTH -> doubleSlash && at;
      case USER_PATH -> lower().contains("users") || lower().contains("home") || lower().contains("profiles")
          || lower().contains("documents and settings");
      case BEARER -> lower().contains("bearer");
      case SSN -> digits >= 9 && dashes >= 2;
      case EMAIL -> at && emailish;
      case IPV4 -> dots >= 3 && digits >= 4;
      case IPV6 -> doubleColon || colons >= 7 || lower().contains("fe80:");
      case MAC -> colons + dashes >= 5;
      case UUID -> hexOrAlnum >= 32;
    };
  }

  private String lower() {
    if (lower == null) {
      String l = SensitiveWords.asciiLower(text);
      lower = l == null ? text.toLowerCase(java.util.Locale.ROOT) : l;
    }
    return lower;
  }
}
