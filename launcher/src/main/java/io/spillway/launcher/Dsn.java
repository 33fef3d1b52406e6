package io.spillway.launcher;

import io.spillway.schemas.Route;
import io.spillway.schemas.config.ProjectConfig;
import io.spillway.schemas.config.SpillwayConfig;
import java.net.URI;

/**
 * The DSN an app should use for a route: the edge's public URL with the route's alias as the key
 * (or the legacy {@code upstream:project} form when the project has no alias). It never contains
 * the real key or secret: handing it out is the point of the DSN swap.
 */
public final class Dsn {
  private Dsn() {}

  public static String forRoute(SpillwayConfig config, Route route) {
    ProjectConfig project = config.routes().project(route)
        .orElseThrow(() -> new IllegalArgumentException("no such route: " + route));
    URI base = URI.create(edgeBaseUrl(config));
    String user = project.alias() != null ? project.alias() : route.upstream() + ":" + route.project();
    String path = base.getPath() == null || base.getPath().equals("/") ? "" : stripTrailingSlash(base.getPath());
    String port = base.getPort() < 0 ? "" : ":" + base.getPort();
    return base.getScheme() + "://" + user + "@" + base.getHost() + port + path + "/" + project.id();
  }

  /** {@code edge.public_url}, or the listen address with a wildcard host replaced by loopback. */
  static String edgeBaseUrl(SpillwayConfig config) {
    if (config.edge().publicUrl() != null) return config.edge().publicUrl();
    String host = config.edge().listen().host();
    if (host.equals("0.0.0.0") || host.equals("::")) host = "127.0.0.1";
    if (host.indexOf(':') >= 0) host = "[" + host + "]";
    return "http://" + host + ":" + config.edge().listen().port();
  }

  private static String stripTrailingSlash(String p) {
    return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
  }
}
