package io.spillway.schemas;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A glob as Sentry's inbound filters read it (Relay's {@code relay-pattern}, used through
 * {@code GlobPatterns} with case-insensitive matching): {@code ?} one character, {@code *} any run
 * of characters (newlines included, no path separators), {@code [abc]} / {@code [a-z]} one of,
 * {@code [!…]} none of, {@code {a,b}} one of the alternatives (not nested), {@code \} makes the next
 * character literal. {@code !} means negation only inside brackets. The empty glob and the empty
 * text never match. Unbalanced brackets or braces, a reversed range and a trailing {@code \} are
 * errors ({@link #compile} throws {@link IllegalArgumentException} with the reason): Relay drops such
 * patterns silently, Spillway refuses them in {@code check-config}.
 *
 * <p>Matching is case-insensitive: pattern literals and the text are lower-cased (Unicode, root
 * locale) and compared character (code point) by character.
 */
public final class Glob {
  /** Alternations multiply: {@code {a,b}{c,d}} is four globs. Beyond this many, the glob is refused. */
  static final int MAX_VARIANTS = 256;

  private final String pattern;
  /** The alternatives, each a sequence of fixed-width tokens and wildcards; empty = never matches. */
  private final List<Token[]> variants;

  private Glob(String pattern, List<Token[]> variants) {
    this.pattern = pattern;
    this.variants = variants;
  }

  /** Parses a glob; throws {@link IllegalArgumentException} saying what is wrong with it. */
  public static Glob compile(String pattern) {
    if (pattern == null) throw new NullPointerException("pattern == null");
    return new Glob(pattern, new Parser(pattern).parse());
  }

  public String pattern() {
    return pattern;
  }

  /** Whether the whole text matches (case-insensitively); empty text never matches. */
  public boolean matches(String text) {
    if (text == null || text.isEmpty() || variants.isEmpty()) return false;
    return matchesLowered(lowered(text));
  }

  /** Whether any of {@code globs} matches {@code text} (the text is lower-cased once for all of them). */
  public static boolean anyMatches(List<Glob> globs, String text) {
    if (text == null || text.isEmpty() || globs.isEmpty()) return false;
    int[] cps = lowered(text);
    for (Glob g : globs) if (g.matchesLowered(cps)) return true;
    return false;
  }

  private boolean matchesLowered(int[] cps) {
    for (Token[] v : variants) if (match(v, cps)) return true;
    return false;
  }

  private static int[] lowered(String text) {
    return text.toLowerCase(Locale.ROOT).codePoints().toArray();
  }

  @Override
  public String toString() {
    return pattern;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Glob g && g.pattern.equals(pattern);
  }

  @Override
  public int hashCode() {
    return pattern.hashCode();
  }

  // ---- matching ----------------------------------------------------------------------------------

  /**
   * Every token but the wildcard has a fixed width, so the classic scan that backtracks only to the
   * last wildcard is exact (and linear in practice).
   */
  private static boolean match(Token[] tokens, int[] text) {
    int t = 0, i = 0;
    int starToken = -1, starText = -1;
    while (i < text.length || t < tokens.length) {
      if (t < tokens.length) {
        Token tok = tokens[t];
        if (tok.kind == Kind.WILDCARD) {
          starToken = t;
          starText = i;
          t++;
          continue;
        }
        if (i + tok.width() <= text.length && tok.matchesAt(text, i)) {
          i += tok.width();
          t++;
          continue;
        }
      }
      if (starToken >= 0 && starText < text.length) {
        starText++;
        i = starText;
        t = starToken + 1;
        continue;
      }
      return false;
    }
    return true;
  }

  private enum Kind { LITERAL, ANY, CLASS, WILDCARD }

  private record Range(int from, int to) {
    boolean contains(int c) {
      return c >= from && c <= to;
    }
  }

  private static final class Token {
    final Kind kind;
    final int[] literal; // LITERAL: lower-cased code points
    final int count; // ANY: how many
    final boolean negated; // CLASS
    final List<Range> ranges; // CLASS

    private Token(Kind kind, int[] literal, int count, boolean negated, List<Range> ranges) {
      this.kind = kind;
      this.literal = literal;
      this.count = count;
      this.negated = negated;
      this.ranges = ranges;
    }

    static final Token WILD = new Token(Kind.WILDCARD, null, 0, false, null);

    static Token literal(String s) {
      return new Token(Kind.LITERAL, s.toLowerCase(Locale.ROOT).codePoints().toArray(), 0, false, null);
    }

    static Token any(int n) {
      return new Token(Kind.ANY, null, n, false, null);
    }

    static Token cls(boolean negated, List<Range> ranges) {
      return new Token(Kind.CLASS, null, 0, negated, List.copyOf(ranges));
    }

    int width() {
      return switch (kind) {
        case LITERAL -> literal.length;
        case ANY -> count;
        case CLASS -> 1;
        case WILDCARD -> 0;
      };
    }

    boolean matchesAt(int[] text, int at) {
      switch (kind) {
        case LITERAL:
          for (int k = 0; k < literal.length; k++) if (text[at + k] != literal[k]) return false;
          return true;
        case ANY:
          return true;
        case CLASS:
          int c = text[at]; // already lower-cased: also try the other cases of it
          boolean in = inRanges(c) || inRanges(Character.toUpperCase(c)) || inRanges(Character.toTitleCase(c));
          return in != negated;
        default:
          return false;
      }
    }

    private boolean inRanges(int c) {
      for (Range r : ranges) if (r.contains(c)) return true;
      return false;
    }
  }

  // ---- parsing -----------------------------------------------------------------------------------

  /** Parses as relay-pattern does, then expands alternations into separate token sequences. */
  private static final class Parser {
    private final String p;
    private int pos;

    Parser(String p) {
      this.p = p;
    }

    /** One element of the parsed glob: a token, or an alternation of token sequences. */
    private record Part(Token token, List<List<Token>> alternatives) {}

    List<Token[]> parse() {
      List<Part> parts = new ArrayList<>();
      List<List<Token>> alternatives = null; // inside { }
      List<Token> current = new ArrayList<>();
      StringBuilder lit = new StringBuilder();
      while (pos < p.length()) {
        int c = p.codePointAt(pos);
        pos += Character.charCount(c);
        switch (c) {
          case '?' -> add(current, lit, Token.any(1));
          case '*' -> add(current, lit, Token.WILD);
          case '[' -> add(current, lit, parseClass());
          case ']' -> throw new IllegalArgumentException("unbalanced character class (a ']' without '[')");
          case '{' -> {
            if (alternatives != null) throw new IllegalArgumentException("nested alternatives ('{' inside '{…}')");
            flush(current, lit);
            for (Token t : current) parts.add(new Part(t, null));
            current = new ArrayList<>();
            alternatives = new ArrayList<>();
          }
          case '}' -> {
            if (alternatives == null) throw new IllegalArgumentException("unbalanced alternatives (a '}' without '{')");
            flush(current, lit);
            alternatives.add(current);
            parts.add(new Part(null, alternatives));
            alternatives = null;
            current = new ArrayList<>();
          }
          case ',' -> {
            if (alternatives == null) {
              lit.append(',');
            } else {
              flush(current, lit);
              alternatives.add(current);
              current = new ArrayList<>();
            }
          }
          case '\\' -> {
            if (pos >= p.length()) throw new IllegalArgumentException("dangling escape (a '\\' at the end)");
            int e = p.codePointAt(pos);
            pos += Character.charCount(e);
            lit.appendCodePoint(e);
          }
          default -> lit.appendCodePoint(c);
        }
      }
      if (alternatives != null) throw new IllegalArgumentException("unbalanced alternatives (a '{' without '}')");
      flush(current, lit);
      for (Token t : current) parts.add(new Part(t, null));
      return expand(parts);
    }

    private static void add(List<Token> tokens, StringBuilder lit, Token t) {
      flush(tokens, lit);
      tokens.add(t);
    }

    private static void flush(List<Token> tokens, StringBuilder lit) {
      if (lit.length() > 0) {
        tokens.add(Token.literal(lit.toString()));
        lit.setLength(0);
      }
    }

    private Token parseClass() {
      boolean negated = false;
      if (pos < p.length() && p.charAt(pos) == '!') {
        negated = true;
        pos++;
      }
      List<Range> ranges = new ArrayList<>();
      boolean first = true;
      boolean inRange = false;
      while (true) {
        if (pos >= p.length()) throw new IllegalArgumentException("unbalanced character class (a '[' without ']')");
        int c = p.codePointAt(pos);
        pos += Character.charCount(c);
        if (c == '[') throw new IllegalArgumentException("invalid character class (a '[' inside '[…]'; write \\[)");
        if (c == ']') break;
        if (c == '-') {
          if (first) {
            ranges.add(new Range('-', '-'));
          } else if (inRange) {
            ranges.set(ranges.size() - 1, end(ranges.get(ranges.size() - 1), '-'));
            inRange = false;
          } else {
            inRange = true;
          }
        } else {
          if (c == '\\') {
            if (pos >= p.length()) throw new IllegalArgumentException("dangling escape (a '\\' at the end)");
            c = p.codePointAt(pos);
            pos += Character.charCount(c);
          }
          if (inRange) {
            ranges.set(ranges.size() - 1, end(ranges.get(ranges.size() - 1), c));
            inRange = false;
          } else {
            ranges.add(new Range(c, c));
          }
        }
        first = false;
      }
      if (inRange) ranges.add(new Range('-', '-'));
      // relay-pattern drops an empty class ("[]", "[!]") as if it were not there.
      return ranges.isEmpty() ? null : Token.cls(negated, ranges);
    }

    private static Range end(Range r, int end) {
      if (r.from > end) {
        throw new IllegalArgumentException("invalid character range " + new String(Character.toChars(r.from)) + "-"
            + new String(Character.toChars(end)) + " (its start is after its end)");
      }
      return new Range(r.from, end);
    }

    /** The cartesian product of the alternations, as flat token arrays. */
    private static List<Token[]> expand(List<Part> parts) {
      List<List<Token>> out = new ArrayList<>();
      out.add(new ArrayList<>());
      for (Part part : parts) {
        if (part.token != null) {
          for (List<Token> v : out) v.add(part.token);
          continue;
        }
        // relay-pattern: empty alternatives are skipped; one that is just '*' makes the whole group '*'.
        List<List<Token>> alts = new ArrayList<>();
        boolean wildcard = false;
        for (List<Token> a : part.alternatives) {
          List<Token> clean = new ArrayList<>();
          for (Token t : a) if (t != null) clean.add(t);
          if (clean.isEmpty()) continue;
          if (clean.size() == 1 && clean.get(0).kind == Kind.WILDCARD) wildcard = true;
          alts.add(clean);
        }
        if (wildcard) {
          for (List<Token> v : out) v.add(Token.WILD);
          continue;
        }
        List<List<Token>> next = new ArrayList<>();
        for (List<Token> v : out) {
          for (List<Token> a : alts) {
            List<Token> n = new ArrayList<>(v);
            n.addAll(a);
            next.add(n);
          }
        }
        if (next.size() > MAX_VARIANTS) {
          throw new IllegalArgumentException("too many alternatives (more than " + MAX_VARIANTS + " combinations)");
        }
        out = next;
      }
      List<Token[]> result = new ArrayList<>();
      for (List<Token> v : out) {
        List<Token> clean = new ArrayList<>();
        for (Token t : v) {
          if (t == null) continue; // an empty class
          if (t.kind == Kind.WILDCARD && !clean.isEmpty() && clean.get(clean.size() - 1).kind == Kind.WILDCARD) continue;
          clean.add(t);
        }
        if (clean.isEmpty()) continue; // the empty glob never matches
        result.add(clean.toArray(new Token[0]));
      }
      return List.copyOf(result);
    }
  }
}
