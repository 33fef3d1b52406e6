package io.spillway.schemas;

import java.nio.charset.StandardCharsets;

/**
 * Where an event goes: an upstream (a Sentry server) and one of its projects, written
 * {@code upstream/project}, e.g. {@code wow/vod_be}. The route is the Kafka key, so all events of a
 * route share one partition.
 */
public record Route(String upstream, String project) {

  public Route {
    if (upstream == null) throw new NullPointerException("upstream == null");
    if (project == null) throw new NullPointerException("project == null");
    if (!isName(upstream)) throw new IllegalArgumentException("invalid upstream name: " + upstream);
    if (!isName(project)) throw new IllegalArgumentException("invalid project name: " + project);
  }

  /** Parses {@code upstream/project}; throws {@link IllegalArgumentException} on anything else. */
  public static Route parse(String text) {
    if (text == null) throw new NullPointerException("text == null");
    int slash = text.indexOf('/');
    if (slash <= 0 || slash != text.lastIndexOf('/') || slash == text.length() - 1) {
      throw new IllegalArgumentException("a route is written upstream/project, got: " + text);
    }
    return new Route(text.substring(0, slash), text.substring(slash + 1));
  }

  /** Names are what YAML keys, DSN user parts and Prometheus labels can all carry unescaped. */
  public static boolean isName(String s) {
    if (s == null || s.isEmpty() || s.length() > 100) return false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '_' || c == '-' || c == '.';
      if (!ok) return false;
    }
    return true;
  }

  public byte[] toBytes() {
    return toString().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return upstream + "/" + project;
  }
}
