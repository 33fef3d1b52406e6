package io.spillway.rules.filters;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** IP address literals, checked without ever asking DNS. */
final class IpLiterals {
  private IpLiterals() {}

  static boolean isIp(String s) {
    if (s == null || s.isEmpty() || s.length() > 64) return false;
    if (s.indexOf(':') < 0) return isIpv4(s);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
      if (!ok) return false;
    }
    try {
      InetAddress.getByName(s); // a string with ':' is only ever parsed as an IPv6 literal, never resolved
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  static boolean isIpv4(String s) {
    int parts = 0, value = -1, digits = 0;
    for (int i = 0; i <= s.length(); i++) {
      char c = i == s.length() ? '.' : s.charAt(i);
      if (c == '.') {
        if (digits == 0 || value > 255) return false;
        parts++;
        value = -1;
        digits = 0;
      } else if (c >= '0' && c <= '9') {
        if (digits > 0 && value == 0) return false; // no leading zeros
        value = (value < 0 ? 0 : value * 10) + (c - '0');
        if (++digits > 3) return false;
      } else {
        return false;
      }
    }
    return parts == 4;
  }
}
