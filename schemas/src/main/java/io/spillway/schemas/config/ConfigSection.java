package io.spillway.schemas.config;

import java.util.ArrayList;
import java.util.List;

/**
 * A mapping of {@code spillway.yml} whose keys are declared in {@link ConfigKeys}: the top level,
 * {@code edge}, {@code upstreams.<u>} (one per name the user chooses), {@code upstreams.<u>.tls} …
 * A section may repeat another's keys ({@code upstreams.<u>.projects.<p>.filters} has those of
 * {@code filters}). Declaring a key or a documented section adds its row to the list every section
 * of the tree shares, so the rows come in declaration order.
 */
final class ConfigSection {
  private final ConfigSection parent;
  private final String name;
  private final String path;
  private final ConfigSection shape;
  private final List<String> names = new ArrayList<>();
  private final List<ConfigKeys.KeyDoc> docs;

  private ConfigSection(ConfigSection parent, String name, String path, ConfigSection sameKeysAs, List<ConfigKeys.KeyDoc> docs) {
    this.parent = parent;
    this.name = name;
    this.path = path;
    this.shape = sameKeysAs == null ? this : sameKeysAs;
    this.docs = docs;
    if (parent != null) {
      if (parent.shape != parent) throw new IllegalStateException(parent.path + " repeats " + parent.shape.path + "; declare there");
      if (parent.names.contains(name)) throw new IllegalStateException(path + " is declared twice");
      parent.names.add(name);
    }
  }

  /** The top level of the file. */
  static ConfigSection root() {
    return new ConfigSection(null, "", "", null, new ArrayList<>());
  }

  /** A nested mapping; absent means all its defaults. */
  ConfigSection section(String name) {
    return new ConfigSection(this, name, child(name), null, docs);
  }

  /** A nested mapping with a row of its own: {@code absent} says what its absence means. */
  ConfigSection section(String name, String absent, String doc) {
    return section(name, null, absent, doc);
  }

  /** A nested mapping with the keys of {@code sameKeysAs}, and a row of its own. */
  ConfigSection section(String name, ConfigSection sameKeysAs, String absent, String doc) {
    ConfigSection s = new ConfigSection(this, name, child(name), sameKeysAs, docs);
    String type = sameKeysAs == null ? "mapping" : "mapping with the keys of " + sameKeysAs.path;
    docs.add(new ConfigKeys.KeyDoc(s.path, type, absent, doc));
    return s;
  }

  /**
   * A mapping of names the user chooses to sections like this one: {@code named("upstreams", "u")}
   * is {@code upstreams.<u>}.
   */
  ConfigSection named(String name, String placeholder) {
    return new ConfigSection(this, name, child(name) + ".<" + placeholder + ">", null, docs);
  }

  <T> ConfigKey<T> key(String name, ConfigType<T> type, String defaultValue, String doc) {
    return key(name, type, ConfigKey.Default.value(defaultValue), doc);
  }

  <T> ConfigKey<T> key(String name, ConfigType<T> type, ConfigKey.Default def, String doc) {
    if (shape != this) throw new IllegalStateException(path + " repeats " + shape.path + "; declare " + name + " there");
    if (names.contains(name)) throw new IllegalStateException(child(name) + " is declared twice");
    ConfigKey<T> key = new ConfigKey<>(this, name, type, def, doc);
    names.add(name);
    docs.add(new ConfigKeys.KeyDoc(key.path(), type.description(), def.markdown(), doc));
    return key;
  }

  /** The path of a key or section in this one. */
  String child(String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  /** Its key in the parent ({@code upstreams} for {@code upstreams.<u>}). */
  String name() {
    return name;
  }

  ConfigSection parent() {
    return parent;
  }

  String path() {
    return path;
  }

  /** The section whose keys this one holds: itself, or the one it repeats. */
  ConfigSection shape() {
    return shape;
  }

  /** The keys and sections declared in it, in declaration order. */
  List<String> names() {
    return List.copyOf(shape.names);
  }

  /** Every row declared in the whole tree so far, in declaration order. */
  List<ConfigKeys.KeyDoc> docs() {
    return List.copyOf(docs);
  }

  @Override
  public String toString() {
    return path.isEmpty() ? "(top level)" : path;
  }
}
