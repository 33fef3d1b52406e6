package io.spillway.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.spillway.schemas.KafkaForm;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.utils.Bytes;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class PendingEventUnitTests {
  @Test
  void roundTripsAndPeeks() {
    PendingEvent p = new PendingEvent(3, 1234, Set.of("error", "attachment"), "wow/vod_be".getBytes(), new byte[] {1, 2, 3}, 99,
        List.of(new KafkaForm.Header("spillway.id", "abc".getBytes()), new KafkaForm.Header("x", null)));
    PendingEvent q = PendingEvent.fromBytes(p.toBytes());
    assertThat(q.attempts()).isEqualTo(3);
    assertThat(q.notBefore()).isEqualTo(1234);
    assertThat(q.categories()).isEqualTo(Set.of("error", "attachment"));
    assertThat(q.key()).isEqualTo(p.key());
    assertThat(q.value()).isEqualTo(p.value());
    assertThat(q.timestamp()).isEqualTo(99);
    assertThat(q.headers()).hasSize(2);
    assertThat(q.headers().get(0).value()).isEqualTo("abc".getBytes());
    assertThat(q.headers().get(1).value()).isNull();
    assertThat(PendingEvent.peek(p.toBytes())).isEqualTo(new PendingEvent.Peek(1234, Set.of("error", "attachment"), "wow/vod_be", false));
    PendingEvent unknown = new PendingEvent(0, 0, null, null, new byte[0], 0, List.of());
    assertThat(PendingEvent.fromBytes(unknown.toBytes()).categories()).isNull();
    assertThat(PendingEvent.fromBytes(unknown.toBytes()).key()).isNull();
  }

  @Test
  void keysOfOneUpstreamSortTogetherInArrivalOrder() {
    byte[][] range = PendingEvent.range("wow");
    Bytes from = Bytes.wrap(range[0]);
    Bytes to = Bytes.wrap(range[1]);
    Bytes a = Bytes.wrap(PendingEvent.storeKey("wow", 0, 5));
    Bytes b = Bytes.wrap(PendingEvent.storeKey("wow", 0, 300));
    Bytes c = Bytes.wrap(PendingEvent.storeKey("wow", 1, 0));
    Bytes other = Bytes.wrap(PendingEvent.storeKey("wow2", 0, 0));
    Bytes before = Bytes.wrap(PendingEvent.storeKey("wo", 0, 0));
    assertThat(List.of(a, b, c)).allSatisfy(k -> assertThat(k.compareTo(from) >= 0 && k.compareTo(to) < 0).isTrue());
    assertThat(other.compareTo(to) >= 0).isTrue();
    assertThat(before.compareTo(from) < 0).isTrue();
    assertThat(a.compareTo(b) < 0 && b.compareTo(c) < 0).isTrue();
    assertThat(Arrays.equals(PendingEvent.storeKey("wow", 0, 5), PendingEvent.storeKey("wow", 0, 5))).isTrue();
  }

  @Property(tries = 500)
  void aStoreKeyGivesBackItsParts(@ForAll("names") String upstream, @ForAll @IntRange(min = 0) int partition, @ForAll @LongRange(min = 0) long offset) {
    byte[] key = PendingEvent.storeKey(upstream, partition, offset);
    assertThat(PendingEvent.upstreamOf(key)).isEqualTo(upstream);
    assertThat(PendingEvent.partitionOf(key)).isEqualTo(partition);
    assertThat(PendingEvent.offsetOf(key)).isEqualTo(offset);
  }

  @Provide
  Arbitrary<String> names() {
    return Arbitraries.strings().withCharRange('a', 'z').withChars('-', '_').ofMinLength(1).ofMaxLength(40);
  }

  @Test
  void deadLetterMarkRoundTrips() {
    PendingEvent p = new PendingEvent(2, 0, null, "a/b".getBytes(), new byte[] {9}, 5, List.of())
        .withDeadLetter("http_400", 400, "invalid envelope");
    PendingEvent q = PendingEvent.fromBytes(p.toBytes());
    assertThat(q.deadLetter()).isEqualTo(new PendingEvent.DeadLetterMark("http_400", 400, "invalid envelope"));
    assertThat(q.value()).isEqualTo(new byte[] {9});
    assertThat(PendingEvent.peek(p.toBytes())).isEqualTo(new PendingEvent.Peek(0, null, "a/b", true));
    assertThat(PendingEvent.fromBytes(q.withAttempt().toBytes()).deadLetter()).isNotNull();
  }
}
