package io.spillway.schemas.pii;

import java.util.Locale;

/**
 * What a selector's {@code $name} item stands for (Relay's {@code ValueType}): a JSON kind
 * ({@code $string}, {@code $number} …) or a part of Sentry's event schema ({@code $user},
 * {@code $frame}, {@code $http} …). Names and aliases are Relay's.
 */
public enum ValueType {
  STRING(false, "string"),
  NUMBER(false, "number"),
  BOOLEAN(false, "boolean", "bool"),
  DATETIME(false, "datetime"),
  ARRAY(false, "array", "list"),
  OBJECT(false, "object"),
  EVENT(true, "event"),
  EXCEPTION(true, "error", "exception"),
  STACKTRACE(true, "stack", "stacktrace"),
  FRAME(true, "frame"),
  REQUEST(true, "http", "request"),
  USER(true, "user"),
  LOGENTRY(true, "logentry"),
  MESSAGE(true, "message"),
  THREAD(true, "thread"),
  BREADCRUMB(true, "breadcrumb"),
  LOG(true, "log"),
  SPAN(true, "span"),
  SDK(true, "sdk");

  /** Value types Relay knows that select attachments or replays, which Spillway never scrubs. */
  private static final java.util.Set<String> NOT_SCRUBBED = java.util.Set.of(
      "binary", "attachments", "minidump", "replay", "heap_memory", "stack_memory", "trace_metric");

  private final boolean schema;
  private final String[] names;

  ValueType(boolean schema, String... names) {
    this.schema = schema;
    this.names = names;
  }

  /** A part of Sentry's schema (not a plain JSON kind); such types may lead a specific selector. */
  public boolean isSchemaType() {
    return schema;
  }

  /** The bit of this type in a set of types. */
  public int bit() {
    return 1 << ordinal();
  }

  /** The canonical name, without {@code $}. */
  public String wireName() {
    return names[0];
  }

  /** The type named {@code name} (without {@code $}); IllegalArgumentException says why not. */
  public static ValueType of(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    for (ValueType t : values()) {
      for (String alias : t.names) if (alias.equals(n)) return t;
    }
    if (NOT_SCRUBBED.contains(n)) {
      throw new IllegalArgumentException("$" + name + " selects attachments or replays, which Spillway does not scrub"
          + " (privacy.attachments: keep or drop)");
    }
    throw new IllegalArgumentException("unknown value type $" + name);
  }
}
