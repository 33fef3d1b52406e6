package io.spillway.rules.privacy;

import io.spillway.schemas.pii.Selector;
import io.spillway.schemas.pii.ValueType;
import java.util.List;

/**
 * Relay's selector semantics (relay-pii {@code selector.rs}, {@code matches_path}): a path is
 * matched from the value backwards; it need not reach the root; {@code **} takes one or more
 * items, the items before it then match from the first place (nearest the root) where the first
 * of them does; a {@code MAYBE} field is matched only by keys, indices, {@code *} and a leading
 * schema type, never by {@code **} or a plain JSON type; a {@code FALSE} field never matches.
 */
final class SelectorMatcher {
  private SelectorMatcher() {}

  static boolean matches(Selector s, PathState leaf, Pii pii) {
    if (pii == Pii.FALSE) return false;
    if (s instanceof Selector.Path p) return matchesPath(p.items(), leaf, pii);
    if (s instanceof Selector.And a) {
      for (Selector x : a.all()) if (!matches(x, leaf, pii)) return false;
      return true;
    }
    if (s instanceof Selector.Or o) {
      for (Selector x : o.any()) if (matches(x, leaf, pii)) return true;
      return false;
    }
    return !matches(((Selector.Not) s).inner(), leaf, pii);
  }

  private static boolean matchesPath(List<Selector.Item> items, PathState leaf, Pii pii) {
    if (items.size() > leaf.depth) return false;
    PathState state = leaf;
    int i = items.size() - 1;
    int deepAt = -1;
    while (state != null && i >= 0) {
      Selector.Item item = items.get(i);
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
    while (j < remaining && !itemMatches(items.get(0), pii, 0, fromRoot[j])) j++;
    if (j == remaining) return false;
    for (int t = 1; t < deepAt; t++) {
      if (j + t >= remaining || !itemMatches(items.get(t), pii, t, fromRoot[j + t])) return false;
    }
    return true;
  }

  private static boolean itemMatches(Selector.Item item, Pii pii, int position, PathState state) {
    if (item instanceof Selector.Wildcard) return true;
    if (item instanceof Selector.DeepWildcard) return pii == Pii.TRUE;
    if (item instanceof Selector.Key k) return state.key != null && state.key.equalsIgnoreCase(k.name());
    if (item instanceof Selector.Index x) return state.index == x.index();
    ValueType t = ((Selector.Type) item).type();
    if ((state.types & t.bit()) == 0) return false;
    return pii == Pii.TRUE || t.isSchemaType() && position == 0;
  }
}
