package io.spillway.runtime.status;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the Prometheus text exposition format (version 0.0.4), the part a status page needs:
 * sample lines with labels and a value; comments, HELP/TYPE and timestamps are skipped. A line
 * that does not parse is dropped, never an exception: a status page must show what it can even
 * when one service answers garbage (a proxy's HTML error page, a truncated body).
 */
public final class PrometheusText {
  private PrometheusText() {}

  public static List<Sample> parse(String text) {
    List<Sample> out = new ArrayList<>();
    if (text == null) return out;
    int start = 0;
    int n = text.length();
    while (start < n) {
      int end = text.indexOf('\n', start);
      if (end < 0) end = n;
      Sample s = line(text, start, end);
      if (s != null) out.add(s);
      start = end + 1;
    }
    return out;
  }

  /** One sample line, or null when it is a comment, blank or malformed. */
  static Sample line(String t, int from, int to) {
    int i = skipSpaces(t, from, to);
    if (i >= to || t.charAt(i) == '#') return null;
    int nameStart = i;
    while (i < to && isNameChar(t.charAt(i), i == nameStart)) i++;
    if (i == nameStart) return null;
    String name = t.substring(nameStart, i);
    Map<String, String> labels = new LinkedHashMap<>();
    if (i < to && t.charAt(i) == '{') {
      i++;
      while (true) {
        i = skipSpaces(t, i, to);
        if (i >= to) return null;
        if (t.charAt(i) == '}') {
          i++;
          break;
        }
        int keyStart = i;
        while (i < to && isNameChar(t.charAt(i), i == keyStart)) i++;
        if (i == keyStart) return null;
        String key = t.substring(keyStart, i);
        i = skipSpaces(t, i, to);
        if (i >= to || t.charAt(i) != '=') return null;
        i = skipSpaces(t, i + 1, to);
        if (i >= to || t.charAt(i) != '"') return null;
        i++;
        StringBuilder v = new StringBuilder();
        boolean closed = false;
        while (i < to) {
          char c = t.charAt(i++);
          if (c == '"') {
            closed = true;
            break;
          }
          if (c == '\\' && i < to) {
            char e = t.charAt(i++);
            v.append(e == 'n' ? '\n' : e);
          } else {
            v.append(c);
          }
        }
        if (!closed) return null;
        labels.put(key, v.toString());
        i = skipSpaces(t, i, to);
        if (i < to && t.charAt(i) == ',') i++;
      }
    }
    if (i >= to || (t.charAt(i) != ' ' && t.charAt(i) != '\t')) return null;
    i = skipSpaces(t, i, to);
    int valueStart = i;
    while (i < to && t.charAt(i) != ' ' && t.charAt(i) != '\t' && t.charAt(i) != '\r') i++;
    Double value = number(t.substring(valueStart, i));
    if (value == null) return null;
    return new Sample(name, labels, value);
  }

  static Double number(String s) {
    switch (s) {
      case "NaN": return Double.NaN;
      case "+Inf", "Inf": return Double.POSITIVE_INFINITY;
      case "-Inf": return Double.NEGATIVE_INFINITY;
      default:
        if (s.isEmpty() || s.length() > 64) return null;
        for (int k = 0; k < s.length(); k++) {
          char c = s.charAt(k);
          // Double.parseDouble also takes "0x1p3", "1d", "Infinity": not Prometheus numbers.
          if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) return null;
        }
        try {
          return Double.parseDouble(s);
        } catch (NumberFormatException e) {
          return null;
        }
    }
  }

  private static int skipSpaces(String t, int i, int to) {
    while (i < to && (t.charAt(i) == ' ' || t.charAt(i) == '\t' || t.charAt(i) == '\r')) i++;
    return i;
  }

  private static boolean isNameChar(char c, boolean first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (!first && c >= '0' && c <= '9');
  }
}
