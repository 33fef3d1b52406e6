package io.spillway.schemas.pii;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The kinds of rule a piiConfig can define (Relay's {@code RuleType}), by their {@code "type"} name. */
public enum RuleType {
  PATTERN("pattern"),
  IMEI("imei"),
  MAC("mac"),
  UUID("uuid"),
  EMAIL("email"),
  IP("ip"),
  CREDITCARD("creditcard"),
  IBAN("iban"),
  PEMKEY("pemkey"),
  URLAUTH("urlauth"),
  USSSN("usssn"),
  USERPATH("userpath"),
  PASSWORD("password"),
  BEARER("bearer"),
  REDACT_PAIR("redact_pair"),
  ANYTHING("anything"),
  MULTIPLE("multiple"),
  ALIAS("alias");

  private final String wireName;

  RuleType(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }

  /** The type called {@code name}, or null. */
  public static RuleType of(String name) {
    for (RuleType t : values()) if (t.wireName.equals(name)) return t;
    return null;
  }

  static String known() {
    return Arrays.stream(values()).map(RuleType::wireName).collect(Collectors.joining(", "));
  }
}
