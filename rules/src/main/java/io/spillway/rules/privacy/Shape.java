package io.spillway.rules.privacy;

import io.spillway.schemas.pii.ValueType;
import java.util.HashMap;
import java.util.Map;

/**
 * What the scrubber knows about one place in a payload: Sentry's event schema as Relay declares it
 * ({@code relay-event-schema}), reduced to what scrubbing needs — which fields exist, their PII
 * attribute, the value type selectors see ({@code $user}, {@code $frame} …), and the few fields that
 * Relay reads in another form first (pair lists given as objects or strings, a log message given as
 * a string). Unknown fields follow the type's "other" rule; untyped data inherits its parent's PII.
 */
final class Shape {
  enum Kind {
    /** Free-form data: children inherit the PII attribute. */
    UNTYPED,
    /** A schema struct: declared fields, and {@code other} for the rest. */
    STRUCT,
    /** An object whose values all have one shape (and inherit PII). */
    MAP,
    /** An array whose elements all have one shape (and inherit PII). */
    ARRAY,
    /** Relay's {@code Values<T>}: {@code {"values": [...]}}, or a bare array, or a single element. */
    VALUES,
    /** A pair list (headers, cookies, query, tags): an object, or an array of [key, value] pairs, or a string. */
    PAIRS,
    /** {@code contexts}: each entry's shape depends on its {@code type} (or key). */
    CONTEXTS,
    /** {@code logentry}/{@code message}: a struct, or a plain string meaning its {@code formatted}. */
    LOGENTRY,
    /** Log attributes {@code {"name": {"value": …, "type": …}}}: each value is scrubbed as if at {@code name}. */
    ATTRIBUTES
  }

  /** How a string at this place is read before scrubbing. */
  enum Text {
    PLAIN,
    /** A query string: its values are scrubbed as pairs under their names. */
    QUERY,
    /** A Cookie header value: {@code name=value; …}, scrubbed as pairs. */
    COOKIES,
    /** A URL: its query string is scrubbed as pairs (as Sentry does once it has moved it to query_string). */
    URL
  }

  /** A declared field: its shape and PII attribute. */
  record Field(String name, Shape shape, Pii pii) {}

  final String name;
  final Kind kind;
  /** Value types of an object or array here (a struct's schema type, or none). */
  final int types;
  /** Extra value types of a string here ({@code $message}). */
  final int stringTypes;
  final Text text;
  final Map<String, Field> fields = new HashMap<>();
  Field other;
  Shape element;
  private Boolean inert;

  Shape(String name, Kind kind, int types, int stringTypes, Text text) {
    this.name = name;
    this.kind = kind;
    this.types = types;
    this.stringTypes = stringTypes;
    this.text = text;
  }

  Shape field(String name, Shape shape, Pii pii, String... aliases) {
    Field f = new Field(name, shape, pii);
    fields.put(name, f);
    for (String a : aliases) fields.put(a, f);
    return this;
  }

  Shape other(Pii pii) {
    this.other = new Field(null, Schema.UNTYPED, pii);
    return this;
  }

  Shape element(Shape element) {
    this.element = element;
    return this;
  }

  /**
   * True when, reached with PII {@code FALSE}, nothing below can ever be scrubbed (no field below
   * is TRUE or MAYBE): the walker skips such subtrees without reading them.
   */
  boolean inertWhenFalse() {
    // Computed on first use by whichever threads get here first: they all compute the same answer,
    // and none may see a provisional one (a thread that read "inert" while another was still working
    // it out skipped fields it had to scrub). The schema has no cycles, so the recursion ends.
    Boolean v = inert;
    if (v == null) {
      v = computeInert();
      inert = v;
    }
    return v;
  }

  private boolean computeInert() {
    return switch (kind) {
      case UNTYPED -> true;
      case MAP, ARRAY, VALUES, PAIRS -> element.inertWhenFalse();
      case CONTEXTS, ATTRIBUTES, LOGENTRY -> false;
      case STRUCT -> {
        for (Field f : fields.values()) if (f.pii() != Pii.FALSE || !f.shape().inertWhenFalse()) yield false;
        yield other == null || other.pii() == Pii.FALSE;
      }
    };
  }

  static int bits(ValueType... types) {
    int b = 0;
    for (ValueType t : types) b |= t.bit();
    return b;
  }

  @Override
  public String toString() {
    return name;
  }
}
