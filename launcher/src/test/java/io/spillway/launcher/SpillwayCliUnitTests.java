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
