package io.spillway.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.spillway.schemas.KafkaForm;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.NumericChars;
import net.jqwik.api.constraints.StringLength;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class DedupUnitTests {
  @Test
  void theSameRecordProcessedAgainIsNotACopy() {
    byte[] first = Dedup.where("dc1.spillway.events", 2, 1500);
    assertThat(Dedup.verdict(first, Dedup.where("dc1.spillway.events", 2, 1500))).isEqualTo(Dedup.Verdict.SAME_RECORD);
    assertThat(Dedup.verdict(first, Dedup.where("dc1.spillway.events", 2, 1501))).isEqualTo(Dedup.Verdict.DUPLICATE);
    assertThat(Dedup.verdict(first, Dedup.where("dc1.spillway.events", 3, 1500))).isEqualTo(Dedup.Verdict.DUPLICATE);
    assertThat(Dedup.verdict(first, Dedup.where("spillway.events", 2, 1500))).isEqualTo(Dedup.Verdict.DUPLICATE);
  }

  @Test
  void replaysAndRedrivesAreAskedForAndNotCopies() {
    RecordHeaders plain = new RecordHeaders();
    plain.add("spillway.id", new byte[] {1});
    assertThat(Dedup.exempt(plain)).isFalse();
    RecordHeaders replay = new RecordHeaders();
    replay.add(KafkaForm.REPLAY, "01J0REPLAYID".getBytes());
    assertThat(Dedup.exempt(replay)).isTrue();
    RecordHeaders redrive = new RecordHeaders();
    redrive.add(KafkaForm.REDRIVE, "0:42".getBytes());
    assertThat(Dedup.exempt(redrive)).isTrue();
  }

  @Test
  void thePiecesOfALargeEventAreToldApartAndARecordWithoutIdIsNotChecked() {
    RecordHeaders whole = new RecordHeaders();
    whole.add("spillway.id", "01JABCDEF".getBytes());
    assertThat(new String(Dedup.key(whole))).isEqualTo("01JABCDEF");
    RecordHeaders piece = new RecordHeaders();
    piece.add("spillway.id", "01JABCDEF".getBytes());
    piece.add("spillway.chunk", "1/3".getBytes());
    assertThat(new String(Dedup.key(piece))).isEqualTo("01JABCDEF#1/3");
    assertThat(Dedup.key(new RecordHeaders())).isNull();
  }

  /** Two places are equal exactly when topic, partition and offset are. */
  @Property(tries = 300)
  void placesAreEqualOnlyWhenTheyAreTheSame(@ForAll @AlphaChars @NumericChars @StringLength(min = 1, max = 40) String t1,
      @ForAll @AlphaChars @StringLength(min = 1, max = 40) String t2, @ForAll int p1, @ForAll int p2, @ForAll long o1, @ForAll long o2) {
    boolean same = t1.equals(t2) && p1 == p2 && o1 == o2;
    assertThat(Dedup.verdict(Dedup.where(t1, p1, o1), Dedup.where(t2, p2, o2)))
        .isEqualTo(same ? Dedup.Verdict.SAME_RECORD : Dedup.Verdict.DUPLICATE);
    assertThat(Dedup.describe(Dedup.where(t1, p1, o1))).isEqualTo(t1 + "-" + p1 + "@" + o1);
  }
}
