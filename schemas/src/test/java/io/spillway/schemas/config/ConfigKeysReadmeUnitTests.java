package io.spillway.schemas.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The declarations in {@link ConfigKeys} are the one source of the config keys: the README's key
 * table is rendered from them (this test fails when it differs), every declared key is read by the
 * readers (a file that sets it gets no "unknown key"), and an unknown key is answered with the
 * closest declared key of its section.
 */
class ConfigKeysReadmeUnitTests {
  static final String BEGIN = "<!-- config-keys: begin";
  static final String END = "<!-- config-keys: end -->";

  /** {@code -Dconfig.readme.write=true}: rewrite the README's table from the declarations instead of failing. */
  @Test
  void theReadmeKeyTableIsTheDeclarations() throws IOException {
    Path readme = readme();
    String text = Files.readString(readme, StandardCharsets.UTF_8);
    int begin = text.indexOf(BEGIN);
    int end = text.indexOf(END);
    assertThat(begin).as(readme + " has no " + BEGIN + " marker").isNotNegative();
    assertThat(end).as(readme + " has no " + END + " marker").isGreaterThan(begin);
    int tableStart = text.indexOf('\n', begin) + 1;
    String inReadme = text.substring(tableStart, end);
    String declared = ConfigKeys.markdownTable();
    if (inReadme.equals(declared)) return;
    if (Boolean.getBoolean("config.readme.write")) {
      Files.writeString(readme, text.substring(0, tableStart) + declared + text.substring(end), StandardCharsets.UTF_8);
      return;
    }
    fail(readme + ": the config key table differs from the declarations in ConfigKeys (first difference at line "
        + firstDifferentLine(inReadme, declared) + "). Edit ConfigKeys, then rerun this test with -Dconfig.readme.write=true, "
        + "or paste:\n" + declared);
  }

  @Test
  void theTableHasOneRowPerDeclaredKeyAndNoOther() {
    List<String> rows = ConfigKeys.markdownTable().lines().skip(2).map(l -> l.substring(3, l.indexOf("` |"))).toList();
    List<String> paths = new ArrayList<>();
    for (ConfigKey<?> k : declaredKeys()) paths.add(k.path());
    assertThat(rows).containsAll(paths).doesNotHaveDuplicates();
    // the other rows are the documented sections (filters, privacy, rate_limit, quota_guard, a project's filters and privacy)
    assertThat(rows.size() - paths.size()).isEqualTo(6);
  }

  /** A key declared but not read would be refused as unknown in every file that sets it. */
  @Test
  void everyDeclaredKeyIsReadWhereItIsDeclared() {
    List<ConfigKey<?>> keys = declaredKeys();
    assertThat(keys).hasSizeGreaterThanOrEqualTo(80);
    for (ConfigKey<?> k : keys) {
      String path = k.path().replace("<u>", "u").replace("<p>", "p").replace("<dc>", "dc");
      String value = k.def().kind() == ConfigKey.Kind.VALUE ? k.def().text() : "\"x\"";
      String yaml = nested(path.split("\\."), 0, value);
      List<String> problems = problems(yaml);
      assertThat(problems).as(k.path() + " in " + yaml).noneMatch(p -> p.contains("unknown key"));
    }
  }

  @Test
  void anUnknownKeyGetsTheClosestDeclaredKeyOfItsSection() {
    assertThat(problems("edge: { max_envelop_bytes: 200MiB }"))
        .containsExactly("edge.max_envelop_bytes: unknown key (did you mean max_envelope_bytes?)");
    assertThat(problems("upstream: {}")).containsExactly("upstream: unknown key (did you mean upstreams?)");
    assertThat(problems("delivery: { dedup_windw: 1h, colour: red }")).containsExactly(
        "delivery.dedup_windw: unknown key (did you mean dedup_window?)",
        "delivery.colour: unknown key");
    // a project's filters have the keys of the global ones; sections read only when present are suggested too
    assertThat(problems("""
        upstreams:
          u:
            url: "https://sentry.example.com"
            rate_limt: { events_per_second: 10 }
            projects:
              p: { id: 1, key: "k", quota_gaurd: {}, filters: { web_crawler: true } }
        """)).containsExactlyInAnyOrder(
        "upstreams.u.rate_limt: unknown key (did you mean rate_limit?)",
        "upstreams.u.projects.p.quota_gaurd: unknown key (did you mean quota_guard?)",
        "upstreams.u.projects.p.filters.web_crawler: unknown key (did you mean web_crawlers?)");
  }

  /** Reading through the declarations kept check-config's messages as they were before them. */
  @Test
  void messagesAreThoseCheckConfigAlwaysGave() {
    String project = "upstreams: { u: { url: \"https://sentry.example.com\", projects: { p: { id: 1, key: k, %s } } } }";
    assertThat(problems(project.formatted("copy_to: [u/p2, nope]"))).contains(
        "upstreams.u.projects.p.copy_to: a route is written upstream/project, got: nope");
    assertThat(problems(project.formatted("copy_to_sample_rate: 2"))).containsExactly(
        "upstreams.u.projects.p.copy_to_sample_rate: must be between 0 and 1, got 2.0");
    assertThat(problems(project.formatted("copy_to_sample_rate: -1"))).containsExactly(
        "upstreams.u.projects.p.copy_to_sample_rate: must be at least 0.0, got -1");
    assertThat(problems(project.formatted("quota_events_per_second: x"))).containsExactly(
        "upstreams.u.projects.p.quota_events_per_second: expected a number, got \"x\"");
    assertThat(problems("edge: { allowed_origins: [\"*\", \"https://a.example.com/x\"] }")).containsExactly(
        "edge.allowed_origins: expected * or origins like https://app.example.com (scheme and host, no path), got "
            + "\"https://a.example.com/x\"");
    assertThat(problems("filters: { environments: [prod, \"\"] }")).containsExactly("filters.environments[1]: must not be empty");
    assertThat(problems("upstreams: { u: { url: \"https://s.example.com\", http2: AUTO, projects: { p: { id: 1, key: k } } } }"))
        .containsExactly("upstreams.u.http2: expected auto or off, got \"AUTO\"");
    assertThat(problems("privacy: { attachments: \" DROP \" }")).isEmpty();
    assertThat(problems("upstreams: { u: { url: \"https://s.example.com\", rate_limit: { burst: 3 }, projects: { p: { key: k } } } }"))
        .containsExactlyInAnyOrder("upstreams.u.rate_limit.events_per_second: is required",
            "upstreams.u.projects.p.id: is required (the real Sentry project id)");
  }

  @Test
  void badDefaultsFailAtDeclaration() {
    assertThatThrownBy(() -> ConfigSection.root().section("s").key("n", ConfigType.integer(1, 10), "11", "doc"))
        .hasMessage("s.n: bad default 11: [n: must be between 1 and 10, got 11]");
    assertThatThrownBy(() -> ConfigSection.root().section("s").key("n", ConfigType.STRING, "x", " "))
        .hasMessage("s.n: no doc");
  }

  private static List<String> problems(String yaml) {
    try {
      SpillwayConfig.parse(yaml, Map.of(), "t");
      return List.of();
    } catch (ConfigException e) {
      return e.problems();
    }
  }

  private static String nested(String[] path, int i, String value) {
    return i == path.length - 1 ? "{ " + path[i] + ": " + value + " }" : "{ " + path[i] + ": " + nested(path, i + 1, value) + " }";
  }

  static List<ConfigKey<?>> declaredKeys() {
    List<ConfigKey<?>> out = new ArrayList<>();
    for (Field f : ConfigKeys.class.getDeclaredFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == ConfigKey.class) {
        try {
          out.add((ConfigKey<?>) f.get(null));
        } catch (IllegalAccessException e) {
          throw new AssertionError(e);
        }
      }
    }
    return out;
  }

  private static int firstDifferentLine(String a, String b) {
    List<String> x = a.lines().toList();
    List<String> y = b.lines().toList();
    for (int i = 0; i < Math.min(x.size(), y.size()); i++) if (!x.get(i).equals(y.get(i))) return i + 1;
    return Math.min(x.size(), y.size()) + 1;
  }

  private static Path readme() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path p = dir.resolve("README.md");
      if (Files.isRegularFile(p) && Files.isDirectory(dir.resolve("schemas"))) return p;
    }
    throw new AssertionError("no README.md above " + Path.of("").toAbsolutePath());
  }
}
