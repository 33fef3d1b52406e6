package io.spillway.schemas.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One key of {@code spillway.yml}, declared once in {@link ConfigKeys}: where it is, what it holds
 * ({@link ConfigType}, checks included), its default and what it means. Readers get its value only
 * through {@link ConfigReader#get}, so the default they use is the one the README shows.
 */
final class ConfigKey<T> {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final ConfigSection section;
  private final String name;
  private final ConfigType<T> type;
  private final Default def;
  private final T defaultValue;
  private final String doc;

  ConfigKey(ConfigSection section, String name, ConfigType<T> type, Default def, String doc) {
    if (doc == null || doc.isBlank()) throw new IllegalArgumentException(section.child(name) + ": no doc");
    this.section = section;
    this.name = name;
    this.type = type;
    this.def = def;
    this.doc = doc;
    this.defaultValue = def.kind() == Kind.VALUE ? parseDefault() : null;
  }

  /** Absent from the file: the default is a value, the key is required, absent means none, or the reader derives it. */
  enum Kind { VALUE, REQUIRED, ABSENT, DERIVED }

  /**
   * A key's default. {@code text} is what the README shows: for {@link Kind#VALUE}, the value as it
   * would be written in the file (and parsed by the key's type); for {@link Kind#REQUIRED} a hint
   * added to "is required", or null; otherwise what absence means, or how the value is derived.
   */
  record Default(Kind kind, String text) {
    static Default value(String yaml) {
      return new Default(Kind.VALUE, yaml);
    }

    static Default required() {
      return new Default(Kind.REQUIRED, null);
    }

    /** Required; the problem of a missing value says {@code hint}, e.g. "is required (the real Sentry project id)". */
    static Default required(String hint) {
      return new Default(Kind.REQUIRED, hint);
    }

    /** Absent means none (the reader gets null); {@code meaning} says what that does, e.g. "the JVM's trust store". */
    static Default absent(String meaning) {
      return new Default(Kind.ABSENT, meaning);
    }

    /** The reader computes the value (from other keys, or the host); {@code how} says how, e.g. "`<topic>.dlq`". */
    static Default derived(String how) {
      return new Default(Kind.DERIVED, how);
    }

    /** The README's default column (Markdown). */
    String markdown() {
      return switch (kind) {
        case VALUE -> "`" + text + "`";
        case REQUIRED -> "required";
        case ABSENT, DERIVED -> text;
      };
    }
  }

  /** The full path, with a placeholder for each name the user chooses: {@code upstreams.<u>.projects.<p>.key}. */
  String path() {
    return section.child(name);
  }

  /** The key within its section: {@code key}. */
  String name() {
    return name;
  }

  ConfigSection section() {
    return section;
  }

  ConfigType<T> type() {
    return type;
  }

  Default def() {
    return def;
  }

  String doc() {
    return doc;
  }

  /** The value used when the key is absent; only keys whose default is a value have one. */
  T defaultValue() {
    if (def.kind() != Kind.VALUE) throw new IllegalStateException(path() + " has no default value (" + def.kind() + ")");
    return defaultValue;
  }

  /** The default, read as if written in the file: a default its own type or check refuses fails here, at class loading. */
  private T parseDefault() {
    JsonNode node;
    try {
      node = YAML.readTree(name + ": " + def.text());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(path() + ": default " + def.text() + " is not YAML", e);
    }
    List<String> problems = new ArrayList<>();
    T v = type.reader().read(new ConfigReader(node, problems, Map.of(), null, Path.of("")), name);
    if (v == null || !problems.isEmpty()) throw new IllegalArgumentException(path() + ": bad default " + def.text() + ": " + problems);
    return v;
  }

  @Override
  public String toString() {
    return path();
  }
}
