package io.spillway.rules.privacy;

import io.spillway.schemas.pii.Redaction;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A string being scrubbed by several rules in turn, as Relay does it: parts already redacted are
 * kept apart (a later rule sees a NUL in their place and cannot match into them), and each rule
 * either redacts regex matches (or some of their groups) or the whole value.
 */
final class Redactable {
  private final String original;
  /** The text with one NUL standing for each redaction, in order; null until something was redacted. */
  private String search;
  private List<String> redactions;
  private TextFeatures features;

  Redactable(String original) {
    this.original = original;
  }

  boolean touched() {
    return redactions != null;
  }

  /** The scrubbed string. */
  String result() {
    if (redactions == null) return original;
    StringBuilder out = new StringBuilder(search.length() + 16);
    int r = 0;
    for (int i = 0; i < search.length(); i++) {
      char c = search.charAt(i);
      if (c == 0) out.append(redactions.get(r++));
      else out.append(c);
    }
    return out.toString();
  }

  /** Whether some of the text is not yet redacted (a rule on a fully redacted value has nothing to do). */
  boolean hasText() {
    if (search == null) return true;
    for (int i = 0; i < search.length(); i++) if (search.charAt(i) != 0) return true;
    return false;
  }

  String searchText() {
    if (search != null) return search;
    return original.indexOf(0) < 0 ? original : original.replace("\0", "");
  }

  /** Redacts the whole value. */
  void redactAll(CompiledRule rule, Counts counts) {
    String text = searchText();
    search = "\0";
    List<String> r = new ArrayList<>(1);
    r.add(rule.replacement(text));
    redactions = r;
    counts.add(rule.origin());
  }

  /**
   * Redacts the given groups of every match of {@code pattern} ({@code groups == null}: the whole
   * match) that {@code valid} accepts. Returns whether anything was redacted.
   */
  boolean redact(CompiledRule rule, Pattern pattern, int[] groups, boolean luhn, boolean guarded, TextFeatures.Need need,
      Counts counts) {
    if (need != TextFeatures.Need.NONE) {
      if (features == null) features = new TextFeatures(original);
      if (!features.mayMatch(need)) return false;
    }
    String text = searchText();
    Matcher m = pattern.matcher(guarded ? new GuardedText(text) : text);
    if (!m.find()) return false;
    StringBuilder out = null;
    List<String> newRedactions = null;
    int pos = 0;
    int nextOld = 0; // index into the current redactions of the next NUL to copy
    do {
      if (luhn && !Patterns.luhn(text.subSequence(m.start(), m.end()))) continue;
      int n = groups == null ? 1 : groups.length;
      for (int gi = 0; gi < n; gi++) {
        int g = groups == null ? 0 : groups[gi];
        if (g > m.groupCount()) continue;
        int start = m.start(g);
        if (start < 0 || start < pos) continue;
        int end = m.end(g);
        if (out == null) {
          out = new StringBuilder(text.length());
          newRedactions = new ArrayList<>(redactions == null ? 2 : redactions.size() + 2);
        }
        nextOld = copy(text, pos, start, out, newRedactions, nextOld);
        for (int i = start; i < end; i++) if (text.charAt(i) == 0) nextOld++; // redactions swallowed by this match
        out.append('\0');
        newRedactions.add(rule.replacement(text.substring(start, end)));
        counts.add(rule.origin());
        pos = end;
      }
    } while (m.find());
    if (out == null) return false;
    copy(text, pos, text.length(), out, newRedactions, nextOld);
    search = out.toString();
    redactions = newRedactions;
    return true;
  }

  private int copy(String text, int from, int to, StringBuilder out, List<String> newRedactions, int nextOld) {
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      out.append(c);
      if (c == 0) newRedactions.add(redactions.get(nextOld++));
    }
    return nextOld;
  }

  /**
   * Text for user-written patterns: Java's regex engine backtracks, so a pathological pattern could
   * take exponential time on a crafted value. Reading more than a generous budget of characters
   * stops the match ({@link ScrubException}): the request is refused rather than the edge stalled.
   */
  static final class GuardedText implements CharSequence {
    private final String s;
    private final int[] budget;

    GuardedText(String s) {
      this(s, new int[] {1_000_000 + 200 * s.length()});
    }

    private GuardedText(String s, int[] budget) {
      this.s = s;
      this.budget = budget;
    }

    @Override
    public int length() {
      return s.length();
    }

    @Override
    public char charAt(int index) {
      if (--budget[0] < 0) throw new ScrubException(ScrubException.Kind.RULE_TOO_SLOW, "a custom rule's pattern took too long");
      return s.charAt(index);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
      return new GuardedText(s.substring(start, end), budget);
    }

    @Override
    public String toString() {
      return s;
    }
  }

  /** Replacement texts for the redaction methods. */
  static String replacement(Redaction r, String text, Hmac hmac) {
    return switch (r.method()) {
      case REPLACE -> r.text();
      case MASK -> "*".repeat(text.codePointCount(0, text.length()));
      case HASH -> hmac.hex(text);
      case REMOVE, DEFAULT -> "";
    };
  }
}
