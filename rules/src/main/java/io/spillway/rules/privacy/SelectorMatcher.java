package io.spillway.rules.privacy;

import io.spillway.schemas.pii.Selector;
import io.spillway.schemas.pii.ValueType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A selector compiled for matching, with Relay's semantics (relay-pii {@code selector.rs},
 * {@code matches_path}): a path is matched from the value backwards; it need not reach the root;
 * {@code **} takes one or more items, the items before it then match from the first place
 * (nearest the root) where the first of them does; a {@code MAYBE} field is matched only by keys,
 * indices, {@code *} and a leading schema type, never by {@code **} or a plain JSON type; a
 * {@code FALSE} field never matches. Alternatives ({@code ||}) are indexed by their last key, so a
 * long list of paths costs a map look-up.
 */
abstract class SelectorMatcher {
  abstract boolean matches(PathState leaf, Pii pii);

  static SelectorMatcher compile(Selector s) {
    if (s instanceof Selector.Path p) return new PathMatcher(p.items());
    if (s instanceof Selector.And a) return new AndMatcher(a.all().stream().map(SelectorMatcher::compile).toList());
    if (s instanceof Selector.Not n) return new NotMatcher(compile(n.inner()));
    return OrMatcher.of(((Selector.Or) s).any());
  }

  /** Convenience for tests: compile and match once. */
  static boolean matches(Selector s, PathState leaf, Pii pii) {
    return pii != Pii.FALSE && compile(s).matches(leaf, pii);
  }

  private static final class AndMatcher extends SelectorMatcher {
    private final SelectorMatcher[] all;

    AndMatcher(List<SelectorMatcher> all) {
      this.all = all.toArray(new SelectorMatcher[0]);
    }

    @Override
    boolean matches(PathState leaf, Pii pii) {
      for (SelectorMatcher m : all) if (!m.matches(leaf, pii)) return false;
      return true;
    }
  }

  private static final class NotMatcher extends SelectorMatcher {
    private final SelectorMatcher inner;

    NotMatcher(SelectorMatcher inner) {
      this.inner = inner;
    }

    @Override
    boolean matches(PathState leaf, Pii pii) {
      return !inner.matches(leaf, pii);
    }
  }

  private static final class OrMatcher extends SelectorMatcher {
    private final Map<String, SelectorMatcher[]> byLastKey;
    private final SelectorMatcher[] others;

    private OrMatcher(Map<String, SelectorMatcher[]> byLastKey, SelectorMatcher[] others) {
      this.byLastKey = byLastKey;
      this.others = others;
    }

    static OrMatcher of(List<Selector> any) {
      Map<String, List<SelectorMatcher>> keyed = new HashMap<>();
      List<SelectorMatcher> others = new ArrayList<>();
      for (Selector s : any) {
        SelectorMatcher m = compile(s);
        if (s instanceof Selector.Path p && p.items().get(p.items().size() - 1) instanceof Selector.Key k) {
          keyed.computeIfAbsent(k.name().toLowerCase(Locale.ROOT), x -> new ArrayList<>()).add(m);
        } else {
          others.add(m);
        }
      }
      Map<String, SelectorMatcher[]> index = new HashMap<>();
      keyed.forEach((k, v) -> index.put(k, v.toArray(new SelectorMatcher[0])));
      return new OrMatcher(index, others.toArray(new SelectorMatcher[0]));
    }

    @Override
    boolean matches(PathState leaf, Pii pii) {
      if (leaf.key != null && !byLastKey.isEmpty()) {
        SelectorMatcher[] candidates = byLastKey.get(leaf.lowerKey());
        if (candidates != null) for (SelectorMatcher m : candidates) if (m.matches(leaf, pii)) return true;
      }
      for (SelectorMatcher m : others) if (m.matches(leaf, pii)) return true;
      return false;
    }
  }

  private static final class PathMatcher extends SelectorMatcher {
    private final Selector.Item[] items;

    PathMatcher(List<Selector.Item> items) {
      this.items = items.toArray(new Selector.Item[0]);
    }

    @Override
    boolean matches(PathState leaf, Pii pii) {
      if (pii == Pii.FALSE || items.length > leaf.depth) return false;
      PathState state = leaf;
      int i = items.length - 1;
      int deepAt = -1;
      while (state != null && i >= 0) {
        Selector.Item item = items[i];
        if (!itemMatches(item, pii, i, state)) return false;
        state = state.parent;
        if (item instanceof Selector.DeepWildcard) {
          deepAt = i;
          break;
        }
        i--;
      }
      if (deepAt < 0) return true;
      // Items before ** (left to right) match a run of states starting at the first one, from the root, that fits items[0].
      if (deepAt == 0) return state != null;
      int remaining = state == null ? 0 : state.depth + 1;
      PathState[] fromRoot = new PathState[remaining];
      for (PathState s = state; s != null; s = s.parent) fromRoot[s.depth] = s;
      int j = 0;
      while (j < remaining && !itemMatches(items[0], pii, 0, fromRoot[j])) j++;
      if (j == remaining) return false;
      for (int t = 1; t < deepAt; t++) {
        if (j + t >= remaining || !itemMatches(items[t], pii, t, fromRoot[j + t])) return false;
      }
      return true;
    }
  }

  private static boolean itemMatches(Selector.Item item, Pii pii, int position, PathState state) {
    if (item instanceof Selector.Key k) return state.key != null && state.key.equalsIgnoreCase(k.name());
    if (item instanceof Selector.Type ty) {
      ValueType t = ty.type();
      if ((state.types & t.bit()) == 0) return false;
      return pii == Pii.TRUE || t.isSchemaType() && position == 0;
    }
    if (item instanceof Selector.Wildcard) return true;
    if (item instanceof Selector.DeepWildcard) return pii == Pii.TRUE;
    return state.index == ((Selector.Index) item).index();
  }
}
