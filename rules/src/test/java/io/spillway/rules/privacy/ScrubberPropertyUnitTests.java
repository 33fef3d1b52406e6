package io.spillway.rules.privacy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spillway.schemas.config.PrivacyConfig;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random events in: valid JSON out, sensitive keys and values gone from every scrubbable place,
 * everything else JSON-equal, and the byte-level fast path never skipping what the full scrubber
 * would change.
 */
class ScrubberPropertyUnitTests {
  static final JsonNodeFactory F = JsonNodeFactory.instance;
  static final List<String> SENSITIVE_KEYS = List.of("password", "secret", "passwd", "api_key", "apiKey", "X-Api-Key", "auth",
      "Authorization", "credentials", "mysql_pwd", "privatekey", "private_key", "github_token", "session_token", "otp");
  static final List<String> PLAIN_KEYS = List.of("id", "name", "count", "user_agent", "path", "status", "items", "order_id",
      "note", "lang", "ok", "a", "b");
  static final List<String> SECRETS = List.of("jane.doe@example.com", "10.20.30.40", "4111 1111 1111 1111", "5555555555554444",
      "078-05-1120", "2001:db8::8a2e:370:7334", "DE89370400440532013000", "redis://user:s3cr3t@cache.internal:6379/0");
  static final List<String> WORDS = List.of("checkout", "failed", "retry", "order 1234", "v1.4.2", "2026-11-27T03:48:13Z", "OK",
      "GET /api/items?page=2", "true", "", "com.example.Shop", "42", "ärger", "naïve café", "a \"quoted\" word", "tab\tand\nnewline");

  static final PrivacyConfig DEFAULTS_AND_IP = Scrub.defaultsAndIp();

  /** A string leaf: a plain word, or a secret between words (so that word boundaries hold). */
  static Arbitrary<String> leafStrings() {
    Arbitrary<String> plain = Arbitraries.of(WORDS);
    Arbitrary<String> secret = Combinators.combine(Arbitraries.of(WORDS), Arbitraries.of(SECRETS), Arbitraries.of(WORDS))
        .as((a, s, b) -> (a.isEmpty() ? "" : "x ") + s + " y");
    return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(4, plain), net.jqwik.api.Tuple.of(1, secret));
  }

  static Arbitrary<JsonNode> values(int depth) {
    Arbitrary<JsonNode> scalar = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(6, leafStrings().map(F::textNode)),
        net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(-1000, 100000).map(F::numberNode)),
        net.jqwik.api.Tuple.of(1, Arbitraries.of(true, false).map(F::booleanNode)),
        net.jqwik.api.Tuple.of(1, Arbitraries.just(F.nullNode())));
    if (depth == 0) return scalar;
    Arbitrary<JsonNode> object = Combinators.combine(
            Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, Arbitraries.of(PLAIN_KEYS)), net.jqwik.api.Tuple.of(1, Arbitraries.of(SENSITIVE_KEYS)))
                .list().ofMaxSize(4),
            values(depth - 1).list().ofSize(4))
        .as((keys, vals) -> {
          ObjectNode o = F.objectNode();
          for (int i = 0; i < keys.size(); i++) o.set(keys.get(i), vals.get(i));
          return (JsonNode) o;
        });
    Arbitrary<JsonNode> array = values(depth - 1).list().ofMaxSize(3).map(l -> {
      ArrayNode a = F.arrayNode();
      l.forEach(a::add);
      return (JsonNode) a;
    });
    return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(5, scalar), net.jqwik.api.Tuple.of(3, object), net.jqwik.api.Tuple.of(1, array));
  }

  static Arbitrary<ObjectNode> bags() {
    return values(3).map(v -> {
      if (v instanceof ObjectNode o) return o;
      ObjectNode o = F.objectNode();
      o.set("value", v);
      return o;
    });
  }

  /** An event with scrubbable data in every place Sentry scrubs, and fields that are never scrubbed. */
  @Provide
  Arbitrary<ObjectNode> events() {
    return Combinators.combine(bags(), bags(), bags(), bags(), bags(), leafStrings(), Arbitraries.of(WORDS)).as((extra, data, vars, crumb, ctx, msg, ua) -> {
      ObjectNode e = F.objectNode();
      e.put("event_id", "9ec79c33ec9942ab8353589fcb2e04dc");
      e.put("release", "shop@1.4.2");
      e.put("platform", "java");
      e.put("timestamp", "2026-11-27T03:48:13.749Z");
      e.set("extra", extra);
      ObjectNode req = e.putObject("request");
      req.put("url", "https://shop.example/checkout");
      req.set("data", data);
      req.putObject("headers").put("User-Agent", ua).put("Accept", "*/*");
      ObjectNode frame = e.putObject("exception").putArray("values").addObject().put("type", "IllegalStateException")
          .putObject("stacktrace").putArray("frames").addObject();
      frame.put("function", "charge").put("module", "com.example.Shop").put("lineno", 57);
      frame.set("vars", vars);
      ObjectNode bc = e.putObject("breadcrumbs").putArray("values").addObject();
      bc.put("message", msg).put("category", "http");
      bc.set("data", crumb);
      e.putObject("contexts").set("payment", ctx);
      e.putObject("contexts").putObject("os").put("name", "Linux").put("version", "6.1.0");
      return e;
    });
  }

  static JsonNode scrubbed(PrivacyConfig c, JsonNode in) {
    Scrubber.Scrubbed s = Scrubber.of(c).scrub(Payload.EVENT, in.toString().getBytes(StandardCharsets.UTF_8));
    return Scrub.tree(new String(s.json(), s.offset(), s.length(), StandardCharsets.UTF_8));
  }

  @Property(tries = 400)
  void validJsonOutAndNoSecretsLeft(@ForAll("events") ObjectNode event) {
    String out = scrubbed(DEFAULTS_AND_IP, event).toString();
    for (String secret : SECRETS) assertThat(out).as("secret " + secret).doesNotContain(secret);
    assertNoSensitiveKeyKeepsItsValue(Scrub.tree(out), event);
  }

  @Property(tries = 400)
  void everythingElseIsUnchanged(@ForAll("events") ObjectNode event) {
    JsonNode out = scrubbed(DEFAULTS_AND_IP, event);
    assertSameExceptScrubbed(event, out, "");
    // Fields the scrubber never touches stay as they were.
    assertThat(out.get("event_id")).isEqualTo(event.get("event_id"));
    assertThat(out.get("release")).isEqualTo(event.get("release"));
    assertThat(out.get("timestamp")).isEqualTo(event.get("timestamp"));
    assertThat(out.at("/request/headers/User-Agent")).isEqualTo(event.at("/request/headers/User-Agent"));
    assertThat(out.at("/contexts/os")).isEqualTo(event.at("/contexts/os"));
    assertThat(out.at("/exception/values/0/stacktrace/frames/0/module")).isEqualTo(event.at("/exception/values/0/stacktrace/frames/0/module"));
  }

  @Property(tries = 600)
  void theFastPathNeverSkipsAChange(@ForAll("events") ObjectNode event) {
    for (PrivacyConfig c : List.of(DEFAULTS_AND_IP, Scrub.settings(true, true, false, List.of("order_id"), List.of()),
        Scrub.settings(false, false, true, List.of(), List.of()))) {
      byte[] in = event.toString().getBytes(StandardCharsets.UTF_8);
      Scrubber s = Scrubber.of(c);
      Scrubber.Scrubbed fast = s.scrub(Payload.EVENT, in);
      Scrubber.Scrubbed full = s.scrubFully(Payload.EVENT, in, 0, in.length);
      assertThat(new String(fast.json(), fast.offset(), fast.length(), StandardCharsets.UTF_8))
          .isEqualTo(new String(full.json(), full.offset(), full.length(), StandardCharsets.UTF_8));
    }
  }

  /** Strings made of what the patterns look for (digits, separators, @ . : / -, capitals, words), in keys and values. */
  @Property(tries = 3000)
  void theFastPathNeverSkipsAChangeInAdversarialStrings(@ForAll("tricky") String value, @ForAll("tricky") String key) {
    ObjectNode e = F.objectNode();
    e.putObject("extra").put(key, value).putArray("list").add(value).add(key);
    e.putObject("request").put("query_string", key + "=" + value).put("url", "https://x.example/p?" + key + "=" + value);
    e.putObject("user").put("ip_address", value);
    byte[] in = e.toString().getBytes(StandardCharsets.UTF_8);
    for (PrivacyConfig c : List.of(DEFAULTS_AND_IP, Scrub.settings(true, true, false, List.of("Order_Id"), List.of()),
        Scrub.settings(false, false, true, List.of(), List.of()))) {
      Scrubber s = Scrubber.of(c);
      Scrubber.Scrubbed fast = s.scrub(Payload.EVENT, in);
      Scrubber.Scrubbed full = s.scrubFully(Payload.EVENT, in, 0, in.length);
      assertThat(new String(fast.json(), fast.offset(), fast.length(), StandardCharsets.UTF_8))
          .isEqualTo(new String(full.json(), full.offset(), full.length(), StandardCharsets.UTF_8));
    }
  }

  @Provide
  Arbitrary<String> tricky() {
    Arbitrary<String> piece = Arbitraries.oneOf(
        Arbitraries.strings().withChars("0123456789-. :/@+%ABDEFGIKNORSUabcdefhmpstuxz_\\\"\t\nſKı").ofMaxLength(24),
        Arbitraries.of("4111", "1111", "5555-5555-5555-4444", "078-05-1120", "::", "fe80::1%eth0", "DE89", "3704", "//", "@",
            "user:pw@", "home/", "Users\\", "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----", "Bearer ab",
            "token=", "pass", "word", "ip_address", "ORDER_ID", "%40", "%2e", "jane@example.com", "10.0.0.1", "1.2.3", ".4"));
    return piece.list().ofMaxSize(5).map(l -> String.join("", l));
  }

  @Property(tries = 300)
  void escapedAndPrettyPrintedJsonScrubsTheSame(@ForAll("events") ObjectNode event) throws Exception {
    String pretty = Scrub.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(event);
    String escaped = Scrub.JSON.writer().with(com.fasterxml.jackson.core.json.JsonWriteFeature.ESCAPE_NON_ASCII).writeValueAsString(event);
    JsonNode expected = scrubbed(DEFAULTS_AND_IP, event);
    for (String form : List.of(pretty, escaped)) {
      Scrubber.Scrubbed s = Scrubber.of(DEFAULTS_AND_IP).scrub(Payload.EVENT, form.getBytes(StandardCharsets.UTF_8));
      assertThat(Scrub.tree(new String(s.json(), s.offset(), s.length(), StandardCharsets.UTF_8))).isEqualTo(expected);
    }
  }

  /** Under the places Sentry scrubs, a sensitive key's value is filtered or removed (strings Sentry skips aside). */
  private static void assertNoSensitiveKeyKeepsItsValue(JsonNode out, JsonNode in) {
    for (String bag : List.of("/extra", "/request/data", "/exception/values/0/stacktrace/frames/0/vars", "/breadcrumbs/values/0/data",
        "/contexts/payment")) {
      check(out.at(bag), in.at(bag), bag);
    }
  }

  private static void check(JsonNode out, JsonNode in, String where) {
    if (in == null || in.isMissingNode() || out.isNull()) return;
    if (in.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        JsonNode o = out.get(f.getKey());
        boolean sensitive = SENSITIVE_KEYS.stream().anyMatch(k -> k.equalsIgnoreCase(f.getKey()));
        JsonNode v = f.getValue();
        boolean skipped = v.isBoolean() || v.isNull() || v.isTextual() && List.of("", "true", "false", "null", "undefined").contains(v.asText());
        if (sensitive && !skipped) {
          assertThat(o == null || o.isNull() || o.asText().equals("[Filtered]")).as(where + "." + f.getKey() + " = " + o).isTrue();
        } else if (o != null) {
          check(o, v, where + "." + f.getKey());
        }
      }
    } else if (in.isArray() && out.isArray()) {
      for (int i = 0; i < in.size() && i < out.size(); i++) check(out.get(i), in.get(i), where + "." + i);
    }
  }

  /** Same shape and values, except strings that became a redaction and values that became null. */
  private static void assertSameExceptScrubbed(JsonNode in, JsonNode out, String where) {
    if (out.isNull() && !in.isNull()) return; // removed
    if (in.isObject()) {
      assertThat(out.isObject()).as(where).isTrue();
      List<String> inKeys = new ArrayList<>();
      in.fieldNames().forEachRemaining(inKeys::add);
      List<String> outKeys = new ArrayList<>();
      out.fieldNames().forEachRemaining(outKeys::add);
      assertThat(outKeys).as(where).isEqualTo(inKeys);
      for (String k : inKeys) assertSameExceptScrubbed(in.get(k), out.get(k), where + "." + k);
    } else if (in.isArray()) {
      assertThat(out.size()).as(where).isEqualTo(in.size());
      for (int i = 0; i < in.size(); i++) assertSameExceptScrubbed(in.get(i), out.get(i), where + "." + i);
    } else if (in.isTextual() && !out.equals(in)) {
      assertThat(out.asText()).as(where + ": " + out).matches("(?s).*(\\[Filtered]|\\[ip]|\\[email]|\\[creditcard]|\\[iban]|\\[us-ssn]).*");
    } else {
      assertThat(out).as(where).isEqualTo(in);
    }
  }
}
