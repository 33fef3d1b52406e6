package io.spillway.schemas.pii;

import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Relay's rules are written for Rust's {@code regex} crate; Java's engine reads nearly the same
 * syntax. The two differences that would otherwise pass silently are translated here: named
 * groups {@code (?P<name>…)} and POSIX classes inside brackets ({@code [[:alpha:]]}). Matching is
 * case-insensitive in Unicode when {@code (?i)} is on, as in Rust.
 */
public final class RustRegex {
  private RustRegex() {}

  private static final Map<String, String> POSIX = Map.ofEntries(
      Map.entry("alnum", "\\p{Alnum}"), Map.entry("alpha", "\\p{Alpha}"), Map.entry("ascii", "\\p{ASCII}"),
      Map.entry("blank", "\\p{Blank}"), Map.entry("cntrl", "\\p{Cntrl}"), Map.entry("digit", "\\p{Digit}"),
      Map.entry("graph", "\\p{Graph}"), Map.entry("lower", "\\p{Lower}"), Map.entry("print", "\\p{Print}"),
      Map.entry("punct", "\\p{Punct}"), Map.entry("space", "\\p{Space}"), Map.entry("upper", "\\p{Upper}"),
      Map.entry("word", "\\w"), Map.entry("xdigit", "\\p{XDigit}"));

  /** Compiles a Rust-dialect pattern; PatternSyntaxException describes a bad one. */
  public static Pattern compile(String rust, boolean caseInsensitive) {
    int flags = Pattern.UNICODE_CASE | (caseInsensitive ? Pattern.CASE_INSENSITIVE : 0);
    return Pattern.compile(toJava(rust), flags);
  }

  static String toJava(String rust) {
    String s = rust.replace("(?P<", "(?<");
    if (!s.contains("[:")) return s;
    StringBuilder out = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        out.append(c).append(s.charAt(++i));
        continue;
      }
      if (c == '[' && s.startsWith("[:", i)) {
        int end = s.indexOf(":]", i + 2);
        if (end > 0) {
          String name = s.substring(i + 2, end);
          boolean negate = name.startsWith("^");
          String cls = POSIX.get(negate ? name.substring(1) : name);
          if (cls != null) {
            out.append(negate ? cls.replace("\\p", "\\P").replace("\\w", "\\W") : cls);
            i = end + 1;
            continue;
          }
        }
      }
      out.append(c);
    }
    return out.toString();
  }

  /** A short description of a bad pattern, without Java's multi-line caret drawing. */
  public static String describe(PatternSyntaxException e) {
    return e.getDescription() + (e.getIndex() >= 0 ? " near index " + e.getIndex() : "");
  }
}
