package io.spillway.rules.privacy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.spillway.rules.privacy.CompiledRule.On;
import io.spillway.rules.privacy.CompiledRule.Step;
import io.spillway.schemas.Json;
import io.spillway.schemas.pii.RuleType;
import io.spillway.schemas.pii.ValueType;
import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * One pass of the rules over one JSON payload, Relay's PII processor over the raw JSON: the
 * payload is read once with Jackson's streaming parser following {@link Shape}s; at each value
 * whose PII attribute allows it, every application whose selector matches runs its rules
 * ({@code processor.rs}: containers and numbers can only be removed, strings are redacted in
 * place); what changes is recorded as byte ranges ({@link Edits}), so everything else stays byte
 * for byte as sent. Subtrees that can hold nothing scrubbable are skipped unread.
 */
final class Walker {
  static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxNestingDepth(256)
          .maxStringLength(Integer.MAX_VALUE)
          .maxNumberLength(10_000)
          .build())
      .build();

  private static final byte[] NULL = {'n', 'u', 'l', 'l'};

  /** Result of scrubbing one string: unchanged, removed (becomes null), or new text. */
  private static final String REMOVED = new String("<removed>");

  private final byte[] json;
  private final RuleSet rules;
  private final Edits edits;
  private final Counts counts;
  private JsonParser p;
  /** Added to Jackson's byte offsets to make them absolute in {@link #json}. */
  private long base;

  Walker(byte[] json, RuleSet rules, Edits edits, Counts counts) {
    this.json = json;
    this.rules = rules;
    this.edits = edits;
    this.counts = counts;
  }

  /** Scrubs {@code json[off, off+len)}, one JSON value of the given shape. */
  void walk(int off, int len, Shape shape) {
    try (JsonParser parser = JSON.createParser(json, off, len)) {
      p = parser;
      JsonToken t = p.nextToken();
      if (t == null) throw invalid("empty");
      base = off - p.currentTokenLocation().getByteOffset() + leadingWhitespace(off, len);
      PathState root = PathState.root(typesOf(t, shape));
      if (shape == Schema.REPORT) {
        if (t == JsonToken.START_OBJECT) untypedObject(root, Pii.TRUE);
        else if (t == JsonToken.START_ARRAY) untypedArray(root, Pii.TRUE);
        else throw invalid("expected a JSON object or array");
      } else {
        if (t != JsonToken.START_OBJECT) throw invalid("expected a JSON object");
        object(root, shape);
      }
      if (p.nextToken() != null) throw invalid("text after the JSON value");
    } catch (IOException | IllegalStateException e) {
      throw invalid("not valid JSON");
    }
  }

  private int leadingWhitespace(int off, int len) {
    int i = off;
    while (i < off + len && (json[i] == ' ' || json[i] == '\t' || json[i] == '\r' || json[i] == '\n')) i++;
    return i - off;
  }

  private static ScrubException invalid(String what) {
    return new ScrubException(ScrubException.Kind.INVALID_BODY, what);
  }

  private long tokenStart() {
    return base + p.currentTokenLocation().getByteOffset();
  }

  private long here() {
    return base + p.currentLocation().getByteOffset();
  }

  // ---- values

  /**
   * Visits the value at the current token {@code t}, reached from {@code parent} by {@code key}
   * (or {@code index}). Returns whether this value itself was removed or redacted (Relay's
   * "meta changed", which decides the [key, value] pair heuristic).
   */
  private boolean visit(JsonToken t, PathState parent, String key, int index, Shape shape, Pii pii) throws IOException {
    switch (t) {
      case VALUE_NULL, VALUE_TRUE, VALUE_FALSE -> {
        return false; // null has no value to scrub; booleans cannot be personal data (Relay)
      }
      case VALUE_STRING -> {
        if (shape.kind == Shape.Kind.LOGENTRY) {
          // A log message given as a plain string is its "formatted" text (Relay's LogEntry::from_value).
          Shape.Field formatted = shape.fields.get("formatted");
          PathState entry = child(parent, key, index, shape.types);
          long start = tokenStart();
          String text = p.getText();
          return string(text, start, here(), entry, formatted.name(), -1, formatted.shape(), formatted.pii());
        }
        if (pii == Pii.FALSE) return false;
        long start = tokenStart();
        String text = p.getText();
        return string(text, start, here(), parent, key, index, shape, pii);
      }
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
        if (pii == Pii.FALSE || !rules.actsOnNonStrings) return false;
        PathState st = child(parent, key, index, ValueType.NUMBER.bit());
        if (!removes(st, pii)) return false;
        long start = tokenStart();
        edits.add(start, numberEnd(start), NULL);
        return true;
      }
      case START_OBJECT, START_ARRAY -> {
        if (pii == Pii.FALSE && shape.inertWhenFalse()) {
          p.skipChildren();
          return false;
        }
        PathState st = child(parent, key, index, typesOf(t, shape));
        if (pii != Pii.FALSE && rules.actsOnNonStrings && removes(st, pii)) {
          long start = tokenStart();
          p.skipChildren();
          edits.add(start, here(), NULL);
          return true;
        }
        if (t == JsonToken.START_OBJECT) object(st, shape, pii);
        else array(st, shape, pii);
        return false;
      }
      default -> throw invalid("unexpected token");
    }
  }

  private static PathState child(PathState parent, String key, int index, int types) {
    return key != null ? parent.key(key, types) : parent.index(index, types);
  }

  private static int typesOf(JsonToken t, Shape shape) {
    return switch (t) {
      // Relay: a struct is its declared schema type ($user …), or else an object; pair lists are objects.
      case START_OBJECT -> shape.types != 0 && shape.kind != Shape.Kind.MAP ? shape.types : ValueType.OBJECT.bit();
      case START_ARRAY -> shape.kind == Shape.Kind.PAIRS ? ValueType.OBJECT.bit() : ValueType.ARRAY.bit();
      case VALUE_STRING -> ValueType.STRING.bit() | shape.stringTypes;
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> ValueType.NUMBER.bit();
      case VALUE_TRUE, VALUE_FALSE -> ValueType.BOOLEAN.bit();
      default -> 0;
    };
  }

  private long numberEnd(long start) {
    int i = (int) start;
    while (i < json.length) {
      byte b = json[i];
      if (b >= '0' && b <= '9' || b == '-' || b == '+' || b == '.' || b == 'e' || b == 'E') i++;
      else break;
    }
    return i;
  }

  // ---- containers, by shape

  private void object(PathState st, Shape shape) throws IOException {
    object(st, shape, Pii.FALSE);
  }

  private void object(PathState st, Shape shape, Pii pii) throws IOException {
    switch (shape.kind) {
      case STRUCT -> struct(st, shape);
      case LOGENTRY -> struct(st, shape);
      case MAP -> {
        for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
          String name = p.currentName();
          visit(p.nextToken(), st, name, -1, shape.element, pii);
        }
      }
      case PAIRS -> untypedObject(st, pii);
      case VALUES -> values(st, shape);
      case CONTEXTS -> contexts(st);
      case ATTRIBUTES -> attributes(st, pii);
      default -> untypedObject(st, pii); // UNTYPED, or an ARRAY given as an object
    }
  }

  private void array(PathState st, Shape shape, Pii pii) throws IOException {
    switch (shape.kind) {
      case ARRAY -> {
        int i = 0;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
          visit(t, st, null, i++, shape.element, pii);
        }
      }
      case VALUES -> {
        // A bare list is read as {"values": [...]}.
        PathState values = st.key("values", ValueType.ARRAY.bit());
        int i = 0;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
          visit(t, values, null, i++, shape.element, Pii.FALSE);
        }
      }
      case PAIRS -> pairList(st, pii);
      default -> untypedArray(st, pii);
    }
  }

  private void struct(PathState st, Shape shape) throws IOException {
    for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String name = p.currentName();
      Shape.Field f = shape.fields.get(name);
      JsonToken v = p.nextToken();
      if (f == null) {
        Shape.Field other = shape.other;
        visit(v, st, name, -1, Schema.UNTYPED, other == null ? Pii.FALSE : other.pii());
      } else {
        visit(v, st, f.name(), -1, f.shape(), f.pii());
      }
    }
  }

  private void untypedObject(PathState st, Pii pii) throws IOException {
    for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String name = p.currentName();
      visit(p.nextToken(), st, name, -1, Schema.UNTYPED, pii);
    }
  }

  /**
   * Relay's array processing: a two-element array whose first element is a string is first read
   * as a [key, value] pair (the value scrubbed under the key); if that scrubbed nothing, or the
   * array is longer, its elements are scrubbed one by one under their indices.
   */
  private void untypedArray(PathState st, Pii pii) throws IOException {
    JsonToken t = p.nextToken();
    int i = 0;
    if (t == JsonToken.VALUE_STRING) {
      long s0 = tokenStart();
      String first = p.getText();
      long e0 = here();
      JsonToken t1 = p.nextToken();
      if (t1 == JsonToken.END_ARRAY) {
        string(first, s0, e0, st, null, 0, Schema.UNTYPED, pii);
        return;
      }
      int editMark = edits.size();
      int countMark = counts.mark();
      long s1 = tokenStart();
      boolean keyed = visit(t1, st, first, -1, Schema.UNTYPED, pii);
      long e1 = t1 == JsonToken.VALUE_NUMBER_INT || t1 == JsonToken.VALUE_NUMBER_FLOAT ? numberEnd(s1) : here();
      JsonToken t2 = p.nextToken();
      boolean pair = t2 == JsonToken.END_ARRAY;
      if (pair && keyed) {
        // Scrubbed as a pair. Relay leaves the key alone; Spillway still runs the value patterns on it
        // (a key does not name a secret, but it can hold an address or a card number).
        keyElement(first, s0, e0, st, pii);
        return;
      }
      if (pair && !t1.isScalarValue()) {
        // The value's own state did not change; what its children got under the key stands (Relay would
        // go over them again under the index, which only adds what index-based selectors would match).
        string(first, s0, e0, st, null, 0, Schema.UNTYPED, pii);
        return;
      }
      edits.rollback(editMark);
      counts.rollback(countMark);
      string(first, s0, e0, st, null, 0, Schema.UNTYPED, pii);
      revisit(s1, e1, st, 1, pii);
      i = 2;
      t = t2;
    }
    for (; t != JsonToken.END_ARRAY; t = p.nextToken()) visit(t, st, null, i++, Schema.UNTYPED, pii);
  }

  /** The key element of a [key, value] pair: only the rules' value patterns (IPs, cards …) run on it. */
  private void keyElement(String text, long start, long end, PathState st, Pii pii) {
    if (text.isEmpty() || text.equals("true") || text.equals("false") || text.equals("null") || text.equals("undefined")) return;
    PathState el = st.index(0, ValueType.STRING.bit());
    Redactable r = null;
    for (RuleSet.App app : rules.apps) {
      if (!app.matcher().matches(el, pii)) continue;
      for (CompiledRule rule : app.rules()) {
        for (Step s : rule.steps()) {
          if (s.on() != On.VALUE) continue;
          if (r == null) r = new Redactable(text);
          r.redact(rule, s.pattern(), s.groups(), s.luhn(), s.guarded(), s.need(), counts);
        }
      }
    }
    if (r != null && r.touched()) edits.add(start, end, quote(r.result()));
  }

  /** Walks {@code json[start, end)} again, as element {@code index} of {@code parent}. */
  private void revisit(long start, long end, PathState parent, int index, Pii pii) throws IOException {
    Walker w = new Walker(json, rules, edits, counts);
    try (JsonParser sub = JSON.createParser(json, (int) start, (int) (end - start))) {
      w.p = sub;
      JsonToken t = sub.nextToken();
      w.base = start - sub.currentTokenLocation().getByteOffset();
      w.visit(t, parent, null, index, Schema.UNTYPED, pii);
    }
  }

  /** A pair list as an array: {@code [[key, value], …]}; each value is scrubbed under its key. */
  private void pairList(PathState st, Pii pii) throws IOException {
    int i = 0;
    for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken(), i++) {
      if (t != JsonToken.START_ARRAY) {
        visit(t, st, null, i, Schema.UNTYPED, pii);
        continue;
      }
      JsonToken k = p.nextToken();
      if (k != JsonToken.VALUE_STRING) {
        // Not a [string, value] pair: scrubbed by index, as Relay does.
        PathState el = st.index(i, ValueType.ARRAY.bit());
        int j = 0;
        for (; k != JsonToken.END_ARRAY; k = p.nextToken()) visit(k, el, null, j++, Schema.UNTYPED, pii);
        continue;
      }
      String key = p.getText();
      JsonToken v = p.nextToken();
      if (v == JsonToken.END_ARRAY) continue;
      visit(v, st, key, -1, Schema.UNTYPED, pii);
      PathState el = null;
      int j = 2;
      for (JsonToken rest = p.nextToken(); rest != JsonToken.END_ARRAY; rest = p.nextToken()) {
        if (el == null) el = st.index(i, ValueType.ARRAY.bit());
        visit(rest, el, null, j++, Schema.UNTYPED, pii);
      }
    }
  }

  /** {@code {"values": [...]}} as a struct; an object without {@code values} is a single element. */
  private void values(PathState st, Shape shape) throws IOException {
    long objStart = tokenStart();
    JsonToken t = p.nextToken();
    if (t == JsonToken.END_OBJECT) return;
    String first = p.currentName();
    if (!first.equals("values") && !hasTopLevelKey(objStart, "values")) {
      // One element without the wrapper: scrubbed as values.0.
      PathState values = st.key("values", ValueType.ARRAY.bit());
      PathState el = values.index(0, shape.element.types);
      structFields(el, shape.element, t);
      return;
    }
    for (; t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String name = p.currentName();
      JsonToken v = p.nextToken();
      if (name.equals("values")) {
        if (v == JsonToken.START_ARRAY) {
          PathState values = st.key("values", ValueType.ARRAY.bit());
          int i = 0;
          for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
            visit(e, values, null, i++, shape.element, Pii.FALSE);
          }
        } else {
          p.skipChildren();
        }
      } else {
        p.skipChildren();
      }
    }
  }

  /** The fields of a struct whose START_OBJECT was consumed and whose first FIELD_NAME is {@code t}. */
  private void structFields(PathState st, Shape shape, JsonToken t) throws IOException {
    for (; t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String name = p.currentName();
      Shape.Field f = shape.fields.get(name);
      JsonToken v = p.nextToken();
      if (f == null) visit(v, st, name, -1, Schema.UNTYPED, shape.other == null ? Pii.FALSE : shape.other.pii());
      else visit(v, st, f.name(), -1, f.shape(), f.pii());
    }
  }

  /** Whether the object starting at {@code objStart} has the top-level key {@code key}. */
  private boolean hasTopLevelKey(long objStart, String key) throws IOException {
    try (JsonParser sub = JSON.createParser(json, (int) objStart, json.length - (int) objStart)) {
      if (sub.nextToken() != JsonToken.START_OBJECT) return false;
      for (JsonToken t = sub.nextToken(); t == JsonToken.FIELD_NAME; t = sub.nextToken()) {
        if (sub.currentName().equals(key)) return true;
        sub.nextToken();
        sub.skipChildren();
      }
      return false;
    }
  }

  /**
   * {@code contexts}: an entry whose {@code type} (or, without one, key) names one of Sentry's own
   * contexts is a struct only explicit selectors reach; any other context is free-form and fully
   * scrubbed (Relay's {@code Context::Other}, PII true).
   */
  private void contexts(PathState st) throws IOException {
    for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String name = p.currentName();
      JsonToken v = p.nextToken();
      if (v != JsonToken.START_OBJECT) {
        visit(v, st, name, -1, Schema.UNTYPED, Pii.TRUE);
        continue;
      }
      String type = Schema.KNOWN_CONTEXT_TYPES.contains(name) ? contextType(tokenStart()) : null;
      if (type == null) type = name;
      if (Schema.KNOWN_CONTEXT_TYPES.contains(type)) {
        visit(v, st, name, -1, type.equals("response") ? Schema.RESPONSE_CONTEXT : Schema.KNOWN_CONTEXT, Pii.FALSE);
      } else {
        visit(v, st, name, -1, Schema.UNTYPED, Pii.TRUE);
      }
    }
  }

  /** The {@code type} string of the context object starting at {@code start}, or null (then its key decides). */
  private String contextType(long start) throws IOException {
    try (JsonParser sub = JSON.createParser(json, (int) start, json.length - (int) start)) {
      if (sub.nextToken() != JsonToken.START_OBJECT) return null;
      for (JsonToken t = sub.nextToken(); t == JsonToken.FIELD_NAME; t = sub.nextToken()) {
        String name = sub.currentName();
        JsonToken v = sub.nextToken();
        if (name.equals("type") && v == JsonToken.VALUE_STRING && !sub.getText().isEmpty()) return sub.getText();
        sub.skipChildren();
      }
      return null;
    }
  }

  /** Log attributes, read as Relay's legacy rules read them: each attribute's value is scrubbed at {@code attributes.<name>}. */
  private void attributes(PathState st, Pii pii) throws IOException {
    for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String name = p.currentName();
      JsonToken v = p.nextToken();
      if (v != JsonToken.START_OBJECT) {
        visit(v, st, name, -1, Schema.UNTYPED, pii);
        continue;
      }
      for (JsonToken f = p.nextToken(); f == JsonToken.FIELD_NAME; f = p.nextToken()) {
        String field = p.currentName();
        JsonToken fv = p.nextToken();
        if (field.equals("value")) visit(fv, st, name, -1, Schema.UNTYPED, pii);
        else p.skipChildren();
      }
    }
  }

  // ---- rules

  /** Whether a rule removes the (non-string) value at {@code st}: an anything-rule, or a key-based one whose key matches. */
  private boolean removes(PathState st, Pii pii) {
    for (RuleSet.App app : rules.apps) {
      if (!app.actsOnNonStrings() || !app.matcher().matches(st, pii)) continue;
      for (CompiledRule r : app.rules()) {
        if (r.type() == RuleType.ANYTHING || r.keyMatches(st.key)) {
          counts.add(r.origin());
          return true;
        }
      }
    }
    return false;
  }

  /** A string value: the rules, then an edit if it changed. Returns whether it was removed or redacted. */
  private boolean string(String text, long start, long end, PathState parent, String key, int index, Shape shape, Pii pii)
      throws IOException {
    if (text.isEmpty() || text.equals("true") || text.equals("false") || text.equals("null") || text.equals("undefined")) {
      return false;
    }
    switch (shape.text) {
      case QUERY, COOKIES -> {
        // Relay reads these as pair lists first: the value as a whole can only be removed; its pairs are scrubbed.
        PathState st = child(parent, key, index, ValueType.OBJECT.bit());
        if (rules.actsOnNonStrings && removes(st, pii)) {
          edits.add(start, end, NULL);
          return true;
        }
        String scrubbed = shape.text == Shape.Text.QUERY ? queryPairs(text, st, pii) : cookiePairs(text, st, pii);
        if (scrubbed != null) edits.add(start, end, quote(scrubbed));
        return false;
      }
      default -> {
        PathState st = child(parent, key, index, ValueType.STRING.bit() | shape.stringTypes);
        String result = apply(text, st, pii);
        if (shape.text == Shape.Text.URL && result != REMOVED) {
          String base = result == null ? text : result;
          String withQuery = urlQuery(base, parent);
          if (withQuery != null) result = withQuery;
        }
        if (result == null) return false;
        edits.add(start, end, result == REMOVED ? NULL : quote(result));
        return true;
      }
    }
  }

  /** Runs every matching application's rules on a string: null if unchanged, {@link #REMOVED}, or the new text. */
  private String apply(String text, PathState st, Pii pii) {
    Redactable r = null;
    for (RuleSet.App app : rules.apps) {
      if (!app.matcher().matches(st, pii)) continue;
      for (CompiledRule rule : app.rules()) {
        if (r == null) r = new Redactable(text);
        if (!applyRule(rule, r, st.key)) return REMOVED;
      }
    }
    return r == null || !r.touched() ? null : r.result();
  }

  /** Relay's {@code apply_rule_to_value} on a string; false when the rule removes the value. */
  private boolean applyRule(CompiledRule rule, Redactable r, String key) {
    if (rule.type() == RuleType.ANYTHING) {
      if (!rule.rewrites()) {
        counts.add(rule.origin());
        return false;
      }
      if (r.hasText()) r.redactAll(rule, counts);
      return true;
    }
    for (Step s : rule.steps()) {
      if (s.on() == On.VALUE) {
        r.redact(rule, s.pattern(), s.groups(), s.luhn(), s.guarded(), s.need(), counts);
        continue;
      }
      if (CompiledRule.keyStepMatches(s, key == null ? "" : key)) {
        if (!rule.rewrites()) {
          counts.add(rule.origin());
          return false;
        }
        if (r.hasText()) r.redactAll(rule, counts);
      } else if (s.on() == On.KEY_VALUE && r.hasText() && CompiledRule.keyStepMatches(s, r.searchText())) {
        // The key did not match, but the value contains what a sensitive key would: the whole value goes.
        r.redactAll(rule, counts);
      }
    }
    return true;
  }

  // ---- strings holding pairs

  /** A query string's values scrubbed under their names; null if nothing changed. Changed values are re-encoded. */
  private String queryPairs(String query, PathState st, Pii pii) {
    StringBuilder out = null;
    int pos = 0;
    int start = query.startsWith("?") ? 1 : 0;
    for (int i = start; i <= query.length(); i++) {
      if (i < query.length() && query.charAt(i) != '&') continue;
      int eq = query.indexOf('=', start);
      if (eq >= 0 && eq < i) {
        String name = decode(query.substring(start, eq));
        String value = decode(query.substring(eq + 1, i));
        String r = value.isEmpty() ? null : pairValue(value, st, name, pii);
        if (r != null) {
          if (out == null) out = new StringBuilder(query.length() + 16);
          out.append(query, pos, eq + 1);
          if (r != REMOVED) out.append(URLEncoder.encode(r, StandardCharsets.UTF_8));
          pos = i;
        }
      }
      start = i + 1;
    }
    if (out == null) return null;
    out.append(query, pos, query.length());
    return out.toString();
  }

  /** {@code name=value; …} with values scrubbed under their names; null if nothing changed. */
  private String cookiePairs(String cookies, PathState st, Pii pii) {
    StringBuilder out = null;
    int pos = 0;
    int start = 0;
    for (int i = 0; i <= cookies.length(); i++) {
      if (i < cookies.length() && cookies.charAt(i) != ';') continue;
      int eq = cookies.indexOf('=', start);
      if (eq >= 0 && eq < i) {
        String name = cookies.substring(start, eq).trim();
        String raw = cookies.substring(eq + 1, i).trim();
        String value = raw.length() >= 2 && raw.startsWith("\"") && raw.endsWith("\"") ? raw.substring(1, raw.length() - 1) : raw;
        String r = value.isEmpty() ? null : pairValue(decode(value), st, name, pii);
        if (r != null) {
          if (out == null) out = new StringBuilder(cookies.length() + 16);
          out.append(cookies, pos, eq + 1);
          if (r != REMOVED) out.append(r);
          pos = i;
        }
      }
      start = i + 1;
    }
    if (out == null) return null;
    out.append(cookies, pos, cookies.length());
    return out.toString();
  }

  /**
   * The query string of a URL, scrubbed as Sentry scrubs it once it has moved it to
   * {@code request.query_string}; null if nothing changed.
   */
  private String urlQuery(String url, PathState requestState) {
    int q = url.indexOf('?');
    if (q < 0 || q == url.length() - 1) return null;
    int hash = url.indexOf('#', q);
    String query = hash < 0 ? url.substring(q + 1) : url.substring(q + 1, hash);
    PathState qs = requestState.key("query_string", ValueType.OBJECT.bit());
    String scrubbed = queryPairs(query, qs, Pii.TRUE);
    if (scrubbed == null) return null;
    return url.substring(0, q + 1) + scrubbed + (hash < 0 ? "" : url.substring(hash));
  }

  private String pairValue(String value, PathState st, String name, Pii pii) {
    PathState v = st.key(name, ValueType.STRING.bit());
    if (value.equals("true") || value.equals("false") || value.equals("null") || value.equals("undefined")) return null;
    return apply(value, v, pii);
  }

  private static String decode(String s) {
    if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s;
    }
  }

  /** A JSON string literal. */
  static byte[] quote(String s) {
    return Json.quote(s).getBytes(StandardCharsets.UTF_8);
  }
}
