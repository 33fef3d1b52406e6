package io.spillway.rules.filters;

import java.util.Locale;

/** The scheme and host of a URL, read leniently (what the localhost filter needs of WHATWG URL parsing). */
final class Urls {
  private Urls() {}

  /** {scheme, host} in lower case (host may be empty, e.g. {@code file:///x}), or null when it is not a URL. */
  static String[] schemeAndHost(String url) {
    if (url == null) return null;
    String u = url.strip();
    int colon = u.indexOf(':');
    if (colon <= 0) return null;
    for (int i = 0; i < colon; i++) {
      char c = u.charAt(i);
      boolean ok = Character.isLetter(c) && c < 128 || i > 0 && (Character.isDigit(c) || c == '+' || c == '-' || c == '.');
      if (!ok) return null;
    }
    String scheme = u.substring(0, colon).toLowerCase(Locale.ROOT);
    String rest = u.substring(colon + 1).replace('\\', '/');
    if (!rest.startsWith("//")) return new String[] {scheme, ""};
    int end = rest.length();
    for (int i = 2; i < rest.length(); i++) {
      char c = rest.charAt(i);
      if (c == '/' || c == '?' || c == '#') {
        end = i;
        break;
      }
    }
    String authority = rest.substring(2, end);
    int at = authority.lastIndexOf('@');
    if (at >= 0) authority = authority.substring(at + 1);
    String host;
    if (authority.startsWith("[")) {
      int close = authority.indexOf(']');
      if (close < 0) return null;
      host = authority.substring(0, close + 1);
    } else {
      int port = authority.indexOf(':');
      host = port >= 0 ? authority.substring(0, port) : authority;
    }
    return new String[] {scheme, host.toLowerCase(Locale.ROOT)};
  }
}
