package io.spillway.schemas.pii;

import java.util.ArrayList;
import java.util.List;

/**
 * Where a rule applies: Relay's selector language (sentry-docs "Advanced Data Scrubbing",
 * Sources). A path of items joined by {@code .} — keys ({@code extra}, {@code 'my key'}), indices,
 * {@code *} (one item), {@code **} (any depth, once per path), {@code $type} — combined with
 * {@code &&}, {@code ||}, {@code !} and parentheses ({@code &}, {@code |}, {@code ~} also accepted,
 * as Relay does). Keys compare case-insensitively. Parsing is here (config validation); matching
 * an event path lives with the scrubber.
 */
public sealed interface Selector {

  /** All must match. */
  record And(List<Selector> all) implements Selector {
    public And {
      all = List.copyOf(all);
    }

    @Override
    public String toString() {
      StringBuilder b = new StringBuilder();
      for (Selector s : all) {
        if (b.length() > 0) b.append(" && ");
        b.append(s instanceof Or ? "(" + s + ")" : s.toString());
      }
      return b.toString();
    }
  }

  /** Any may match. */
  record Or(List<Selector> any) implements Selector {
    public Or {
      any = List.copyOf(any);
    }

    @Override
    public String toString() {
      StringBuilder b = new StringBuilder();
      for (Selector s : any) {
        if (b.length() > 0) b.append(" || ");
        b.append(s);
      }
      return b.toString();
    }
  }

  /** Everything the inner selector does not match. */
  record Not(Selector inner) implements Selector {
    @Override
    public String toString() {
      return inner instanceof Path ? "!" + inner : "!(" + inner + ")";
    }
  }

  /** A path, matched against the end of a value's path in the event. */
  record Path(List<Item> items) implements Selector {
    public Path {
      items = List.copyOf(items);
    }

    @Override
    public String toString() {
      StringBuilder b = new StringBuilder();
      for (Item i : items) {
        if (b.length() > 0) b.append('.');
        b.append(i);
      }
      return b.toString();
    }
  }

  /** One item of a path. */
  sealed interface Item {}

  /** An object key (case-insensitive). */
  record Key(String name) implements Item {
    @Override
    public String toString() {
      return SelectorParser.isPlainKey(name) ? name : "'" + name.replace("'", "''") + "'";
    }
  }

  /** An array index. */
  record Index(int index) implements Item {
    @Override
    public String toString() {
      return Integer.toString(index);
    }
  }

  /** A value type: {@code $string}, {@code $user} … */
  record Type(ValueType type) implements Item {
    @Override
    public String toString() {
      return "$" + type.wireName();
    }
  }

  /** {@code *}: any single item. */
  record Wildcard() implements Item {
    @Override
    public String toString() {
      return "*";
    }
  }

  /** {@code **}: any depth (at least one item). */
  record DeepWildcard() implements Item {
    @Override
    public String toString() {
      return "**";
    }
  }

  /** A path of one key: how a safe field that is not a valid selector is read (as Relay does). */
  static Selector key(String name) {
    return new Path(List.of(new Key(name)));
  }

  /**
   * Parses a selector as a piiConfig application key: also Relay's legacy names {@code freeform},
   * {@code email}, {@code sensitive}, {@code text} (= {@code $string}) and {@code databag},
   * {@code container} (= {@code $object}). IllegalArgumentException names the problem.
   */
  static Selector parse(String s) {
    switch (s) {
      case "freeform", "email", "sensitive", "text" -> {
        return new Path(List.of(new Type(ValueType.STRING)));
      }
      case "databag", "container" -> {
        return new Path(List.of(new Type(ValueType.OBJECT)));
      }
      default -> {
        return parseStrict(s);
      }
    }
  }

  /** Parses a selector without the legacy names. IllegalArgumentException names the problem. */
  static Selector parseStrict(String s) {
    if (s == null) throw new NullPointerException("s == null");
    return new SelectorParser(s).root();
  }
}
