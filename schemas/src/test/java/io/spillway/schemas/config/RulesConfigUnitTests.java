package io.spillway.schemas.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spillway.schemas.Glob;
import io.spillway.schemas.Route;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code filters:} (global and per project) and {@code quota_guard:}. */
class RulesConfigUnitTests {
  private static SpillwayConfig parse(String yaml) {
    return SpillwayConfig.parse(yaml, Map.of(), "spillway.yml");
  }

  private static List<String> problems(String yaml) {
    try {
      parse(yaml);
    } catch (ConfigException e) {
      return e.problems();
    }
    throw new AssertionError("expected problems");
  }

  private static ProjectConfig project(SpillwayConfig c, String route) {
    return c.routes().project(Route.parse(route)).orElseThrow();
  }

  @Test
  void nothingConfiguredMeansNoFiltersAndNoGuard() {
    SpillwayConfig c = parse("""
        upstreams: { u: { url: "http://s", projects: { p: { id: 1, key: "k" } } } }
        """);
    assertThat(c.filters()).isEqualTo(FiltersConfig.NONE);
    assertThat(project(c, "u/p").filters().isEmpty()).isTrue();
    assertThat(project(c, "u/p").quotaGuard()).isNull();
  }

  @Test
  void projectFiltersReplaceTheGlobalOnesAsAWhole() {
    SpillwayConfig c = parse("""
        filters:
          localhost: true
          web_crawlers: true
          releases: ["1.0.*", "beta-?"]
          error_messages: ["*ChunkLoadError*"]
          environments: [staging]
        upstreams:
          u:
            url: "http://s"
            projects:
              inherits: { id: 1, key: "k1" }
              own: { id: 2, key: "k2", filters: { legacy_browsers: true } }
              none: { id: 3, key: "k3", filters: {} }
        """);
    FiltersConfig global = c.filters();
    assertThat(global.localhost()).isTrue();
    assertThat(global.releases()).containsExactly(Glob.compile("1.0.*"), Glob.compile("beta-?"));
    assertThat(global.environments()).containsExactly("staging");
    assertThat(project(c, "u/inherits").filters()).isEqualTo(global);
    FiltersConfig own = project(c, "u/own").filters();
    assertThat(own.localhost()).isFalse();
    assertThat(own.legacyBrowsers()).isEqualTo(FiltersConfig.CURRENT_BROWSERS);
    assertThat(project(c, "u/none").filters().isEmpty()).isTrue();
  }

  @Test
  void legacyBrowsersTakesSentrysOptionNames() {
    SpillwayConfig c = parse("""
        filters: { legacy_browsers: [ie, safari, ie_pre_9] }
        """);
    assertThat(c.filters().legacyBrowsers()).containsExactly("ie", "safari", "ie_pre_9");
    assertThat(parse("filters: { legacy_browsers: false }").filters().legacyBrowsers()).isEmpty();
  }

  @Test
  void quotaGuardWithDefaults() {
    SpillwayConfig c = parse("""
        upstreams:
          u:
            url: "http://s"
            projects:
              a: { id: 1, key: "k1", quota_guard: { max_per_issue: 100, window: "1m" } }
              b: { id: 2, key: "k2", quota_guard: {} }
        """);
    assertThat(project(c, "u/a").quotaGuard()).isEqualTo(new QuotaGuardConfig(100, Duration.ofMinutes(1)));
    assertThat(project(c, "u/b").quotaGuard()).isEqualTo(new QuotaGuardConfig(100, Duration.ofMinutes(1)));
  }

  @Test
  void badInputNamesTheKey() {
    assertThat(problems("""
        filters:
          releases: ["1.[", "ok.*"]
          error_messages: { boom: 1 }
          legacy_browsers: [ie, netscape]
          localhost: maybe
          web_crawler: true
          environments: [""]
        upstreams:
          u:
            url: "http://s"
            projects:
              p:
                id: 1
                key: "k"
                quota_guard: { max_per_issue: -5, window: "0s", burst: 3 }
                filters: { error_messages: ["{a,{b}}"] }
        """)).containsExactlyInAnyOrder(
        "filters.releases[0]: invalid glob \"1.[\": unbalanced character class (a '[' without ']')",
        "filters.error_messages: expected a list",
        "filters.legacy_browsers[1]: unknown browser \"netscape\" (expected one of ie, edge, safari, firefox, chrome, opera, "
            + "opera_mini, android, or a deprecated one: default, ie_pre_9, ie9, ie10, ie11, opera_pre_15, opera_mini_pre_8, "
            + "android_pre_4, safari_pre_6, edge_pre_79)",
        "filters.localhost: expected true or false, got \"maybe\"",
        "filters.web_crawler: unknown key (did you mean web_crawlers?)",
        "filters.environments[0]: must not be empty",
        "upstreams.u.projects.p.quota_guard.max_per_issue: must be between 1 and 100000, got -5",
        "upstreams.u.projects.p.quota_guard.window: must be between 1s and 1d",
        "upstreams.u.projects.p.quota_guard.burst: unknown key",
        "upstreams.u.projects.p.filters.error_messages[0]: invalid glob \"{a,{b}}\": nested alternatives ('{' inside '{…}')");
  }

  @Test
  void aZeroCapIsRefusedToo() {
    assertThat(problems("""
        upstreams: { u: { url: "http://s", projects: { p: { id: 1, key: "k", quota_guard: { max_per_issue: 0 } } } } }
        """)).containsExactly("upstreams.u.projects.p.quota_guard.max_per_issue: must be between 1 and 100000, got 0");
  }

  @Test
  void toStringShowsRulesButNoKeys() {
    assertThat(parse("""
        upstreams: { u: { url: "http://s", projects: { p: { id: 1, key: "secretkey", quota_guard: {} } } } }
        """).toString()).contains("quotaGuard=QuotaGuardConfig[maxPerIssue=100").doesNotContain("secretkey");
  }

  @Test
  void quotaGuardRecordRejectsNonsense() {
    assertThatThrownBy(() -> new QuotaGuardConfig(0, Duration.ofMinutes(1))).isInstanceOf(IllegalArgumentException.class);
  }
}
