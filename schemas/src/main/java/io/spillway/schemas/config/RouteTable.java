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

  /**
   * Where an event of {@code route} goes: the route itself, then every route it copies to, directly
   * or through another copy (each once), with the share that target takes ({@code copy_to_sample_rate}).
   */
  public java.util.List<Destination> destinations(Route route) {
    java.util.List<Destination> out = new java.util.ArrayList<>();
    java.util.Set<Route> seen = new java.util.HashSet<>();
    java.util.ArrayDeque<Route> todo = new java.util.ArrayDeque<>();
    todo.add(route);
    while (!todo.isEmpty()) {
      Route r = todo.poll();
      if (!seen.add(r)) continue;
      ProjectConfig p = projects.get(r);
      if (p == null) continue;
      out.add(new Destination(r, r.equals(route) ? 1.0 : p.copyToSampleRate()));
      todo.addAll(p.copyTo());
    }
    return java.util.List.copyOf(out);
  }

  /** One destination of a route's events: {@code route} takes a {@code sampleRate} share of them (1.0 = all). */
  public record Destination(Route route, double sampleRate) {
    /** Whether the event with this id goes here: decided by the id alone, so the same event is always in or out. */
    public boolean takes(String eventId) {
      if (sampleRate >= 1.0) return true;
      if (sampleRate <= 0.0) return false;
      return unitHash(eventId) < sampleRate;
    }

    /** A uniform value in [0, 1) from the id (FNV-1a, then SplitMix64's finalizer). */
    static double unitHash(String id) {
      long h = 0xcbf29ce484222325L;
      for (int i = 0; i < id.length(); i++) {
        h ^= id.charAt(i);
        h *= 0x100000001b3L;
      }
      h ^= h >>> 30;
      h *= 0xbf58476d1ce4e5b9L;
      h ^= h >>> 27;
      h *= 0x94d049bb133111ebL;
      h ^= h >>> 31;
      return (h >>> 11) * 0x1.0p-53;
    }
  }

  /** {@code copy_to} must name configured routes, never the route itself, and never loop back. */
  static void checkCopies(SpillwayConfig config, ConfigReader r) {
    java.util.Map<Route, java.util.List<Route>> edges = new java.util.HashMap<>();
    config.upstreams().forEach((uname, u) -> u.projects().forEach((pname, p) -> {
      Route from = new Route(uname, pname);
      String here = "upstreams." + uname + ".projects." + pname + ".copy_to";
      for (Route to : p.copyTo()) {
        if (to.equals(from)) {
          r.problem(here, "a route cannot copy to itself (" + to + ")");
        } else if (!config.upstreams().containsKey(to.upstream()) || !config.upstreams().get(to.upstream()).projects().containsKey(to.project())) {
          r.problem(here, "no such route: " + to);
        } else {
          edges.computeIfAbsent(from, k -> new java.util.ArrayList<>()).add(to);
        }
      }
    }));
    java.util.Set<Route> done = new java.util.HashSet<>();
    for (Route start : edges.keySet()) {
      java.util.List<Route> cycle = findCycle(start, edges, new java.util.ArrayList<>(), done);
      if (cycle != null) {
        Route first = cycle.get(0);
        r.problem("upstreams." + first.upstream() + ".projects." + first.project() + ".copy_to",
            "copies loop back: " + String.join(" -> ", cycle.stream().map(Route::toString).toList()));
        return;
      }
    }
  }

  private static java.util.List<Route> findCycle(Route at, java.util.Map<Route, java.util.List<Route>> edges,
      java.util.List<Route> path, java.util.Set<Route> done) {
    int i = path.indexOf(at);
    if (i >= 0) {
      java.util.List<Route> cycle = new java.util.ArrayList<>(path.subList(i, path.size()));
      cycle.add(at);
      return cycle;
    }
    if (done.contains(at)) return null;
    path.add(at);
    for (Route next : edges.getOrDefault(at, java.util.List.of())) {
      java.util.List<Route> c = findCycle(next, edges, path, done);
      if (c != null) return c;
    }
    path.remove(path.size() - 1);
    done.add(at);
    return null;
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
