package io.spillway.rules.privacy;

/**
 * Where a value sits in the event, as selectors see it: its key (or index) and value types, and
 * its parent's state. The root has neither key nor index.
 */
final class PathState {
  final PathState parent;
  final String key;
  final int index;
  final int types;
  final int depth;
  private String lowerKey;

  private PathState(PathState parent, String key, int index, int types) {
    this.parent = parent;
    this.key = key;
    this.index = index;
    this.types = types;
    this.depth = parent == null ? 0 : parent.depth + 1;
  }

  /** The key in lower case (selectors compare keys ignoring case). */
  String lowerKey() {
    if (lowerKey == null && key != null) lowerKey = key.toLowerCase(java.util.Locale.ROOT);
    return lowerKey;
  }

  static PathState root(int types) {
    return new PathState(null, null, -1, types);
  }

  PathState key(String key, int types) {
    return new PathState(this, key, -1, types);
  }

  PathState index(int index, int types) {
    return new PathState(this, null, index, types);
  }

  /** The same place with other value types (a value whose kind is only known once read). */
  PathState withTypes(int types) {
    return types == this.types ? this : new PathState(parent, key, index, types);
  }

  @Override
  public String toString() {
    String self = key != null ? key : index >= 0 ? Integer.toString(index) : "";
    return parent == null ? "" : parent.parent == null ? self : parent + "." + self;
  }
}
