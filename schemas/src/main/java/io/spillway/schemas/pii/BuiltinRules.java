package io.spillway.schemas.pii;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Relay's built-in rules ({@code @type:method}), addressable from any piiConfig: for every rule
 * type {@code @type:replace}, {@code :mask}, {@code :hash}, {@code :remove} and {@code :filter}
 * (replace with {@code [Filtered]}); {@code @type} alone is Relay's default method for the type;
 * {@code @common} and {@code @common:filter} bundle the usual ones; {@code @urlauth:legacy} is
 * Sentry's old URL-password pattern. Differences from Relay: {@code @imei:mask} masks (Relay
 * hashes), {@code @userpath:filter} and {@code @bearer:*} exist (Relay's {@code @common:filter}
 * names a {@code @userpath:filter} it never defines).
 */
public final class BuiltinRules {
  private BuiltinRules() {}

  /** Rule types that have built-ins, with their {@code replace} text and the method {@code @type} means. */
  private record Family(RuleType type, String replaceText, String defaultMethod) {}

  private static final List<Family> FAMILIES = List.of(
      new Family(RuleType.IP, "[ip]", "replace"),
      new Family(RuleType.IMEI, "[imei]", "replace"),
      new Family(RuleType.MAC, "[mac]", "mask"),
      new Family(RuleType.UUID, "[uuid]", "mask"),
      new Family(RuleType.EMAIL, "[email]", "replace"),
      new Family(RuleType.IBAN, "[iban]", "replace"),
      new Family(RuleType.CREDITCARD, "[creditcard]", "replace"),
      new Family(RuleType.PEMKEY, "[pemkey]", "replace"),
      new Family(RuleType.URLAUTH, "[auth]", "replace"),
      new Family(RuleType.USSSN, "[us-ssn]", "mask"),
      new Family(RuleType.USERPATH, "[user]", "replace"),
      new Family(RuleType.PASSWORD, "[password]", "remove"),
      new Family(RuleType.BEARER, Redaction.DEFAULT_REPLACEMENT, "replace"),
      new Family(RuleType.ANYTHING, Redaction.DEFAULT_REPLACEMENT, "replace"));

  /** Sentry's old {@code URL_PASSWORD_RE}: the password between {@code scheme://user:} and {@code @}. */
  static final String URL_PASSWORD_LEGACY = "\\b((?:[a-z0-9]+:)?//[a-zA-Z0-9%_.-]+:)([a-zA-Z0-9%_.-]+)@";

  private static final Map<String, PiiRule> RULES = build();

  private static Map<String, PiiRule> build() {
    Map<String, PiiRule> m = new LinkedHashMap<>();
    m.put("@common", PiiRule.multiple(List.of("@iban", "@ip", "@email", "@creditcard", "@pemkey", "@urlauth",
        "@userpath", "@password", "@usssn"), false));
    m.put("@common:filter", PiiRule.multiple(List.of("@creditcard:filter", "@iban:filter", "@pemkey:filter",
        "@urlauth:legacy", "@userpath:filter", "@password:filter", "@usssn:filter"), false));
    for (Family f : FAMILIES) {
      String base = "@" + f.type().wireName();
      m.put(base, PiiRule.alias(base + ":" + f.defaultMethod(), true));
      m.put(base + ":replace", PiiRule.of(f.type(), Redaction.replace(f.replaceText())));
      m.put(base + ":filter", PiiRule.of(f.type(), Redaction.replace(Redaction.DEFAULT_REPLACEMENT)));
      m.put(base + ":mask", PiiRule.of(f.type(), Redaction.MASK));
      m.put(base + ":hash", PiiRule.of(f.type(), Redaction.HASH));
      m.put(base + ":remove", PiiRule.of(f.type(), Redaction.REMOVE));
    }
    m.put("@urlauth:legacy", PiiRule.pattern(URL_PASSWORD_LEGACY, List.of(2), Redaction.replace(Redaction.DEFAULT_REPLACEMENT)));
    return Collections.unmodifiableMap(m);
  }

  /** The built-in rule with this id, or null. */
  public static PiiRule get(String id) {
    return RULES.get(id);
  }

  /** Every built-in id. */
  public static Iterable<String> ids() {
    return RULES.keySet();
  }
}
