package io.spillway.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.spillway.schemas.Route;
import io.spillway.schemas.config.SpillwayConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpillwayCliUnitTests {
  static final String CONFIG = """
      edge: { listen: "0.0.0.0:9000", public_url: "https://spillway.internal" }
      upstreams:
        wow:
          url: "https://wow.sentry.example.com"
          projects:
            vod_be: { alias: vodbe, id: 20, key: realkey0123, secret: realsecret0123 }
            api:    { id: 21, key: realkey4567 }
      """;

  @TempDir Path dir;

  @Test
  void dsnUsesTheAliasOrTheLegacyFormAndNeverTheRealKey() {
    SpillwayConfig c = SpillwayConfig.parse(CONFIG, Map.of(), "t");
    assertThat(Dsn.forRoute(c, Route.parse("wow/vod_be"))).isEqualTo("https://vodbe@spillway.internal/20");
    assertThat(Dsn.forRoute(c, Route.parse("wow/api"))).isEqualTo("https://wow:api@spillway.internal/21");
  }

  @Test
  void dsnFromListenAddressWhenNoPublicUrl() {
    SpillwayConfig c = SpillwayConfig.parse(CONFIG.replace(", public_url: \"https://spillway.internal\"", ""), Map.of(), "t");
    assertThat(Dsn.forRoute(c, Route.parse("wow/vod_be"))).isEqualTo("http://vodbe@127.0.0.1:9000/20");
  }

  @Test
  void checkConfigPrintsRoutesWithoutSecrets() throws Exception {
    Path file = dir.resolve("spillway.yml");
    Files.writeString(file, CONFIG);
    Captured r = capture("check-config", "--config", file.toString());
    assertThat(r.code).isZero();
    assertThat(r.out).contains("route   wow/vod_be -> project 20, alias vodbe").doesNotContain("realkey").doesNotContain("realsecret");
  }

  @Test
  void checkConfigFailsWithEveryProblemNamed() throws Exception {
    Path file = dir.resolve("bad.yml");
    Files.writeString(file, "redis: { shards: 0 }\nkafka: { topik: x }\n");
    Captured r = capture("check-config", "--config", file.toString());
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err).contains("redis.shards: must be between 1 and 1024, got 0").contains("kafka.topik: unknown key (did you mean topic?)");
  }

  @Test
  void checkConfigShowsEachRoutesDataScrubbing() throws Exception {
    Files.writeString(dir.resolve("pii.json"), "{\"rules\": {\"device\": {\"type\": \"pattern\", \"pattern\": \"d/[a-f0-9]+\","
        + " \"redaction\": {\"method\": \"hash\"}}}, \"applications\": {\"$string\": [\"device\"]}}");
    Path file = dir.resolve("spillway.yml");
    Files.writeString(file, "privacy: { scrub_ip_addresses: true, safe_fields: [order_id], rules: pii.json }\n"
        + CONFIG.replace("api:    { id: 21, key: realkey4567 }", "api:    { id: 21, key: realkey4567, privacy: { scrub_data: false } }"));
    Captured r = capture("check-config", "--config", file.toString());
    assertThat(r.code).as(r.err).isZero();
    assertThat(r.out).contains("route   wow/vod_be -> project 20, alias vodbe\n      privacy data scrubber with Sentry's defaults,"
        + " IP addresses removed, 1 safe fields, rules " + dir.resolve("pii.json") + " (1 rules, 1 applications), attachments keep");
    assertThat(r.out).contains("route   wow/api -> project 21\n").doesNotContain("route   wow/api -> project 21\n      privacy");
  }

  @Test
  void checkConfigNamesTheRulesFileTheRuleAndTheProblem() throws Exception {
    Files.writeString(dir.resolve("pii.json"), """
        {"rules": {"device": {"type": "pattern", "pattern": "d/[a-f"}, "phone": {"type": "phone"}},
         "applications": {"$frme.vars": ["@ip"], "$string": ["nosuchrule"]}}""");
    Path file = dir.resolve("bad.yml");
    Files.writeString(file, "privacy: { rules: pii.json }\n" + CONFIG);
    Captured r = capture("check-config", "--config", file.toString());
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err)
        .contains("privacy.rules: pii.json: rule \"device\": invalid pattern: Unclosed character class")
        .contains("privacy.rules: pii.json: rule \"phone\": unknown type \"phone\"")
        .contains("privacy.rules: pii.json: applications.\"$frme.vars\": invalid selector: unknown value type $frme")
        .contains("unknown rule \"nosuchrule\"");
    Files.writeString(dir.resolve("pii.json"), "{\"rules\": {");
    r = capture("check-config", "--config", file.toString());
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err).contains("privacy.rules: pii.json: not valid JSON");
  }

  @Test
  void checkConfigReportsUnusableTlsFilesByKeyAndNeverTheProxyPassword() throws Exception {
    Path file = dir.resolve("tls.yml");
    Files.writeString(file, """
        upstreams:
          wow:
            url: "https://wow.example"
            proxy: "http://svc:hunter2@proxy.dc1:3128"
            tls: { ca_file: "missing-ca.pem", client_cert_file: "spillway.yml", client_key_file: "spillway.yml" }
            projects: { p: { id: 1, key: k } }
        """);
    Files.writeString(dir.resolve("spillway.yml"), CONFIG);
    Captured r = capture("check-config", "--config", file.toString());
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err).contains("upstreams.wow.tls.ca_file: no such file: " + dir.resolve("missing-ca.pem"))
        .contains("upstreams.wow.tls.client_cert_file: no certificate in " + dir.resolve("spillway.yml"))
        .contains("upstreams.wow.tls.client_key_file: no private key in " + dir.resolve("spillway.yml"))
        .doesNotContain("hunter2");

    Files.writeString(file, """
        upstreams:
          wow:
            url: "https://wow.example"
            proxy: "http://svc:hunter2@proxy.dc1:3128"
            projects: { p: { id: 1, key: k } }
        """);
    r = capture("check-config", "--config", file.toString());
    assertThat(r.code).isZero();
    assertThat(r.out).contains("proxy http://***@proxy.dc1:3128").doesNotContain("hunter2").doesNotContain("svc:");
  }

  @Test
  void dsnCommandForAllRoutes() throws Exception {
    Path file = dir.resolve("spillway.yml");
    Files.writeString(file, CONFIG);
    Captured r = capture("dsn", "--config", file.toString());
    assertThat(r.code).isZero();
    assertThat(r.out).contains("wow/vod_be").contains("https://vodbe@spillway.internal/20").contains("https://wow:api@spillway.internal/21");
  }

  /** Every command and sub-command, as its words on the command line ({@code [dlq, list]}). */
  static java.util.List<java.util.List<String>> commands() {
    java.util.List<java.util.List<String>> out = new java.util.ArrayList<>();
    collect(new picocli.CommandLine(new Spillway()), new java.util.ArrayList<>(), out);
    return out;
  }

  private static void collect(picocli.CommandLine cl, java.util.List<String> path, java.util.List<java.util.List<String>> out) {
    out.add(java.util.List.copyOf(path));
    cl.getSubcommands().forEach((name, sub) -> {
      java.util.List<String> p = new java.util.ArrayList<>(path);
      p.add(name);
      collect(sub, p, out);
    });
  }

  @Test
  void helpWorksOnEveryCommandAndSubCommandBeforeAnyCheck() {
    var all = commands();
    assertThat(all).contains(java.util.List.of("dlq", "list"), java.util.List.of("dlq", "stats"), java.util.List.of("replay"));
    for (var path : all) {
      for (String flag : new String[] {"--help", "-h"}) {
        java.util.List<String> args = new java.util.ArrayList<>(path);
        args.add(flag);
        Captured r = capture(args.toArray(String[]::new));
        assertThat(r.code).as("%s", args).isZero();
        assertThat(r.out).as("%s", args).startsWith("Usage: " + String.join(" ", java.util.List.of("spillway", String.join(" ", path))).trim());
        assertThat(r.err).as("%s", args).isEmpty();
      }
    }
    assertThat(capture("replay", "--help").out).contains("--from=FROM").contains("--wait").contains("--rate=N")
        .doesNotContain("Missing required");
    assertThat(capture("dlq", "list", "--help").out).contains("--limit=N").contains("--after=ID").contains("--from=FROM");
  }

  @Test
  void badUsageExitsWith2AndSaysWhatIsWrong() throws Exception {
    Path file = dir.resolve("spillway.yml");
    Files.writeString(file, CONFIG);
    Captured none = capture("dlq");
    assertThat(none.code).isEqualTo(2);
    assertThat(none.err).contains("Usage: spillway dlq").contains("list").contains("redrive").contains("choose a command");
    Captured unknown = capture("dlq", "list", "--config", file.toString(), "--bogus");
    assertThat(unknown.code).isEqualTo(2);
    assertThat(unknown.err).contains("Unknown option: '--bogus'").contains("See 'spillway dlq list --help'");
    Captured missing = capture("replay", "--config", file.toString());
    assertThat(missing.code).isEqualTo(2);
    assertThat(missing.err).contains("Missing required option: '--from=FROM'");
    Captured both = capture("replay", "--config", file.toString(), "--from", "-1h", "--wait", "--dry-run");
    assertThat(both.code).isEqualTo(2);
    assertThat(both.err).contains("--wait follows what was sent");
    Captured rate = capture("replay", "--config", file.toString(), "--from", "-1h", "--rate", "0");
    assertThat(rate.code).isEqualTo(2);
    assertThat(rate.err).contains("--rate must be above 0");
    Captured upstream = capture("replay", "--config", file.toString(), "--from", "-1h", "--upstream", "nope");
    assertThat(upstream.code).isEqualTo(2);
    assertThat(upstream.err).contains("--upstream nope: no such upstream in the config (wow)");
    Captured bound = capture("dlq", "stats", "--config", file.toString(), "--from", "yesterday");
    assertThat(bound.code).isEqualTo(2);
    assertThat(bound.err).contains("'yesterday' is neither a time");
    Captured id = capture("dlq", "show", "--config", file.toString(), "seventeen");
    assertThat(id.code).isEqualTo(2);
    assertThat(id.err).contains("partition:offset");
    Captured noAdmin = capture("replay", "--config", file.toString(), "--from", "-1h", "--wait", "--admin", "localhost:0");
    assertThat(noAdmin.code).isEqualTo(2);
    assertThat(noAdmin.err).contains("--admin localhost:0: needs a fixed port");
  }

  static final String CENTRAL = """
      delivery: { admin: "127.0.0.1:9102" }
      kafka:    { bootstrap_servers: "central-kafka:9092", replication_factor: 3 }
      mirror:
        sources:
          dc1: { bootstrap_servers: "dc1-kafka:9092" }
          dc2: { bootstrap_servers: "dc2-kafka:9092", properties: { sasl.jaas.config: "secretjaas987" } }
      upstreams:
        wow: { url: "https://wow.sentry.example.com", projects: { vod_be: { alias: vodbe, id: 20, key: realkey0123 } } }
      """;

  @Test
  void checkConfigSaysWhatACentralConfigRunsWithoutSecrets() throws Exception {
    Path file = dir.resolve("central.yml");
    Files.writeString(file, CENTRAL);
    Captured r = capture("check-config", "--config", file.toString());
    assertThat(r.code).isZero();
    assertThat(r.out).contains("role      central (mirror.sources lists dc1, dc2): runs mirror, delivery")
        .contains("source  dc2: dc2-kafka:9092 (properties: sasl.jaas.config) -> dc2.spillway.events")
        .contains("reads spillway.events, dc1.spillway.events, dc2.spillway.events, dedup window PT1H")
        .doesNotContain("redis").doesNotContain("secretjaas987").doesNotContain("realkey");
  }

  @Test
  void checkConfigOfADatacenterShowsEdgeAndBridgeOnly() throws Exception {
    Path file = dir.resolve("dc1.yml");
    Files.writeString(file, CONFIG.replace("public_url:", "datacenter: dc1, public_url:") + "bridge: { admin: \"127.0.0.1:9101\" }\n");
    Captured r = capture("check-config", "--config", file.toString());
    assertThat(r.code).isZero();
    assertThat(r.out).contains("role      datacenter (edge.datacenter dc1, no delivery section): runs edge, bridge").doesNotContain("delivery  admin");
  }

  @Test
  void replayOfAnUnknownDatacenterNamesTheKey() throws Exception {
    Path file = dir.resolve("central.yml");
    Files.writeString(file, CENTRAL);
    Captured r = capture("replay", "--config", file.toString(), "--datacenter", "dc9", "--from", "-1h");
    assertThat(r.code).isEqualTo(2);
    assertThat(r.err).contains("--datacenter dc9: no such datacenter under mirror.sources (dc1, dc2)");
    Path single = dir.resolve("spillway.yml");
    Files.writeString(single, CONFIG);
    Captured s = capture("replay", "--config", single.toString(), "--datacenter", "dc1", "--from", "-1h");
    assertThat(s.code).isEqualTo(2);
    assertThat(s.err).contains("this config mirrors none");
  }

  record Captured(int code, String out, String err) {}

  static Captured capture(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = Spillway.run(args);
      return new Captured(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }
}
