package io.spillway.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class ChunksUnitTests {

  private static BufferedEvent event(int size, long seed) {
    byte[] body = new byte[size];
    new Random(seed).nextBytes(body);
    return GoldenVectors.valid().get(0).event().toBuilder().body(body).build();
  }

  /** Whatever the size and piece size, the pieces survive both record forms and join to the original, in any order. */
  @Property(tries = 200)
  void splitEncodeDecodeAndJoinGiveTheOriginalBack(@ForAll @IntRange(min = 0, max = 5000) int size,
      @ForAll @IntRange(min = 1, max = 700) int chunkBytes, @ForAll long seed) {
    BufferedEvent whole = event(size, seed);
    List<BufferedEvent> pieces = Chunks.split(whole, chunkBytes);
    if (size <= chunkBytes) {
      assertThat(pieces).containsExactly(whole);
      return;
    }
    assertThat(pieces).hasSize((size + chunkBytes - 1) / chunkBytes)
        .allSatisfy(p -> assertThat(p.body().length).isLessThanOrEqualTo(chunkBytes));
    List<BufferedEvent> arrived = new ArrayList<>();
    for (BufferedEvent p : pieces) {
      BufferedEvent viaRedis = RedisForm.decode(RedisForm.encode(p));
      KafkaForm k = KafkaForm.encode(viaRedis);
      arrived.add(KafkaForm.decode(k.key(), k.value(), k.headers()));
    }
    Collections.shuffle(arrived, new Random(seed));
    assertThat(Chunks.join(arrived)).isEqualTo(whole);
  }

  @Test
  void piecesAreVersionTwoAndWholeEventsStayVersionOne() {
    BufferedEvent whole = event(Chunks.CHUNK_BYTES + 1, 1);
    assertThat(new String(RedisForm.encode(whole.toBuilder().body(new byte[10]).build()).get("v"))).isEqualTo("1");
    List<BufferedEvent> pieces = Chunks.split(whole);
    assertThat(pieces).hasSize(2);
    assertThat(new String(RedisForm.encode(pieces.get(1)).get("v"))).isEqualTo("2");
    assertThat(new String(RedisForm.encode(pieces.get(1)).get("chunk"))).isEqualTo("1/2");
    assertThat(new String(RedisForm.encode(pieces.get(1)).get("total"))).isEqualTo(Integer.toString(Chunks.CHUNK_BYTES + 1));
  }

  @Test
  void joinRefusesIncompleteMixedOrRepeatedPieces() {
    List<BufferedEvent> a = Chunks.split(event(1000, 1), 300);
    List<BufferedEvent> b = Chunks.split(event(1000, 2).toBuilder().id("01JDQ6Z8Y3M4N5P6Q7R8S9T0ZZ").build(), 300);
    assertThatThrownBy(() -> Chunks.join(a.subList(0, 3))).isInstanceOf(RecordFormatException.class).hasMessageContaining("3 of 4");
    List<BufferedEvent> mixed = new ArrayList<>(a.subList(0, 3));
    mixed.add(b.get(3));
    assertThatThrownBy(() -> Chunks.join(mixed)).isInstanceOf(RecordFormatException.class).hasMessageContaining("does not belong");
    List<BufferedEvent> twice = new ArrayList<>(a.subList(0, 3));
    twice.add(a.get(0));
    assertThatThrownBy(() -> Chunks.join(twice)).isInstanceOf(RecordFormatException.class).hasMessageContaining("twice");
    assertThatThrownBy(() -> Chunks.join(List.of(event(10, 3)))).isInstanceOf(RecordFormatException.class);
  }
}
