package io.spillway.rules.privacy;

import io.spillway.schemas.pii.PiiRule;
import io.spillway.schemas.pii.Redaction;
import io.spillway.schemas.pii.RuleType;
import io.spillway.schemas.pii.RustRegex;
import java.util.List;
import io.spillway.rules.privacy.TextFeatures.Need;
import java.util.regex.Pattern;

/**
 * A rule ready to run: its type's matchers (Relay's pattern types: on the value, on the key, or on
 * the key and else the value), its redaction, and the id it is reported under.
 *
 * @param id     the rule's own id (order and de-duplication within an application, as Relay)
 * @param origin the id counted in {@code spillway_scrubbed_total{rule}} (an alias that hides its inner rule reports itself)
 */
record CompiledRule(String id, String origin, RuleType type, Redaction redaction, List<Step> steps, Hmac hmac) {

  /** Where a step looks: the value, the key (the whole value goes), or the key and otherwise the value. */
  enum On { VALUE, KEY, KEY_VALUE }

  /**
   * One regex of a rule. {@code groups}: what to redact in a value match (null = the whole match;
   * for KEY/KEY_VALUE value matches, the whole value goes). {@code builtin}: one of the fast
   * keyword matchers rather than {@code pattern}.
   */
  record Step(On on, Pattern pattern, int[] groups, boolean luhn, Builtin builtin, boolean guarded, TextFeatures.Need need) {}

  /** The password and token key checks, done without a regex for ASCII text. */
  enum Builtin { NONE, PASSWORD, TOKEN }

  /** Built-in rules ({@code @…}) run trusted patterns; the patterns of a config's own rules run guarded. */
  static CompiledRule of(String id, String origin, PiiRule rule, Hmac hmac) {
    return new CompiledRule(id, origin, rule.type(), rule.redaction(), steps(rule, !id.startsWith("@")), hmac);
  }

  private static List<Step> steps(PiiRule r, boolean guarded) {
    return switch (r.type()) {
      case ANYTHING, MULTIPLE, ALIAS -> List.of();
      case PASSWORD -> List.of(
          value(Patterns.BEARER, null, Need.BEARER),
          new Step(On.KEY, Patterns.TOKEN_KEY, null, false, Builtin.TOKEN, false, Need.NONE),
          new Step(On.KEY_VALUE, Patterns.PASSWORD, null, false, Builtin.PASSWORD, false, Need.NONE));
      case REDACT_PAIR -> List.of(new Step(On.KEY_VALUE, RustRegex.compile(r.keyPattern(), r.caseInsensitive()), null,
          false, Builtin.NONE, guarded, Need.NONE));
      case PATTERN -> List.of(new Step(On.VALUE, RustRegex.compile(r.pattern(), false),
          r.replaceGroups() == null ? null : r.replaceGroups().stream().mapToInt(Integer::intValue).sorted().distinct().toArray(),
          false, Builtin.NONE, guarded, urlAuthLegacy(r) ? Need.URL_AUTH : Need.NONE));
      case IP -> List.of(value(Patterns.IPV4, null, Need.IPV4), value(Patterns.IPV6, new int[] {1}, Need.IPV6));
      case IMEI -> List.of(value(Patterns.IMEI, null, Need.IMEI));
      case MAC -> List.of(value(Patterns.MAC, null, Need.MAC));
      case UUID -> List.of(value(Patterns.UUID, null, Need.UUID));
      case EMAIL -> List.of(value(Patterns.EMAIL, null, Need.EMAIL));
      case IBAN -> List.of(value(Patterns.IBAN, null, Need.IBAN));
      case CREDITCARD -> List.of(new Step(On.VALUE, Patterns.CREDITCARD, null, true, Builtin.NONE, false, Need.CARD));
      case PEMKEY -> List.of(value(Patterns.PEMKEY, new int[] {1}, Need.PEM));
      case URLAUTH -> List.of(value(Patterns.URLAUTH, new int[] {1}, Need.URL_AUTH));
      case USSSN -> List.of(value(Patterns.USSSN, null, Need.SSN));
      case USERPATH -> List.of(value(Patterns.USERPATH, new int[] {1}, Need.USER_PATH));
      case BEARER -> List.of(value(Patterns.BEARER, null, Need.BEARER));
    };
  }

  /** Sentry's URL-password pattern (a built-in) needs {@code //} and {@code @} like {@code urlauth}. */
  private static boolean urlAuthLegacy(PiiRule r) {
    return r.pattern().equals(io.spillway.schemas.pii.BuiltinRules.get("@urlauth:legacy").pattern());
  }

  private static Step value(Pattern p, int[] groups, Need need) {
    return new Step(On.VALUE, p, groups, false, Builtin.NONE, false, need);
  }

  String replacement(String text) {
    return Redactable.replacement(redaction, text, hmac);
  }

  /** Whether the redaction rewrites text (replace, mask, hash) rather than removing the value. */
  boolean rewrites() {
    return !redaction.removes();
  }

  /** Whether this rule can act on a value that is not a string (remove it): anything-rules and key-based ones. */
  boolean actsOnNonStrings() {
    if (type == RuleType.ANYTHING) return true;
    for (Step s : steps) if (s.on() != On.VALUE) return true;
    return false;
  }

  /** Whether {@code key} matches a key step (the whole value goes). */
  boolean keyMatches(String key) {
    if (key == null) key = "";
    for (Step s : steps) {
      if (s.on() == On.VALUE) continue;
      if (keyStepMatches(s, key)) return true;
    }
    return false;
  }

  static boolean keyStepMatches(Step s, String text) {
    return switch (s.builtin()) {
      case PASSWORD -> SensitiveWords.passwordWord(text);
      case TOKEN -> SensitiveWords.tokenWord(text);
      case NONE -> s.pattern().matcher(s.guarded() ? new Redactable.GuardedText(text) : text).find();
    };
  }
}
