package io.spillway.runtime.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class PrometheusTextUnitTests {

  @Test
  void readsWhatMicrometerWrites() {
    String scrape = """
        # HELP spillway_bridge_redis_backlog_length XLEN
        # TYPE spillway_bridge_redis_backlog_length gauge
        spillway_bridge_redis_backlog_length{instance="b1",service="bridge",stream="spillway:events"} 1234.0
        spillway_delivery_ok_total{instance="d",service="delivery",upstream="alpha"} 5.0 1700000000000
        kafka_consumer_fetch_manager_records_lag{client_id="c-1",partition="3",topic="spillway_events",} NaN
        up 1
        odd{path="a\\"b\\\\c\\nd", empty=""} -Inf
        spillway_edge_in_flight{service="edge",} +Inf
        """;
    List<Sample> s = PrometheusText.parse(scrape);
    assertThat(s).hasSize(6);
    assertThat(s.get(0)).isEqualTo(new Sample("spillway_bridge_redis_backlog_length",
        Map.of("instance", "b1", "service", "bridge", "stream", "spillway:events"), 1234.0));
    assertThat(s.get(1).value()).isEqualTo(5.0);
    assertThat(s.get(2).label("partition")).isEqualTo("3");
    assertThat(s.get(2).value()).isNaN();
    assertThat(s.get(3)).isEqualTo(new Sample("up", Map.of(), 1.0));
    assertThat(s.get(4).labels()).isEqualTo(Map.of("path", "a\"b\\c\nd", "empty", ""));
    assertThat(s.get(4).value()).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(s.get(5).value()).isEqualTo(Double.POSITIVE_INFINITY);
  }

  @Test
  void dropsMalformedLinesAndKeepsTheRest() {
    String scrape = """
        <html><body>502 Bad Gateway</body></html>
        good_one 1
        no_value
        bad{unclosed="x 1
        bad{=""} 1
        bad{a="b"}1
        hex 0x10
        word Infinity
        good_two{a="b"} 2e3
        """;
    assertThat(PrometheusText.parse(scrape)).extracting(Sample::name).containsExactly("good_one", "good_two");
    assertThat(PrometheusText.parse(scrape).get(1).value()).isEqualTo(2000.0);
    assertThat(PrometheusText.parse(null)).isEmpty();
    assertThat(PrometheusText.parse("")).isEmpty();
  }

  @Property(tries = 1000)
  void neverThrowsOnGarbage(@ForAll("garbage") String text) {
    List<Sample> s = PrometheusText.parse(text);
    assertThat(s).allSatisfy(x -> assertThat(x.name()).isNotEmpty());
  }

  @Property(tries = 200)
  void writtenSamplesReadBack(@ForAll("samples") List<Sample> samples) {
    StringBuilder b = new StringBuilder("# HELP x y\n");
    for (Sample s : samples) {
      b.append(s.name());
      if (!s.labels().isEmpty()) {
        b.append('{');
        s.labels().forEach((k, v) -> b.append(k).append("=\"")
            .append(v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")).append("\","));
        b.append('}');
      }
      b.append(' ').append(Double.isInfinite(s.value()) ? (s.value() > 0 ? "+Inf" : "-Inf") : String.valueOf(s.value())).append('\n');
    }
    assertThat(PrometheusText.parse(b.toString())).isEqualTo(samples);
  }

  @Provide
  Arbitrary<String> garbage() {
    Arbitrary<String> any = Arbitraries.strings().ofMaxLength(300);
    Arbitrary<String> promish = Arbitraries.strings().withChars("a_{}=\",\\ \n\t#+-.eE0123456789NaInf").ofMaxLength(200);
    return Arbitraries.oneOf(any, promish);
  }

  @Provide
  Arbitrary<List<Sample>> samples() {
    Arbitrary<String> name = Arbitraries.strings().withChars("abc_:").ofMinLength(1).ofMaxLength(8)
        .flatMap(n -> Arbitraries.strings().withChars("xyz0123456789_").ofMaxLength(6).map(t -> n + t));
    Arbitrary<String> key = Arbitraries.strings().withChars("klm_").ofMinLength(1).ofMaxLength(6);
    Arbitrary<String> value = Arbitraries.strings().ofMaxLength(12).filter(v -> v.indexOf('\r') < 0);
    Arbitrary<Map<String, String>> labels = Arbitraries.maps(key, value).ofMaxSize(4);
    Arbitrary<Double> number = Arbitraries.oneOf(Arbitraries.doubles().between(-1e12, 1e12),
        Arbitraries.of(0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY));
    return Combinators.combine(name, labels, number).as(Sample::new).list().ofMaxSize(10);
  }
}
