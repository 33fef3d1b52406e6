package io.spillway.rules.privacy;

import io.spillway.schemas.config.PrivacyConfig;
import io.spillway.schemas.pii.PiiConfig;
import io.spillway.schemas.pii.PiiRule;
import io.spillway.schemas.pii.Redaction;
import io.spillway.schemas.pii.Selector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Sentry's "Data Scrubber" settings as rules: Relay's conversion of a project's
 * {@code DataScrubbingConfig} into a piiConfig (relay-pii {@code convert.rs}), which is what Sentry
 * runs for {@code scrub_data}, {@code scrub_defaults}, {@code scrub_ip_addresses},
 * {@code sensitive_fields} and {@code safe_fields}, plus three additions of Spillway's (it stores
 * events before Sentry normalises them, and its point is that nothing personal is stored):
 * with {@code scrub_defaults}, e-mail addresses in scrubbable fields become {@code [email]} (Sentry:
 * only in log messages), the {@code Cookie} and {@code Set-Cookie} headers are filtered as a whole
 * (Sentry filters session cookies after splitting the header into {@code request.cookies}), and
 * query strings inside {@code request.url} are scrubbed like {@code request.query_string} (see
 * {@link Walker}); with {@code scrub_ip_addresses}, session attributes' {@code ip_address} goes too.
 */
final class DataScrubbing {
  private DataScrubbing() {}

  /** Fields the data scrubber never touches (Relay: {@code DATASCRUBBER_IGNORE}). */
  static final String IGNORE = "debug_meta.** || $frame.filename || $frame.abs_path || $logentry.formatted || $error.value"
      + " || $http.headers.user-agent";

  /** Fields that hold an IP address whatever they contain (Relay: {@code KNOWN_IP_FIELDS}; sessions' attrs added). */
  static final String KNOWN_IP_FIELDS = "$http.env.REMOTE_ADDR || $user.ip_address || $sdk.client_ip"
      + " || $span.sentry_tags.'user.ip' || attributes.'client.address' || attrs.ip_address";

  /** Fields too important to destroy: only replace-style rules run there (Relay: {@code REPLACE_ONLY_SELECTOR}). */
  static final String REPLACE_ONLY = "$logentry.formatted || $log.body || " + DataScrubbingKeys.REPLACE_ONLY_DATA_KEYS.stream()
      .map(s -> "$span.data.'" + s + "' || attributes.'" + s + "'")
      .collect(Collectors.joining(" || "));

  /** Session and CSRF cookies of common frameworks (Relay: {@code SENSITIVE_COOKIES}). */
  static final List<String> SENSITIVE_COOKIE_NAMES = List.of("sentrysid", "sudo", "su", "session", "__session",
      "sessionid", "user_session", "symfony", "phpsessid", "fasthttpsessionid", "mysession", "irissessionid", "_vercel_jwt",
      "csrf", "xsrf", "_xsrf", "_csrf", "csrf-token", "csrf_token", "xsrf-token", "xsrf_token", "fastcsrf", "_iris_csrf");

  static final String SENSITIVE_COOKIES = "*.'http.request.header.cookie' || " + SENSITIVE_COOKIE_NAMES.stream()
      .map(n -> "*.cookies." + n + " || *.'http.request.header.cookie." + n + "'").collect(Collectors.joining(" || "));

  /** Spillway: whole cookie headers, wherever headers are recorded. */
  static final String COOKIE_HEADERS = "headers.cookie || headers.set-cookie";

  /** The rules for these settings, or null when they ask for nothing. */
  static PiiConfig toPiiConfig(PrivacyConfig c) {
    Map<String, PiiRule> rules = new LinkedHashMap<>();
    List<String> applied = new ArrayList<>();
    List<PiiConfig.Application> apps = new ArrayList<>();
    List<Selector> safe = safeFields(c.safeFields());
    boolean emails = c.scrubData() && c.scrubDefaults();
    if (c.scrubData() && c.scrubDefaults()) {
      applied.add("@common:filter");
      apps.add(new PiiConfig.Application(Selector.parse(SENSITIVE_COOKIES), List.of("@anything:filter")));
      apps.add(new PiiConfig.Application(Selector.parse(REPLACE_ONLY),
          List.of("@email:replace", "@creditcard:replace", "@iban:replace", "@usssn:replace", "@bearer:replace")));
      apps.add(new PiiConfig.Application(and(Selector.parse(COOKIE_HEADERS), safe), List.of("@anything:filter")));
    }
    if (c.scrubIpAddresses()) {
      apps.add(0, new PiiConfig.Application(Selector.parse(KNOWN_IP_FIELDS), List.of("@anything:remove")));
      applied.add("@ip:replace");
    }
    if (c.scrubData()) {
      List<String> fields = c.sensitiveFields().stream().map(String::trim).filter(f -> !f.isEmpty()).toList();
      if (!fields.isEmpty()) {
        String pattern = fields.stream().map(Pattern::quote).collect(Collectors.joining("|"));
        rules.put("strip-fields", PiiRule.redactPair(pattern, true, Redaction.replace(Redaction.DEFAULT_REPLACEMENT)));
        applied.add("strip-fields");
      }
    }
    if (applied.isEmpty() && apps.isEmpty()) return null;
    if (!applied.isEmpty()) {
      List<Selector> conj = new ArrayList<>();
      conj.add(Selector.parse("$string || $number || $array || $object"));
      conj.add(new Selector.Not(Selector.parse(IGNORE)));
      for (Selector s : safe) conj.add(new Selector.Not(s));
      Selector scrubbable = new Selector.And(conj);
      apps.add(0, new PiiConfig.Application(scrubbable, applied));
      // Spillway's e-mail rule runs after Sentry's rules (which order by id), so their results stay Sentry's.
      if (emails) apps.add(1, new PiiConfig.Application(scrubbable, List.of("@email:replace")));
    }
    return new PiiConfig(rules, apps, "");
  }

  /** Safe fields are selectors; one that does not parse is a key (as Relay reads legacy safe fields). */
  static List<Selector> safeFields(List<String> fields) {
    List<Selector> out = new ArrayList<>();
    for (String f : fields) {
      String t = f.trim();
      if (t.isEmpty()) continue;
      try {
        out.add(Selector.parseStrict(t));
      } catch (IllegalArgumentException e) {
        out.add(Selector.key(t));
      }
    }
    return out;
  }

  private static Selector and(Selector s, List<Selector> notThese) {
    if (notThese.isEmpty()) return s;
    List<Selector> conj = new ArrayList<>();
    conj.add(s);
    for (Selector x : notThese) conj.add(new Selector.Not(x));
    return new Selector.And(conj);
  }
}
