package io.spillway.runtime.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.spillway.runtime.status.StatusSnapshot.Readiness;
import io.spillway.runtime.status.StatusSnapshot.Service;
import java.util.List;

import org.junit.jupiter.api.Test;

class StatusSnapshotUnitTests {
  static final List<Service> UP = List.of(new Service("edge", "http://127.0.0.1:1", Readiness.UP, ""),
      new Service("bridge", "http://127.0.0.1:2", Readiness.NOT_READY, "HTTP 503 {\"kafka\":\"<down>\"}"),
      new Service("delivery", "http://127.0.0.1:3", Readiness.UNREACHABLE, "no answer"));

  static List<Sample> p(String text) {
    return PrometheusText.parse(text);
  }

  @Test
  void figuresRatesAndHolds() {
    long t0 = 1_800_000_000_000L;
    String edge0 = """
        spillway_edge_accepted_total{route="a/web",kind="envelope"} 100
        spillway_edge_accepted_total{route="a/api",kind="store"} 50
        spillway_edge_rejected_total{route="unknown",kind="store",reason="auth"} 2
        spillway_edge_in_flight 3
        """;
    String bridge0 = """
        spillway_bridge_redis_backlog_length{stream="s:0"} 10
        spillway_bridge_redis_backlog_length{stream="s:1"} 5
        spillway_bridge_redis_backlog_pending{stream="s:0"} 4
        spillway_bridge_redis_backlog_oldest_age_seconds{stream="s:0"} 7.5
        spillway_bridge_redis_backlog_oldest_age_seconds{stream="s:1"} 2
        spillway_bridge_entries_moved_total{stream="s:0"} 140
        """;
    String delivery0 = """
        kafka_consumer_fetch_manager_records_lag{client_id="main",partition="0",topic="spillway_events"} 3
        kafka_consumer_fetch_manager_records_lag{client_id="main",partition="1",topic="spillway_events"} 0
        kafka_consumer_fetch_manager_records_lag{client_id="main",partition="1",topic="spillway_events"} NaN
        kafka_consumer_fetch_manager_records_lag{client_id="restore",partition="0",topic="spillway-delivery-store-changelog"} 99
        spillway_delivery_ok_total{upstream="alpha"} 100
        spillway_delivery_dlq_total{upstream="alpha",reason="http_400"} 1
        spillway_delivery_dlq_total{upstream="alpha",reason="expired"} 2
        spillway_delivery_held_until_seconds{upstream="alpha"} 0
        spillway_delivery_ok_total{upstream="beta"} 7
        spillway_delivery_held_total{upstream="beta"} 1
        spillway_delivery_held_until_seconds{upstream="beta"} 1800000060
        spillway_delivery_in_flight{upstream="beta"} 0
        spillway_delivery_pending{upstream="beta"} 12
        """;
    StatusSnapshot s0 = StatusSnapshot.build(t0, UP, p(edge0), p(bridge0), p(delivery0), "spillway.events", List.of(new StatusSnapshot.PartitionLag("spillway.events", 0, 5), new StatusSnapshot.PartitionLag("spillway.events", 2, 1)), null);
    assertThat(s0.backlogTotal()).isEqualTo(15);
    assertThat(s0.pendingTotal()).isNaN(); // s:1 has no pending figure: unknown, not 0
    assertThat(s0.oldestAgeSeconds()).isEqualTo(7.5);
    assertThat(s0.lagTotal()).isEqualTo(3);
    assertThat(s0.groupLagTotal()).isEqualTo(6);
    assertThat(s0.html(2)).contains("id=\"group-lag-total\" data-value=\"6\"")
        .contains("<tr class=\"partition\" data-partition=\"2\"><td>spillway.events</td><td>2</td><td class=\"lag\" data-value=\"–\">–</td>"
            + "<td class=\"group-lag\" data-value=\"1\">");
    assertThat(s0.lag()).extracting(StatusSnapshot.PartitionLag::partition).containsExactly(0, 1);
    assertThat(s0.edge().acceptedTotal()).isEqualTo(150);
    assertThat(s0.edge().acceptedPerSecond()).isNaN(); // no previous scrape
    assertThat(s0.bridge().deadLetteredTotal()).isZero(); // the bridge answered, the counter has not been created yet
    StatusSnapshot.Upstream alpha = s0.upstreams().get(0);
    StatusSnapshot.Upstream beta = s0.upstreams().get(1);
    assertThat(alpha.dlqTotal()).isEqualTo(3);
    assertThat(alpha.held(t0)).isFalse();
    assertThat(beta.held(t0)).isTrue();
    assertThat(beta.pending()).as("held events are counted although Kafka shows no lag for them").isEqualTo(12);
    assertThat(s0.html(2)).contains("<td class=\"pending\" data-value=\"12\">12</td>");
    assertThat(s0.html(2)).contains("<tr class=\"upstream held\" data-upstream=\"beta\">")
        .contains("<tr class=\"upstream\" data-upstream=\"alpha\">")
        .contains("id=\"backlog\" data-value=\"15\"").contains("id=\"lag-total\" data-value=\"3\"")
        .contains("class=\"service not-ready\"").contains("&lt;down&gt;").doesNotContain("<down>")
        .contains("class=\"service unreachable\"");
    assertThat(s0.text()).contains("HELD until 2027-01-15 08:01:00 UTC (in 60 s)").contains("Redis backlog   15 entries");

    // Two seconds later: rates; the edge restarted (its counter went down).
    String edge1 = """
        spillway_edge_accepted_total{route="a/web",kind="envelope"} 20
        spillway_edge_rejected_total{route="unknown",kind="store",reason="auth"} 0
        """;
    String bridge1 = "spillway_bridge_entries_moved_total{stream=\"s:0\"} 160\n";
    String delivery1 = """
        spillway_delivery_ok_total{upstream="alpha"} 110
        spillway_delivery_held_until_seconds{upstream="beta"} 1800000060
        """;
    StatusSnapshot s1 = StatusSnapshot.build(t0 + 2000, UP, p(edge1), p(bridge1), p(delivery1), "spillway.events", List.of(), s0);
    assertThat(s1.edge().acceptedPerSecond()).isEqualTo(10.0);
    assertThat(s1.bridge().movedPerSecond()).isEqualTo(10.0);
    assertThat(s1.upstreams().get(0).okPerSecond()).isEqualTo(5.0);
    assertThat(s1.backlogTotal()).isNaN();
    assertThat(s1.html(2)).contains("id=\"backlog\" data-value=\"–\"");
    // After the hold ends the upstream is no longer marked.
    StatusSnapshot s2 = StatusSnapshot.build(t0 + 61_000, UP, List.of(), List.of(), p(delivery1), "spillway.events", List.of(), s1);
    assertThat(s2.upstreams()).noneMatch(u -> u.held(t0 + 61_000));
    assertThat(s2.html(2)).doesNotContain("upstream held");
  }

  @Test
  void nothingReportedShowsUnknownNotZero() {
    StatusSnapshot s = StatusSnapshot.build(1, UP, List.of(), List.of(), List.of(), "t", List.of(), null);
    assertThat(s.backlogTotal()).isNaN();
    assertThat(s.lagTotal()).isNaN();
    assertThat(s.groupLagTotal()).isNaN();
    assertThat(s.edge().acceptedTotal()).isNaN();
    assertThat(s.bridge().deadLetteredTotal()).isNaN();
    assertThat(s.html(2)).contains("id=\"lag-total\" data-value=\"–\"");
    assertThat(s.text()).contains("(delivery reported no upstream)");
  }

  @Test
  void rateOfARestartedCounterCountsFromZero() {
    assertThat(StatusSnapshot.rate(30, 10, 2)).isEqualTo(10);
    assertThat(StatusSnapshot.rate(4, 10, 2)).isEqualTo(2);
    assertThat(StatusSnapshot.rate(4, Double.NaN, 2)).isNaN();
    assertThat(StatusSnapshot.rate(4, 1, 0)).isNaN();
  }

  @Test
  void adminAddresses() {
    assertThat(PipelineStatus.adminUri(new io.spillway.schemas.config.HostPort("0.0.0.0", 9100)))
        .hasToString("http://127.0.0.1:9100");
    assertThat(PipelineStatus.adminUri(new io.spillway.schemas.config.HostPort("127.0.0.1", 0))).isNull();
  }

  @Test
  void aCentralSiteShowsOneRowPerDatacenterAndNoRedis() {
    List<Service> central = List.of(new Service("mirror", "http://127.0.0.1:4", Readiness.NOT_READY, "HTTP 503 {\"gap dc2\":\"MIRROR GAP\"}"),
        new Service("delivery", "http://127.0.0.1:3", Readiness.UP, ""));
    String mirror0 = """
        spillway_mirror_source_up{datacenter="dc1"} 1
        spillway_mirror_lag_records{datacenter="dc1"} 40
        spillway_mirror_lag_seconds{datacenter="dc1"} 1.5
        spillway_mirror_gap_records_total{datacenter="dc1"} 0
        spillway_mirror_records_total{datacenter="dc1"} 1000
        spillway_mirror_source_up{datacenter="dc2"} 0
        spillway_mirror_lag_records{datacenter="dc2"} NaN
        spillway_mirror_gap_records_total{datacenter="dc2"} 1234
        spillway_mirror_records_total{datacenter="dc2"} 500
        """;
    String delivery0 = """
        kafka_consumer_fetch_manager_records_lag{client_id="main",partition="0",topic="spillway_events"} 1
        kafka_consumer_fetch_manager_records_lag{client_id="main",partition="0",topic="dc1_spillway_events"} 7
        kafka_consumer_fetch_manager_records_lag{client_id="main",partition="1",topic="dc1_spillway_events"} 3
        kafka_consumer_fetch_manager_records_lag{client_id="main",partition="0",topic="dc2_spillway_events"} 0
        """;
    List<String> topics = List.of("spillway.events", "dc1.spillway.events", "dc2.spillway.events");
    StatusSnapshot s0 = StatusSnapshot.build(1000, central, List.of(), List.of(), p(mirror0), p(delivery0), topics,
        List.of(new StatusSnapshot.PartitionLag("dc1.spillway.events", 0, 9)), null);
    String mirror1 = mirror0.replace("records_total{datacenter=\"dc1\"} 1000", "records_total{datacenter=\"dc1\"} 1600");
    StatusSnapshot s = StatusSnapshot.build(3000, central, List.of(), List.of(), p(mirror1), p(delivery0), topics, List.of(), s0);
    assertThat(s.datacenters()).extracting(StatusSnapshot.Datacenter::name).containsExactly("dc1", "dc2");
    StatusSnapshot.Datacenter dc1 = s.datacenters().get(0);
    assertThat(dc1.topic()).isEqualTo("dc1.spillway.events");
    assertThat(dc1.lagRecords()).isEqualTo(40);
    assertThat(dc1.lagSeconds()).isEqualTo(1.5);
    assertThat(dc1.deliveryLag()).isEqualTo(10);
    assertThat(dc1.copiedPerSecond()).isEqualTo(300);
    assertThat(s0.datacenters().get(0).deliveryGroupLag()).isEqualTo(9);
    StatusSnapshot.Datacenter dc2 = s.datacenters().get(1);
    assertThat(dc2.gap()).isTrue();
    assertThat(dc2.lagRecords()).as("unreachable: unknown, not 0").isNaN();
    assertThat(s.lagTotal()).isEqualTo(11);
    String html = s.html(2);
    assertThat(html).contains("<tr class=\"datacenter\" data-datacenter=\"dc1\">")
        .contains("<tr class=\"datacenter gap unreachable\" data-datacenter=\"dc2\">")
        .contains("<td class=\"gap-records\" data-value=\"1234\">GAP: 1234 lost</td>")
        .contains("<td class=\"mirror-lag\" data-value=\"40\">")
        .contains("<td class=\"delivery-lag\" data-value=\"10\">")
        .contains("<td>dc1.spillway.events</td><td>1</td>")
        .doesNotContain("id=\"backlog\"").doesNotContain("Redis streams");
    assertThat(s.text()).contains("Datacenters").contains("dc2            UNREACHABLE").contains("GAP 1234")
        .doesNotContain("Redis backlog").contains("dc1:p0=7");
  }
}
