package io.spillway.schemas.config;

import io.spillway.schemas.Route;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * DSN swap: which route a request's key selects. In order (architecture.md):
 * <ol>
 *   <li>a project's alias ({@code http://vodbe@spillway/1});
 *   <li>the legacy form, {@code sentry_key} = upstream name and {@code sentry_secret} = project name
 *       ({@code http://wow:vod_be@spillway/20});
 *   <li>a project's real public key (only the host was swapped);
 *   <li>{@code default_route}, if configured.
 * </ol>
 * Anything else is unknown (the edge answers 401).
 */
public final class RouteTable {
  private final Map<String, Route> byAlias;
  private final Map<String, Route> byPublicKey;
  private final Map<String, Map<String, Route>> byUpstreamAndProject;
  private final Route defaultRoute;
  private final Map<Route, ProjectConfig> projects;

  private RouteTable(Map<String, Route> byAlias, Map<String, Route> byPublicKey,
      Map<String, Map<String, Route>> byUpstreamAndProject, Route defaultRoute, Map<Route, ProjectConfig> projects) {
    this.byAlias = byAlias;
    this.byPublicKey = byPublicKey;
    this.byUpstreamAndProject = byUpstreamAndProject;
    this.defaultRoute = defaultRoute;
    this.projects = projects;
  }

  static RouteTable of(SpillwayConfig config) {
    Map<String, Route> byAlias = new HashMap<>();
    Map<String, Route> byKey = new HashMap<>();
    Map<String, Map<String, Route>> legacy = new HashMap<>();
    Map<Route, ProjectConfig> projects = new HashMap<>();
    config.upstreams().forEach((uname, u) -> u.projects().forEach((pname, p) -> {
      Route route = new Route(uname, pname);
      projects.put(route, p);
      if (p.alias() != null) byAlias.put(p.alias(), route);
      if (p.key() != null) byKey.put(p.key(), route);
      legacy.computeIfAbsent(uname, k -> new HashMap<>()).put(pname, route);
    }));
    return new RouteTable(Map.copyOf(byAlias), Map.copyOf(byKey), Map.copyOf(legacy), config.defaultRoute(), Map.copyOf(projects));
  }

  /**
   * The route for a request's {@code sentry_key} and (optional) {@code sentry_secret}, or empty if
   * the key is unknown and there is no default route.
   */
  public Optional<Route> resolve(String sentryKey, String sentrySecret) {
    if (sentryKey != null) {
      Route r = byAlias.get(sentryKey);
      if (r != null) return Optional.of(r);
      if (sentrySecret != null) {
        Map<String, Route> ofUpstream = byUpstreamAndProject.get(sentryKey);
        if (ofUpstream != null) {
          r = ofUpstream.get(sentrySecret);
          if (r != null) return Optional.of(r);
        }
      }
      r = byPublicKey.get(sentryKey);
      if (r != null) return Optional.of(r);
    }
    return Optional.ofNullable(defaultRoute);
  }

  /** The project behind a route (real id, key, secret), or empty if the route is not configured. */
  public Optional<ProjectConfig> project(Route route) {
    return Optional.ofNullable(projects.get(route));
  }

  /** Aliases and real keys must each select exactly one route. */
  static void checkUnique(SpillwayConfig config, ConfigReader r) {
    Map<String, String> seen = new HashMap<>();
    config.upstreams().forEach((uname, u) -> u.projects().forEach((pname, p) -> {
      String here = "upstreams." + uname + ".projects." + pname;
      if (p.alias() != null) {
        String prev = seen.putIfAbsent("alias\0" + p.alias(), here);
        if (prev != null) r.problem(here + ".alias", "the same alias is used by " + prev);
        if (config.upstreams().containsKey(p.alias())) {
          // Harmless for resolution (alias wins) but confusing: an app with DSN upstream:project would hit the alias.
          r.problem(here + ".alias", "must not equal an upstream name");
        }
      }
      if (p.key() != null) {
        String prev = seen.putIfAbsent("key\0" + p.key(), here);
        if (prev != null) r.problem(here + ".key", "the same key is used by " + prev);
      }
    }));
  }
}
