package io.spillway.schemas.pii;

import java.util.List;

/**
 * One rule of a piiConfig (or a built-in one).
 *
 * @param type          what it matches
 * @param redaction     what it does with a match
 * @param pattern       {@code pattern}: the regular expression (Relay's dialect, see {@link RustRegex})
 * @param replaceGroups {@code pattern}: the groups to redact; null = the whole match
 * @param keyPattern    {@code redact_pair}: the key regular expression
 * @param rules         {@code multiple}: the rules it applies; {@code alias}: the one rule it stands for
 * @param hideInner     {@code multiple}/{@code alias}: count and report under this rule's id, not the inner ones
 * @param caseInsensitive {@code redact_pair}: match keys ignoring case (the conversion of Sentry's sensitive fields)
 */
public record PiiRule(RuleType type, Redaction redaction, String pattern, List<Integer> replaceGroups, String keyPattern,
    List<String> rules, boolean hideInner, boolean caseInsensitive) {

  public PiiRule {
    if (type == null) throw new NullPointerException("type == null");
    if (redaction == null) redaction = Redaction.DEFAULT;
    replaceGroups = replaceGroups == null ? null : List.copyOf(replaceGroups);
    rules = rules == null ? List.of() : List.copyOf(rules);
  }

  /** A rule of a type that needs no parameters. */
  public static PiiRule of(RuleType type, Redaction redaction) {
    return new PiiRule(type, redaction, null, null, null, null, false, false);
  }

  public static PiiRule pattern(String pattern, List<Integer> replaceGroups, Redaction redaction) {
    return new PiiRule(RuleType.PATTERN, redaction, pattern, replaceGroups, null, null, false, false);
  }

  public static PiiRule redactPair(String keyPattern, boolean caseInsensitive, Redaction redaction) {
    return new PiiRule(RuleType.REDACT_PAIR, redaction, null, null, keyPattern, null, false, caseInsensitive);
  }

  public static PiiRule multiple(List<String> rules, boolean hideInner) {
    return new PiiRule(RuleType.MULTIPLE, Redaction.DEFAULT, null, null, null, rules, hideInner, false);
  }

  public static PiiRule alias(String rule, boolean hideInner) {
    return new PiiRule(RuleType.ALIAS, Redaction.DEFAULT, null, null, null, List.of(rule), hideInner, false);
  }
}
