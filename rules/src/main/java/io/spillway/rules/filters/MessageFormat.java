package io.spillway.rules.filters;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A log message formatted from its {@code params}, as Relay's normalize_logentry does before the
 * filters run: Python {@code %} formatting when the message has a {@code %}, else {@code {}} /
 * {@code {0}} / {@code {name}} placeholders. Returns null when the message does not format (Relay
 * then keeps the unformatted message).
 */
final class MessageFormat {
  private MessageFormat() {}

  static String format(String message, Object params) {
    try {
      if (message.indexOf('%') >= 0) return python(message, params);
      if (message.indexOf('{') >= 0) return curly(message, params);
      return null;
    } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
      return null;
    }
  }

  private static String python(String m, Object params) {
    StringBuilder out = new StringBuilder(m.length() + 32);
    int next = 0;
    for (int i = 0; i < m.length(); i++) {
      char c = m.charAt(i);
      if (c != '%') {
        out.append(c);
        continue;
      }
      if (++i >= m.length()) throw new IllegalArgumentException("dangling %");
      String name = null;
      if (m.charAt(i) == '(') {
        int close = m.indexOf(')', i);
        if (close < 0) throw new IllegalArgumentException("unclosed %(");
        name = m.substring(i + 1, close);
        i = close + 1;
      }
      while (i < m.length() && "-+ #0123456789.".indexOf(m.charAt(i)) >= 0) i++; // flags, width, precision
      if (i >= m.length()) throw new IllegalArgumentException("no conversion");
      char conv = m.charAt(i);
      if (conv == '%') {
        out.append('%');
        continue;
      }
      String arg = name != null ? named(params, name) : indexed(params, next++);
      switch (conv) {
        case 's', 'r', 'a' -> out.append(arg);
        case 'd', 'i', 'u' -> out.append((long) Double.parseDouble(arg));
        case 'f', 'F' -> out.append(String.format(Locale.ROOT, "%f", Double.parseDouble(arg)));
        default -> throw new IllegalArgumentException("unsupported conversion " + conv);
      }
    }
    return out.toString();
  }

  private static String curly(String m, Object params) {
    StringBuilder out = new StringBuilder(m.length() + 32);
    int next = 0;
    for (int i = 0; i < m.length(); i++) {
      char c = m.charAt(i);
      if (c != '{') {
        out.append(c);
        continue;
      }
      int close = m.indexOf('}', i);
      if (close < 0) throw new IllegalArgumentException("unclosed {");
      String key = m.substring(i + 1, close);
      if (key.isEmpty()) out.append(indexed(params, next++));
      else if (key.chars().allMatch(Character::isDigit)) out.append(indexed(params, Integer.parseInt(key)));
      else out.append(named(params, key));
      i = close;
    }
    return out.toString();
  }

  private static String indexed(Object params, int i) {
    if (!(params instanceof List<?> l)) throw new IllegalArgumentException("params is not a list");
    return String.valueOf(l.get(i));
  }

  private static String named(Object params, String name) {
    if (!(params instanceof Map<?, ?> m) || !m.containsKey(name)) throw new IllegalArgumentException("no param " + name);
    return String.valueOf(m.get(name));
  }
}
