package io.spillway.delivery.pending;

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
    assertThat(PendingEvent.peek(p.toBytes())).isEqualTo(new PendingEvent.Peek(1234, Set.of("error", "attachment"), "wow/vod_be", false, 0));
    PendingEvent copy = p.forTarget("saas/shop");
    assertThat(PendingEvent.fromBytes(copy.toBytes()).targetRoute()).isEqualTo("saas/shop");
    assertThat(PendingEvent.peek(copy.toBytes()).route()).isEqualTo("saas/shop");
    PendingEvent unknown = new PendingEvent(0, 0, null, null, new byte[0], 0, List.of());
    assertThat(PendingEvent.fromBytes(unknown.toBytes()).categories()).isNull();
    assertThat(PendingEvent.fromBytes(unknown.toBytes()).key()).isNull();
  }

  @Test
  void keysOfOneUpstreamSortTogetherInArrivalOrder() {
    byte[][] range = PendingKey.range("wow");
    Bytes from = Bytes.wrap(range[0]);
    Bytes to = Bytes.wrap(range[1]);
    Bytes a = Bytes.wrap(PendingKey.of("wow", "t", 0, 5, "p"));
    Bytes b = Bytes.wrap(PendingKey.of("wow", "t", 0, 300, "p"));
    Bytes c = Bytes.wrap(PendingKey.of("wow", "t", 1, 0, "p"));
    Bytes other = Bytes.wrap(PendingKey.of("wow2", "t", 0, 0, "p"));
    Bytes before = Bytes.wrap(PendingKey.of("wo", "t", 0, 0, "p"));
    Bytes piece = ChunkGroups.pieceKey("01JDQ6Z8Y3M4N5P6Q7R8S9T0VW", 0);
    assertThat(List.of(a, b, c)).allSatisfy(k -> assertThat(k.compareTo(from) >= 0 && k.compareTo(to) < 0).isTrue());
    assertThat(other.compareTo(to) >= 0).isTrue();
    assertThat(before.compareTo(from) < 0).isTrue();
    assertThat(piece.compareTo(from) < 0).as("pieces of large events are outside every upstream's range").isTrue();
    assertThat(PendingKey.isEvent(piece.get())).isFalse();
    assertThat(a.compareTo(b) < 0 && b.compareTo(c) < 0).isTrue();
    assertThat(Arrays.equals(PendingKey.of("wow", "t", 0, 5, "p"), PendingKey.of("wow", "t", 0, 5, "p"))).isTrue();
    assertThat(Arrays.equals(PendingKey.of("wow", "t", 0, 5, "p"), PendingKey.of("wow", "dc1.t", 0, 5, "p"))).as("topics do not collide").isFalse();
    assertThat(Arrays.equals(PendingKey.of("wow", "t", 0, 5, "p"), PendingKey.of("wow", "t", 0, 5, "q"))).as("nor projects").isFalse();
  }

  @Property(tries = 500)
  void aStoreKeyGivesBackItsParts(@ForAll("names") String upstream, @ForAll("topics") String topic,
      @ForAll @IntRange(min = 0, max = 1 << 20) int partition, @ForAll @LongRange(min = 0) long offset, @ForAll("names") String project) {
    byte[] key = PendingKey.of(upstream, topic, partition, offset, project);
    assertThat(PendingKey.upstreamOf(key)).isEqualTo(upstream);
    assertThat(PendingKey.topicOf(key, "main")).isEqualTo(topic);
    assertThat(PendingKey.partitionOf(key)).isEqualTo(partition);
    assertThat(PendingKey.offsetOf(key)).isEqualTo(offset);
    assertThat(PendingKey.projectOf(key)).isEqualTo(project);
  }

  /** Keys written before they carried the topic and project (upstream \0 partition offset) are still read. */
  @Property(tries = 200)
  void legacyKeysAreStillRead(@ForAll("names") String upstream, @ForAll @IntRange(min = 0, max = 1 << 20) int partition,
      @ForAll @LongRange(min = 0) long offset) {
    byte[] u = upstream.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] key = java.nio.ByteBuffer.allocate(u.length + 13).put(u).put((byte) 0).putInt(partition).putLong(offset).array();
    assertThat(PendingKey.upstreamOf(key)).isEqualTo(upstream);
    assertThat(PendingKey.topicOf(key, "main")).isEqualTo("main");
    assertThat(PendingKey.partitionOf(key)).isEqualTo(partition);
    assertThat(PendingKey.offsetOf(key)).isEqualTo(offset);
    assertThat(PendingKey.projectOf(key)).isNull();
  }

  @Provide
  Arbitrary<String> topics() {
    return Arbitraries.strings().withCharRange('a', 'z').withChars('.', '-', '_').ofMinLength(1).ofMaxLength(60);
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
    assertThat(PendingEvent.peek(p.toBytes())).isEqualTo(new PendingEvent.Peek(0, null, "a/b", true, 0));
    assertThat(PendingEvent.fromBytes(q.withAttempt().toBytes()).deadLetter()).isNotNull();
  }
}
