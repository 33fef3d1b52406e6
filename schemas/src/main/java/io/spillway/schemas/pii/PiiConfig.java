package io.spillway.schemas.pii;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A Relay {@code piiConfig} ("Advanced Data Scrubbing" rules): custom {@code rules} by id, the
 * {@code applications} that say which rules run where (selector → rule ids, built-ins like
 * {@code @ip:replace} included), and {@code vars.hashKey} for the {@code hash} method.
 *
 * <pre>
 * {"rules": {"device_id": {"type": "pattern", "pattern": "d/[a-f0-9]{12}", "redaction": {"method": "hash"}}},
 *  "applications": {"$string": ["@ip:replace", "device_id"], "$frame.vars.password": ["@anything:remove"]},
 *  "vars": {"hashKey": "…"}}
 * </pre>
 *
 * {@link #parse} checks all of it — JSON, rule types and their fields, regular expressions,
 * selectors, references between rules — and reports every problem naming the rule or
 * application; nothing unknown is ignored.
 *
 * @param rules        custom rules by id, in file order
 * @param applications selector → rule ids, in file order
 * @param hashKey      HMAC key of the {@code hash} method ({@code ""} when not set)
 */
public record PiiConfig(Map<String, PiiRule> rules, List<Application> applications, String hashKey) {

  /** Rules applied where {@code selector} matches. */
  public record Application(Selector selector, List<String> ruleIds) {
    public Application {
      ruleIds = List.copyOf(ruleIds);
    }
  }

  public PiiConfig {
    rules = Collections.unmodifiableMap(new LinkedHashMap<>(rules));
    applications = List.copyOf(applications);
    if (hashKey == null) hashKey = "";
  }

  /** The rule with this id: a custom one, else a built-in; null if neither. */
  public PiiRule rule(String id) {
    PiiRule r = rules.get(id);
    return r != null ? r : BuiltinRules.get(id);
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Reads a piiConfig file's bytes; returns null and adds to {@code problems} if anything is wrong. */
  public static PiiConfig parse(byte[] json, List<String> problems) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      problems.add("not valid JSON" + where + ": " + e.getOriginalMessage());
      return null;
    } catch (IOException e) {
      problems.add("cannot read: " + e.getMessage());
      return null;
    }
    if (root == null || !root.isObject()) {
      problems.add("expected a JSON object with \"rules\" and \"applications\"");
      return null;
    }
    int before = problems.size();
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!k.equals("rules") && !k.equals("applications") && !k.equals("vars")) {
        String hint = k.equals("piiConfig") || k.equals("config") ? " (give the piiConfig object itself, not the project config around it)" : "";
        problems.add("unknown key \"" + k + "\"" + hint);
      }
    }
    Map<String, PiiRule> rules = new LinkedHashMap<>();
    JsonNode rulesNode = root.get("rules");
    if (rulesNode != null && !rulesNode.isNull()) {
      if (!rulesNode.isObject()) {
        problems.add("rules: expected an object of rule id → rule");
      } else {
        for (Iterator<Map.Entry<String, JsonNode>> it = rulesNode.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          PiiRule r = readRule(e.getKey(), e.getValue(), problems);
          if (r != null) rules.put(e.getKey(), r);
        }
      }
    }
    String hashKey = "";
    JsonNode vars = root.get("vars");
    if (vars != null && !vars.isNull()) {
      if (!vars.isObject()) {
        problems.add("vars: expected an object");
      } else {
        for (Iterator<Map.Entry<String, JsonNode>> it = vars.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          if (!e.getKey().equals("hashKey")) problems.add("vars: unknown key \"" + e.getKey() + "\"");
          else if (!e.getValue().isTextual() && !e.getValue().isNull()) problems.add("vars.hashKey: expected a string");
          else if (e.getValue().isTextual()) hashKey = e.getValue().asText();
        }
      }
    }
    PiiConfig partial = new PiiConfig(rules, List.of(), hashKey);
    for (String id : rules.keySet()) checkReferences(partial, id, problems);
    List<Application> apps = new ArrayList<>();
    JsonNode appsNode = root.get("applications");
    if (appsNode != null && !appsNode.isNull()) {
      if (!appsNode.isObject()) {
        problems.add("applications: expected an object of selector → [rule ids]");
      } else {
        for (Iterator<Map.Entry<String, JsonNode>> it = appsNode.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          String where = "applications.\"" + e.getKey() + "\"";
          Selector sel = null;
          try {
            sel = Selector.parse(e.getKey());
          } catch (IllegalArgumentException ex) {
            problems.add(where + ": invalid selector: " + ex.getMessage());
          }
          List<String> ids = new ArrayList<>();
          if (!e.getValue().isArray()) {
            problems.add(where + ": expected a list of rule ids");
          } else {
            for (JsonNode id : e.getValue()) {
              if (!id.isTextual()) {
                problems.add(where + ": rule ids are strings, got " + id);
              } else if (partial.rule(id.asText()) == null) {
                problems.add(where + ": unknown rule \"" + id.asText() + "\"");
              } else {
                ids.add(id.asText());
              }
            }
          }
          if (sel != null) apps.add(new Application(sel, ids));
        }
      }
    }
    if (problems.size() > before) return null;
    return new PiiConfig(rules, apps, hashKey);
  }

  private static PiiRule readRule(String id, JsonNode n, List<String> problems) {
    String where = "rule \"" + id + "\"";
    if (id.startsWith("@")) {
      problems.add(where + ": ids starting with @ are reserved for built-in rules");
      return null;
    }
    if (!n.isObject()) {
      problems.add(where + ": expected an object with a \"type\"");
      return null;
    }
    JsonNode t = n.get("type");
    if (t == null || !t.isTextual()) {
      problems.add(where + ": \"type\" is required (one of " + RuleType.known() + ")");
      return null;
    }
    RuleType type = RuleType.of(t.asText());
    if (type == null) {
      problems.add(where + ": unknown type \"" + t.asText() + "\" (known: " + RuleType.known() + ")");
      return null;
    }
    Set<String> allowed = new HashSet<>(List.of("type", "redaction"));
    int before = problems.size();
    Redaction redaction = readRedaction(where, n.get("redaction"), problems);
    PiiRule rule = null;
    switch (type) {
      case PATTERN -> {
        allowed.addAll(List.of("pattern", "replaceGroups"));
        String pattern = requiredString(where, n, "pattern", problems);
        List<Integer> groups = null;
        JsonNode g = n.get("replaceGroups");
        if (g != null && !g.isNull()) {
          groups = new ArrayList<>();
          if (!g.isArray()) problems.add(where + ": replaceGroups: expected a list of group numbers");
          else for (JsonNode x : g) {
            if (!x.canConvertToInt() || !x.isIntegralNumber() || x.asInt() < 0 || x.asInt() > 255) {
              problems.add(where + ": replaceGroups: " + x + " is not a group number (0-255)");
            } else {
              groups.add(x.asInt());
            }
          }
        }
        if (pattern != null) {
          Pattern p = compile(where + ": invalid pattern", pattern, false, problems);
          if (p != null && groups != null) {
            int count = p.matcher("").groupCount();
            for (int gi : groups) {
              if (gi > count) problems.add(where + ": replaceGroups names group " + gi + " but the pattern has " + count);
            }
          }
        }
        rule = PiiRule.pattern(pattern, groups, redaction);
      }
      case REDACT_PAIR -> {
        allowed.add("keyPattern");
        String kp = requiredString(where, n, "keyPattern", problems);
        if (kp != null) compile(where + ": invalid keyPattern", kp, false, problems);
        rule = PiiRule.redactPair(kp, false, redaction);
      }
      case MULTIPLE -> {
        allowed.addAll(List.of("rules", "hideInner"));
        List<String> inner = new ArrayList<>();
        JsonNode rs = n.get("rules");
        if (rs == null || !rs.isArray()) problems.add(where + ": \"rules\" is required: a list of rule ids");
        else for (JsonNode x : rs) {
          if (x.isTextual()) inner.add(x.asText());
          else problems.add(where + ": rules: rule ids are strings, got " + x);
        }
        rule = PiiRule.multiple(inner, bool(where, n, "hideInner", problems));
      }
      case ALIAS -> {
        allowed.addAll(List.of("rule", "hideInner"));
        String target = requiredString(where, n, "rule", problems);
        rule = PiiRule.alias(target, bool(where, n, "hideInner", problems));
      }
      default -> rule = PiiRule.of(type, redaction);
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!allowed.contains(k)) problems.add(where + ": unknown key \"" + k + "\" for type " + type.wireName());
    }
    return problems.size() > before ? null : rule;
  }

  private static Redaction readRedaction(String where, JsonNode n, List<String> problems) {
    if (n == null || n.isNull()) return Redaction.DEFAULT;
    if (!n.isObject() || n.get("method") == null || !n.get("method").isTextual()) {
      problems.add(where + ": redaction: expected {\"method\": \"replace\" | \"mask\" | \"hash\" | \"remove\"}");
      return Redaction.DEFAULT;
    }
    String method = n.get("method").asText();
    Set<String> allowed = new HashSet<>(List.of("method"));
    Redaction r;
    switch (method) {
      case "remove" -> r = Redaction.REMOVE;
      case "mask" -> r = Redaction.MASK;
      case "hash" -> r = Redaction.HASH;
      case "replace" -> {
        allowed.add("text");
        JsonNode text = n.get("text");
        if (text != null && !text.isTextual()) problems.add(where + ": redaction.text: expected a string");
        r = Redaction.replace(text != null && text.isTextual() ? text.asText() : Redaction.DEFAULT_REPLACEMENT);
      }
      default -> {
        problems.add(where + ": redaction: unknown method \"" + method + "\" (replace, mask, hash or remove)");
        return Redaction.DEFAULT;
      }
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!allowed.contains(k)) problems.add(where + ": redaction: unknown key \"" + k + "\" for method " + method);
    }
    return r;
  }

  private static String requiredString(String where, JsonNode n, String key, List<String> problems) {
    JsonNode v = n.get(key);
    if (v == null || !v.isTextual() || v.asText().isEmpty()) {
      problems.add(where + ": \"" + key + "\" is required (a non-empty string)");
      return null;
    }
    return v.asText();
  }

  private static boolean bool(String where, JsonNode n, String key, List<String> problems) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) return false;
    if (!v.isBoolean()) problems.add(where + ": " + key + ": expected true or false");
    return v.asBoolean();
  }

  private static Pattern compile(String what, String pattern, boolean ci, List<String> problems) {
    try {
      return RustRegex.compile(pattern, ci);
    } catch (PatternSyntaxException e) {
      problems.add(what + ": " + RustRegex.describe(e));
      return null;
    }
  }

  /** Multiple/alias rules must name existing rules, without cycles. */
  private static void checkReferences(PiiConfig c, String id, List<String> problems) {
    PiiRule r = c.rules().get(id);
    if (r.type() != RuleType.MULTIPLE && r.type() != RuleType.ALIAS) return;
    for (String inner : r.rules()) {
      if (c.rule(inner) == null) problems.add("rule \"" + id + "\": refers to unknown rule \"" + inner + "\"");
    }
    if (reaches(c, id, id, new HashSet<>())) problems.add("rule \"" + id + "\": refers to itself (through alias or multiple rules)");
  }

  private static boolean reaches(PiiConfig c, String from, String target, Set<String> seen) {
    PiiRule r = c.rule(from);
    if (r == null || !seen.add(from)) return false;
    for (String inner : r.rules()) {
      if (inner.equals(target) || reaches(c, inner, target, seen)) return true;
    }
    return false;
  }

  /** An empty config (no rules, no applications). */
  public static PiiConfig empty() {
    return new PiiConfig(Map.of(), List.of(), "");
  }
}
