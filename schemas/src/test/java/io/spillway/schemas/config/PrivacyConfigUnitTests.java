package io.spillway.schemas.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivacyConfigUnitTests {
  static final String ROUTES = """
      upstreams:
        wow:
          url: "https://wow.example"
          projects:
            a: { id: 1, key: "k1" }
            b: { id: 2, key: "k2", privacy: { scrub_data: false } }
      """;

  @Test
  void absentMeansOff() {
    SpillwayConfig c = SpillwayConfig.parse(ROUTES, Map.of(), "test");
    assertThat(c.privacy()).isNull();
    assertThat(c.upstreams().get("wow").projects().get("a").privacy()).isNull();
  }

  @Test
  void emptySectionMeansSentrysDefaults() {
    SpillwayConfig c = SpillwayConfig.parse("privacy: {}\n" + ROUTES, Map.of(), "test");
    assertThat(c.privacy()).isEqualTo(PrivacyConfig.defaults());
    assertThat(c.privacy().scrubData()).isTrue();
    assertThat(c.privacy().scrubDefaults()).isTrue();
    assertThat(c.privacy().scrubIpAddresses()).isFalse();
    assertThat(c.privacy().attachments()).isEqualTo(PrivacyConfig.Attachments.KEEP);
    PrivacyConfig b = c.upstreams().get("wow").projects().get("b").privacy();
    assertThat(b.scrubData()).isFalse();
    assertThat(b.isOff()).isTrue();
  }

  @Test
  void allKeys(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("pii.json"), "{\"applications\": {\"$string\": [\"@ip:hash\"]}}");
    Path config = dir.resolve("spillway.yml");
    Files.writeString(config, """
        privacy:
          scrub_data: true
          scrub_defaults: false
          scrub_ip_addresses: true
          sensitive_fields: ["ssn", "iban"]
          safe_fields: ["order_id", "$user.email"]
          rules: "pii.json"
          attachments: drop
        """ + ROUTES);
    PrivacyConfig p = SpillwayConfig.load(config).privacy();
    assertThat(p.scrubDefaults()).isFalse();
    assertThat(p.scrubIpAddresses()).isTrue();
    assertThat(p.sensitiveFields()).containsExactly("ssn", "iban");
    assertThat(p.safeFields()).containsExactly("order_id", "$user.email");
    assertThat(p.rulesFile()).isEqualTo(dir.resolve("pii.json"));
    assertThat(p.rules().applications()).hasSize(1);
    assertThat(p.attachments()).isEqualTo(PrivacyConfig.Attachments.DROP);
  }

  @Test
  void badRulesFileNamesKeyFileRuleAndProblem(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("pii.json"), """
        {"rules": {"device": {"type": "pattern", "pattern": "d/[a-f"}, "phone": {"type": "phone"}},
         "applications": {"$frme.vars": ["@ip"]}}""");
    Path config = dir.resolve("spillway.yml");
    Files.writeString(config, """
        privacy: { rules: pii.json, attachments: maybe, scrub_ip: true }
        upstreams:
          wow:
            url: "https://wow.example"
            projects:
              a: { id: 1, key: "k1", privacy: { rules: missing.json } }
        """);
    assertThatThrownBy(() -> SpillwayConfig.load(config)).isInstanceOfSatisfying(ConfigException.class, e -> {
      List<String> p = e.problems();
      assertThat(p).anyMatch(s -> s.startsWith("privacy.rules: pii.json: rule \"device\": invalid pattern: Unclosed character class"));
      assertThat(p).anyMatch(s -> s.startsWith("privacy.rules: pii.json: rule \"phone\": unknown type \"phone\""));
      assertThat(p).contains("privacy.rules: pii.json: applications.\"$frme.vars\": invalid selector: unknown value type $frme");
      assertThat(p).contains("privacy.attachments: expected keep or drop, got \"maybe\"");
      assertThat(p).anyMatch(s -> s.startsWith("privacy.scrub_ip: unknown key"));
      assertThat(p).anyMatch(s -> s.startsWith("upstreams.wow.projects.a.privacy.rules: cannot read " + dir.resolve("missing.json")));
    });
  }

  @Test
  void wrongTypes() {
    assertThatThrownBy(() -> SpillwayConfig.parse("privacy: { scrub_data: maybe, sensitive_fields: {a: 1} }", Map.of(), "t"))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
            "privacy.scrub_data: expected true or false, got \"maybe\"",
            "privacy.sensitive_fields: expected a list"));
    assertThatThrownBy(() -> SpillwayConfig.parse("privacy: true", Map.of(), "t"))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly("privacy: expected a mapping"));
  }
}
