package io.spillway.rules.privacy;

import java.util.regex.Pattern;

/**
 * The built-in rule types' regular expressions, as Relay defines what each type matches
 * (relay-pii {@code regexes.rs}), written for Java's engine. Where Relay's verbose-mode pattern
 * loses a space ({@code documents and settings}) the documented behaviour is kept.
 */
final class Patterns {
  private Patterns() {}

  private static final String V4_PART = "(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)";
  private static final String V4 = V4_PART + "\\." + V4_PART + "\\." + V4_PART + "\\." + V4_PART;
  private static final String H = "[0-9a-fA-F]{1,4}";

  static final Pattern IPV4 = Pattern.compile("\\b" + V4 + "\\b");

  /** Group 1 is the address; the delimiters around it (space, punctuation, start or end) are part of the match. */
  static final Pattern IPV6 = Pattern.compile("(?i)(?:\\s|\\p{Punct}|^)("
      + "(?:" + H + ":){7}" + H
      + "|(?:" + H + ":){1,7}:"
      + "|(?:" + H + ":){1,6}:" + H
      + "|(?:" + H + ":){1,5}(?::" + H + "){1,2}"
      + "|(?:" + H + ":){1,4}(?::" + H + "){1,3}"
      + "|(?:" + H + ":){1,3}(?::" + H + "){1,4}"
      + "|(?:" + H + ":){1,2}(?::" + H + "){1,5}"
      + "|" + H + ":(?::" + H + "){1,6}"
      + "|:(?:(?::" + H + "){1,7}|:)"
      + "|fe80:(?::" + H + "){0,4}%[0-9a-zA-Z]+"
      + "|::(?:ffff(?::0{1,4})?:)?" + V4
      + "|(?:" + H + ":){1,4}:" + V4
      + ")(?:\\s|\\p{Punct}|$)");

  static final Pattern IMEI = Pattern.compile("\\b(\\d{2}-?\\d{6}-?\\d{6}-?\\d{1,2})\\b");

  static final Pattern MAC = Pattern.compile("\\b(?:[0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}\\b");

  static final Pattern UUID = Pattern.compile("(?i)\\b[a-z0-9]{8}-?[a-z0-9]{4}-?[a-z0-9]{4}-?[a-z0-9]{4}-?[a-z0-9]{12}\\b");

  static final Pattern EMAIL = Pattern.compile(
      "\\b[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9-]+(?:\\.[a-zA-Z0-9-]+)*\\.[a-zA-Z]{2,}\\b");

  static final Pattern IBAN = Pattern.compile("\\b(?:AT|AD|AE|AL|AZ|BA|BE|BG|BH|BR|BY|CH|CR|CY|CZ|DE|DK|DO|EE|EG|ES|FI|FO|FR|GB"
      + "|GE|GI|GL|GR|GT|HR|HU|IE|IL|IQ|IS|IT|JO|KW|KZ|LB|LC|LI|LT|LU|LV|LY|MC|MD|ME|MK|MR|MT|MU|NL|NO|PK|PL|PS|PT|QA"
      + "|RO|RU|RS|SA|SC|SE|SI|SK|SM|ST|SV|TL|TN|TR|UA|VA|VG|XK|DZ|AO|BJ|BF|BI|CV|CM|CF|TD|KM|CG|CI|DJ|GQ|GA|GW|HN|IR"
      + "|MG|ML|MA|MZ|NI|NE|SN|TG)\\d{2}[a-zA-Z0-9]{11,29}\\b");

  /**
   * Card numbers by issuer prefix and length (Amex 15 digits, Visa, Mastercard, Discover 16), a dash
   * or space allowed between any two digits. Matches are then Luhn-checked ({@link #luhn}).
   */
  static final Pattern CREDITCARD = Pattern.compile(
      "\\b((?:3[47]\\d|4\\d{3}|5[1-5]\\d\\d|65\\d\\d|6011)(?:[-\\s]?\\d){12})\\b");

  /** Group 1: the user name in a home or profile directory path. */
  static final Pattern USERPATH = Pattern.compile("(?i)(?:(?:\\b(?:[a-z]:[\\\\/])?"
      + "(?:users|home|documents and settings|[^/\\\\]+[/\\\\]profiles)[\\\\/])|(?:/(?:home|users)/))"
      + "([^/\\\\\\r\\n\\x00]+)");

  /** Group 1: the body of a PEM key block. */
  static final Pattern PEMKEY = Pattern.compile("(?s)(?:-----BEGIN[A-Z ]+(?:PRIVATE|PUBLIC) KEY-----[\\t ]*\\r?\\n?)"
      + "(.+?)(?:\\r?\\n?-----END[A-Z ]+(?:PRIVATE|PUBLIC) KEY-----)");

  /** Group 1: {@code user:password} (or just {@code user}) before the {@code @} of a URL. */
  static final Pattern URLAUTH = Pattern.compile(
      "\\b(?:(?:[a-z0-9+-]+:)?//([a-zA-Z0-9%_.-]+(?::[a-zA-Z0-9%_.-]+)?))@");

  static final Pattern USSSN = Pattern.compile("\\b([0-9]{3}-[0-9]{2}-[0-9]{4})\\b");

  static final Pattern BEARER = Pattern.compile("(?i)\\b(Bearer\\s+)(\\S+)");

  /** Keys that name a token: their whole value is a secret. */
  static final Pattern TOKEN_KEY = Pattern.compile("(?iu)token");

  /** Sentry's default sensitive words, matched in keys (whole value filtered) and in values. */
  static final Pattern PASSWORD = Pattern.compile("(?iu)(password|secret|passwd|api[-_]key|apikey|auth|credentials|mysql_pwd"
      + "|privatekey|private[-_]key|token\\S*[:=]|^otp$|^two[-_]factor$)");

  /** True if the digits of {@code s} pass the Luhn checksum (the check digit of card numbers). */
  static boolean luhn(CharSequence s) {
    int sum = 0;
    int n = 0;
    for (int i = s.length() - 1; i >= 0; i--) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') continue;
      int d = c - '0';
      if ((n++ & 1) == 1) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
    }
    return n > 0 && sum % 10 == 0;
  }
}
