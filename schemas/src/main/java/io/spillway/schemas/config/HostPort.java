package io.spillway.schemas.config;

/** A listen or connect address, written {@code host:port}. Port 0 means "pick a free one". */
public record HostPort(String host, int port) {
  public HostPort {
    if (host == null || host.isEmpty()) throw new IllegalArgumentException("host is empty");
    if (port < 0 || port > 65535) throw new IllegalArgumentException("port out of range: " + port);
  }

  public static HostPort parse(String s) {
    int colon = s.lastIndexOf(':');
    if (colon <= 0 || colon == s.length() - 1) {
      throw new IllegalArgumentException("expected host:port, got \"" + s + "\"");
    }
    String host = s.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
    try {
      return new HostPort(host, Integer.parseInt(s.substring(colon + 1)));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected host:port, got \"" + s + "\"");
    }
  }

  @Override
  public String toString() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
