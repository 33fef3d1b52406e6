package io.spillway.schemas.pii;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reading Relay piiConfig files: the docs' examples are accepted, and every mistake is named. */
class PiiConfigUnitTests {

  static List<String> problems(String json) {
    List<String> p = new ArrayList<>();
    PiiConfig c = PiiConfig.parse(json.getBytes(StandardCharsets.UTF_8), p);
    assertThat(c == null).isEqualTo(!p.isEmpty());
    return p;
  }

  @Test
  void docsExamples() {
    // develop.sentry.dev "PII Rule Types" / "PII Redaction Methods" and the Relay static-mode docs.
    assertThat(problems("""
        {"rules": {"hash_device_id": {"type": "pattern", "pattern": "d/[a-f0-9]{12}", "redaction": {"method": "hash"}},
                   "hash_imei": {"type": "imei", "redaction": {"method": "hash"}},
                   "hash_mac": {"type": "mac", "redaction": {"method": "hash"}},
                   "remove_bad_headers": {"type": "redact_pair", "keyPattern": "(?i)cookie|secret[-_]?key"},
                   "ip_and_card": {"type": "multiple", "rules": ["@ip", "@creditcard"], "hideInner": true},
                   "my_ip": {"type": "alias", "rule": "@ip:hash"},
                   "replace_foo": {"type": "pattern", "pattern": "foo", "redaction": {"method": "replace", "text": "asd"}},
                   "groups": {"type": "pattern", "pattern": "(a)(b)", "replaceGroups": [2]},
                   "anything": {"type": "anything", "redaction": {"method": "remove"}},
                   "ssn": {"type": "usssn", "redaction": {"method": "mask"}}},
         "applications": {"$string": ["@ip:replace", "hash_device_id"], "freeform": ["hash_imei"], "$object.**": ["remove_bad_headers"],
                          "$frame.vars.password": ["@anything:remove"], "extra.*": ["my_ip"], "**": ["@common"]},
         "vars": {"hashKey": "k"}}""")).isEmpty();
    assertThat(problems("{}")).isEmpty();
    assertThat(problems("{\"applications\": {\"$string\": [\"@ip\"]}}")).isEmpty();
  }

  @Test
  void everyProblemNamesTheRuleOrApplication() {
    List<String> p = problems("""
        {"rules": {"bad_regex": {"type": "pattern", "pattern": "("},
                   "bad_type": {"type": "phone"},
                   "no_type": {"pattern": "x"},
                   "bad_key": {"type": "ip", "patern": "x"},
                   "bad_method": {"type": "ip", "redaction": {"method": "encrypt"}},
                   "bad_groups": {"type": "pattern", "pattern": "(a)", "replaceGroups": [3]},
                   "@mine": {"type": "ip"},
                   "loop": {"type": "alias", "rule": "loop"},
                   "dangling": {"type": "multiple", "rules": ["nope"]},
                   "bad_key_pattern": {"type": "redact_pair", "keyPattern": "[a-"}},
         "applications": {"$frme.vars": ["@ip"], "$string": ["missing_rule"], "extra": "@ip"},
         "vars": {"hashkey": "x"},
         "aplications": {}}""");
    assertThat(p).anyMatch(s -> s.startsWith("rule \"bad_regex\": invalid pattern: Unclosed group"));
    assertThat(p).anyMatch(s -> s.startsWith("rule \"bad_type\": unknown type \"phone\""));
    assertThat(p).anyMatch(s -> s.startsWith("rule \"no_type\": \"type\" is required"));
    assertThat(p).contains("rule \"bad_key\": unknown key \"patern\" for type ip");
    assertThat(p).anyMatch(s -> s.startsWith("rule \"bad_method\": redaction: unknown method \"encrypt\""));
    assertThat(p).contains("rule \"bad_groups\": replaceGroups names group 3 but the pattern has 1");
    assertThat(p).contains("rule \"@mine\": ids starting with @ are reserved for built-in rules");
    assertThat(p).anyMatch(s -> s.startsWith("rule \"loop\": refers to itself"));
    assertThat(p).contains("rule \"dangling\": refers to unknown rule \"nope\"");
    assertThat(p).anyMatch(s -> s.startsWith("rule \"bad_key_pattern\": invalid keyPattern"));
    assertThat(p).contains("applications.\"$frme.vars\": invalid selector: unknown value type $frme");
    assertThat(p).contains("applications.\"$string\": unknown rule \"missing_rule\"");
    assertThat(p).contains("applications.\"extra\": expected a list of rule ids");
    assertThat(p).contains("vars: unknown key \"hashkey\"");
    assertThat(p).contains("unknown key \"aplications\"");
  }

  @Test
  void notJson() {
    assertThat(problems("{\"rules\": {")).singleElement().asString().startsWith("not valid JSON at line 1");
    assertThat(problems("[]")).containsExactly("expected a JSON object with \"rules\" and \"applications\"");
    assertThat(problems("{\"piiConfig\": {}}")).singleElement().asString().contains("give the piiConfig object itself");
  }

  @Test
  void rustRegexDialect() {
    assertThat(RustRegex.compile("(?P<user>[[:alpha:]]+)@", false).matcher("jane@x").find()).isTrue();
    assertThat(RustRegex.compile("[[:^digit:]]+", false).matcher("123").matches()).isFalse();
  }
}
