package io.spillway.rules.privacy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spillway.schemas.config.PrivacyConfig;
import io.spillway.schemas.pii.PiiConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Test helpers: privacy settings and rules files from text, and scrubbing JSON text. */
final class Scrub {
  static final ObjectMapper JSON = new ObjectMapper();

  private Scrub() {}

  /** Sentry's settings as the tests of Relay's convert.rs use them ("simple enabled config"). */
  static PrivacyConfig defaultsAndIp() {
    return settings(true, true, true, List.of(), List.of());
  }

  static PrivacyConfig settings(boolean scrubData, boolean defaults, boolean ip, List<String> sensitive, List<String> safe) {
    return new PrivacyConfig(scrubData, defaults, ip, sensitive, safe, null, null, PrivacyConfig.Attachments.KEEP);
  }

  /** Only a rules file (no data scrubber settings). */
  static PrivacyConfig rules(String piiConfigJson) {
    List<String> problems = new ArrayList<>();
    PiiConfig c = PiiConfig.parse(piiConfigJson.getBytes(StandardCharsets.UTF_8), problems);
    if (c == null) throw new AssertionError("bad rules: " + problems);
    return new PrivacyConfig(false, false, false, List.of(), List.of(), null, c, PrivacyConfig.Attachments.KEEP);
  }

  static String scrub(PrivacyConfig c, String json) {
    return scrub(c, Payload.EVENT, json);
  }

  static String scrub(PrivacyConfig c, Payload kind, String json) {
    Scrubber.Scrubbed s = Scrubber.of(c).scrub(kind, json.getBytes(StandardCharsets.UTF_8));
    return new String(s.json(), s.offset(), s.length(), StandardCharsets.UTF_8);
  }

  static JsonNode tree(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The value of {@code extra.value} after applying {@code rule} to every string ({@code $string}). */
  static String stringRule(String rule, String input) {
    ObjectNode event = JSON.createObjectNode();
    event.putObject("extra").put("value", input);
    String out = scrub(rules("{\"applications\": {\"$string\": [\"" + rule + "\"]}}"), event.toString());
    JsonNode v = tree(out).path("extra").path("value");
    return v.isNull() ? null : v.asText();
  }

  /** Same, with a custom rule of the given type and method (Relay's assert_custom_rulespec). */
  static String customRule(String type, String method, String input) {
    ObjectNode event = JSON.createObjectNode();
    event.putObject("extra").put("value", input);
    String rules = "{\"rules\": {\"0\": {\"type\": \"" + type + "\", \"redaction\": {\"method\": \"" + method + "\"}}},"
        + " \"applications\": {\"$string\": [\"0\"]}}";
    JsonNode v = tree(scrub(rules(rules), event.toString())).path("extra").path("value");
    return v.isNull() ? null : v.asText();
  }
}
