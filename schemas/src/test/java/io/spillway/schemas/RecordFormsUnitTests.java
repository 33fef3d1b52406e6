package io.spillway.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class RecordFormsUnitTests {

  @Test
  void goldenVectorsEncodeToTheirExactRedisAndKafkaForms() {
    List<GoldenVectors.Valid> vectors = GoldenVectors.valid();
    assertThat(vectors).hasSize(4);
    for (GoldenVectors.Valid v : vectors) {
      Map<String, byte[]> redis = RedisForm.encode(v.event());
      assertThat(redis.keySet()).as(v.name()).containsExactlyElementsOf(v.redisFields().keySet());
      v.redisFields().forEach((k, bytes) -> assertThat(redis.get(k)).as(v.name() + " field " + k).isEqualTo(bytes));

      KafkaForm kafka = KafkaForm.encode(v.event());
      assertThat(kafka.key()).as(v.name()).isEqualTo(v.kafka().key());
      assertThat(kafka.value()).as(v.name()).isEqualTo(v.kafka().value());
      assertThat(kafka.timestamp()).as(v.name()).isEqualTo(v.kafka().timestamp());
      assertThat(kafka.headers()).as(v.name()).hasSameSizeAs(v.kafka().headers());
      for (int i = 0; i < kafka.headers().size(); i++) {
        assertThat(kafka.headers().get(i).name()).isEqualTo(v.kafka().headers().get(i).name());
        assertThat(kafka.headers().get(i).value()).as(v.name() + " header " + kafka.headers().get(i).name())
            .isEqualTo(v.kafka().headers().get(i).value());
      }
    }
  }

  @Test
  void goldenVectorsDecodeFromBothForms() {
    for (GoldenVectors.Valid v : GoldenVectors.valid()) {
      assertThat(RedisForm.decode(v.redisFields())).as(v.name()).isEqualTo(v.event());
      assertThat(KafkaForm.decode(v.kafka().key(), v.kafka().value(), v.kafka().headers())).as(v.name()).isEqualTo(v.event());
    }
  }

  @Test
  void invalidGoldenEntriesAreRejectedWithAReason() {
    List<GoldenVectors.Invalid> invalid = GoldenVectors.invalid();
    assertThat(invalid).hasSizeGreaterThanOrEqualTo(7);
    for (GoldenVectors.Invalid v : invalid) {
      assertThatThrownBy(() -> RedisForm.decode(v.redisFields())).as(v.name())
          .isInstanceOf(RecordFormatException.class).hasMessageNotContaining("null");
    }
  }

  @Test
  void deadLetterHeadersAreIgnoredByTheDecoder() {
    GoldenVectors.Valid v = GoldenVectors.valid().get(0);
    List<KafkaForm.Header> headers = new ArrayList<>(v.kafka().headers());
    headers.add(new KafkaForm.Header(KafkaForm.DeadLetter.REASON, "http_400".getBytes()));
    assertThat(KafkaForm.decode(v.kafka().key(), v.kafka().value(), headers)).isEqualTo(v.event());
  }

  @Test
  void toStringCarriesNoBodyOrQuery() {
    BufferedEvent e = GoldenVectors.valid().get(0).event();
    assertThat(e.toString()).doesNotContain("sentry_version").contains(e.id()).contains("wow/vod_be");
  }

  /** Whatever a Redis entry holds, decoding either succeeds or says why it failed. */
  @Property(tries = 500)
  void decodingArbitraryEntriesFailsOnlyWithRecordFormatException(@ForAll("entries") Map<String, byte[]> fields) {
    try {
      RedisForm.decode(fields);
    } catch (RecordFormatException expected) {
      // fine: the bridge dead-letters it
    }
  }

  @Provide
  Arbitrary<Map<String, byte[]>> entries() {
    Map<String, byte[]> good = GoldenVectors.valid().get(0).redisFields();
    List<String> names = new ArrayList<>(good.keySet());
    Arbitrary<byte[]> junk = Arbitraries.oneOf(
        Arbitraries.bytes().array(byte[].class).ofMaxSize(12),
        Arbitraries.strings().ofMaxLength(12).map(String::getBytes),
        Arbitraries.of("1", "2", "-1", "99999999999999999999", "wow/x", "a/b/c", "envelope", "").map(String::getBytes));
    return Arbitraries.subsetOf(names).flatMap(keep -> junk.list().ofSize(keep.size()).flatMap(values ->
        Arbitraries.integers().between(0, keep.size()).map(corruptFrom -> {
          Map<String, byte[]> m = new HashMap<>();
          int i = 0;
          for (String k : keep) {
            m.put(k, i >= corruptFrom ? values.get(i) : good.get(k));
            i++;
          }
          return m;
        })));
  }

  @Test
  void idsAreUniqueSortableAndCarryTheirTimestamp() {
    SpillwayId gen = new SpillwayId();
    String prev = "";
    for (int i = 0; i < 10_000; i++) {
      long now = 1_732_690_800_000L + i / 100;
      String id = gen.next(now);
      assertThat(id).hasSize(26).isGreaterThan(prev);
      assertThat(SpillwayId.timestampOf(id)).isEqualTo(now);
      prev = id;
    }
  }

  @Test
  void routesParseAndRejectNonsense() {
    assertThat(Route.parse("wow/vod_be")).isEqualTo(new Route("wow", "vod_be"));
    for (String bad : new String[] {"", "wow", "/x", "x/", "a/b/c", "wow/vod be", "w?w/x"}) {
      assertThatThrownBy(() -> Route.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
