package io.spillway.runtime.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.spillway.runtime.status.StatusSnapshot.Readiness;
import io.spillway.runtime.status.StatusSnapshot.Service;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The status page's "Filtered and capped" section: edge filters and the delivery quota guard. */
class StatusRulesUnitTests {
  static final List<Service> UP = List.of(new Service("edge", "e", Readiness.UP, ""), new Service("bridge", "b", Readiness.UP, ""),
      new Service("delivery", "d", Readiness.UP, ""));

  @Test
  void filteredCountsQuotaGuardDropsAndTheIssuesBeingCapped() {
    long t0 = 1_800_000_000_000L;
    String edge0 = """
        spillway_edge_filtered_total{route="wow/web",filter="web_crawlers",service="edge"} 10
        spillway_edge_filtered_total{route="wow/web",filter="localhost",service="edge"} 4
        """;
    String edge1 = """
        spillway_edge_filtered_total{route="wow/web",filter="web_crawlers",service="edge"} 30
        spillway_edge_filtered_total{route="wow/web",filter="localhost",service="edge"} 4
        """;
    String delivery = """
        spillway_delivery_quota_guard_dropped_total{route="wow/api"} 900
        spillway_delivery_quota_guard_capped{route="wow/api",issue="00000000000000aa",title="NullPointerException: boom <b>"} 850
        spillway_delivery_quota_guard_capped{route="wow/api",issue="00000000000000bb",title="TimeoutError: upstream"} 50
        """;
    StatusSnapshot s0 = StatusSnapshot.build(t0, UP, PrometheusText.parse(edge0), List.of(), PrometheusText.parse(delivery), "t", List.of(), null);
    StatusSnapshot s1 = StatusSnapshot.build(t0 + 2000, UP, PrometheusText.parse(edge1), List.of(), PrometheusText.parse(delivery), "t",
        List.of(), s0);
    assertThat(s1.rules().filtered()).extracting(StatusSnapshot.Filtered::filter, StatusSnapshot.Filtered::total, StatusSnapshot.Filtered::perSecond)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("localhost", 4.0, 0.0), org.assertj.core.groups.Tuple.tuple("web_crawlers", 30.0, 10.0));
    assertThat(s1.rules().guardDroppedByRoute()).containsEntry("wow/api", 900.0);
    assertThat(s1.rules().capped()).extracting(StatusSnapshot.CappedIssue::droppedInWindow).containsExactly(850.0, 50.0);
    String html = s1.html(2);
    assertThat(html).contains("<table id=\"filtered\">").contains("data-filter=\"web_crawlers\"").contains("10.0/s")
        .contains("NullPointerException: boom &lt;b&gt;").doesNotContain("boom <b>");
    assertThat(s1.text()).contains("filtered  wow/web").contains("capped    wow/api").contains("guard     wow/api");
  }

  @Test
  void nothingToShowWithoutRules() {
    StatusSnapshot s = StatusSnapshot.build(1L, UP, List.of(), List.of(), List.of(), "t", List.of(), null);
    assertThat(s.rules().isEmpty()).isTrue();
    assertThat(s.html(2)).doesNotContain("Filtered and capped");
  }
}
