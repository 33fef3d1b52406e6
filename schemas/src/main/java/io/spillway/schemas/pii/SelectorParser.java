package io.spillway.schemas.pii;

import io.spillway.schemas.pii.Selector.*;
import java.util.ArrayList;
import java.util.List;

/** Recursive descent over Relay's grammar (relay-pii selector.pest); spaces between tokens are skipped. */
final class SelectorParser {
  private final String s;
  private int pos;

  SelectorParser(String s) {
    this.s = s;
  }

  Selector root() {
    skipSpaces();
    if (pos == s.length()) throw new IllegalArgumentException("empty selector");
    Selector sel = or();
    skipSpaces();
    if (pos != s.length()) throw unexpected();
    return sel;
  }

  private Selector or() {
    List<Selector> parts = new ArrayList<>();
    parts.add(and());
    while (true) {
      skipSpaces();
      if (startsWith("||")) pos += 2;
      else if (startsWith("|")) pos += 1;
      else break;
      parts.add(and());
    }
    return parts.size() == 1 ? parts.get(0) : new Or(parts);
  }

  private Selector and() {
    List<Selector> parts = new ArrayList<>();
    parts.add(maybeNot());
    while (true) {
      skipSpaces();
      if (startsWith("&&")) pos += 2;
      else if (startsWith("&")) pos += 1;
      else break;
      parts.add(maybeNot());
    }
    return parts.size() == 1 ? parts.get(0) : new And(parts);
  }

  private Selector maybeNot() {
    skipSpaces();
    if (startsWith("!") || startsWith("~")) {
      pos++;
      return new Not(parenOrPath());
    }
    return parenOrPath();
  }

  private Selector parenOrPath() {
    skipSpaces();
    if (startsWith("(")) {
      pos++;
      Selector inner = or();
      skipSpaces();
      if (!startsWith(")")) throw pos == s.length() ? new IllegalArgumentException("missing ')'") : unexpected();
      pos++;
      return inner;
    }
    return path();
  }

  private Selector path() {
    List<Item> items = new ArrayList<>();
    items.add(item());
    while (true) {
      int save = pos;
      skipSpaces();
      if (!startsWith(".")) {
        pos = save;
        break;
      }
      pos++;
      skipSpaces();
      items.add(item());
    }
    long deep = items.stream().filter(i -> i instanceof DeepWildcard).count();
    if (deep > 1) throw new IllegalArgumentException("deep wildcard (**) used more than once in " + new Path(items));
    if (items.size() == 1 && items.get(0) instanceof Wildcard) {
      throw new IllegalArgumentException("wildcard (*) must be part of a path");
    }
    return new Path(items);
  }

  private Item item() {
    if (pos >= s.length()) throw new IllegalArgumentException("selector ends where a path item was expected");
    char c = s.charAt(pos);
    if (c == '$') {
      int start = ++pos;
      while (pos < s.length() && (s.charAt(pos) >= 'a' && s.charAt(pos) <= 'z' || s.charAt(pos) == '_')) pos++;
      if (pos == start) throw unexpected();
      return new Type(ValueType.of(s.substring(start, pos)));
    }
    if (startsWith("**")) {
      pos += 2;
      return new DeepWildcard();
    }
    if (c == '*') {
      pos++;
      return new Wildcard();
    }
    if (c >= '0' && c <= '9') {
      int start = pos;
      while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') pos++;
      try {
        return new Index(Integer.parseInt(s.substring(start, pos)));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("invalid index " + s.substring(start, pos));
      }
    }
    if (c == '\'') {
      StringBuilder key = new StringBuilder();
      pos++;
      while (true) {
        if (pos >= s.length()) throw new IllegalArgumentException("unterminated quoted key");
        char k = s.charAt(pos);
        if (k == '\'') {
          if (pos + 1 < s.length() && s.charAt(pos + 1) == '\'') {
            key.append('\'');
            pos += 2;
            continue;
          }
          pos++;
          break;
        }
        key.append(k);
        pos++;
      }
      if (key.length() == 0) throw new IllegalArgumentException("empty quoted key");
      return new Key(key.toString());
    }
    if (isAsciiLetter(c) || c == '_') {
      int start = pos++;
      while (pos < s.length()) {
        char k = s.charAt(pos);
        if (isAsciiLetter(k) || k >= '0' && k <= '9' || k == '-' || k == '_') pos++;
        else break;
      }
      return new Key(s.substring(start, pos));
    }
    throw unexpected();
  }

  private boolean startsWith(String t) {
    return s.startsWith(t, pos);
  }

  private void skipSpaces() {
    while (pos < s.length() && s.charAt(pos) == ' ') pos++;
  }

  private IllegalArgumentException unexpected() {
    if (pos >= s.length()) return new IllegalArgumentException("unexpected end of selector");
    return new IllegalArgumentException("unexpected '" + s.charAt(pos) + "' at position " + (pos + 1));
  }

  /** True for a key written without quotes. */
  static boolean isPlainKey(String k) {
    if (k.isEmpty() || !(isAsciiLetter(k.charAt(0)) || k.charAt(0) == '_')) return false;
    for (int i = 1; i < k.length(); i++) {
      char c = k.charAt(i);
      if (!(isAsciiLetter(c) || c >= '0' && c <= '9' || c == '-' || c == '_')) return false;
    }
    return true;
  }

  static boolean isAsciiLetter(char c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z';
  }
}
