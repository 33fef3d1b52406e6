package io.spillway.delivery.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DlqGroupsUnitTests {
  final List<DlqGroups.Group> done = new ArrayList<>();
  final DlqGroups groups = new DlqGroups();

  static DlqRecord whole(long offset) {
    return new DlqRecord(0, offset, 1000, "a/a1", "a/a1", false, "http_400", "400", "bad", "1", 1000, "e" + offset, "s" + offset,
        -1, 0, 10, null, null);
  }

  static DlqRecord piece(long offset, String id, int index, int count, String reason, String destination) {
    return new DlqRecord(0, offset, 1000, "a/a1", destination, destination != null, reason, null, "", "0", 1000, "e", id,
        index, count, 3_000_000, null, null);
  }

  static DlqRecord piece(long offset, String id, int index, int count) {
    return piece(offset, id, index, count, "http_413", "a/a1");
  }

  void add(DlqRecord r) {
    groups.add(r, false, done::add);
  }

  @Test
  void wholeRecordsAreEntriesAtOnceAndALargeEventIsOneEntryWhenItsLastPieceCame() {
    add(whole(0));
    add(piece(1, "big", 0, 3));
    add(whole(2)); // another writer slipped in between
    add(piece(3, "big", 2, 3));
    assertThat(done).extracting(g -> g.first.offset()).containsExactly(0L, 2L);
    assertThat(groups.waiting(0)).isTrue();
    add(piece(4, "big", 2, 3)); // a DLQ duplicate changes nothing
    add(piece(5, "big", 1, 3));
    assertThat(done).hasSize(3);
    DlqGroups.Group big = done.get(2);
    assertThat(big.complete()).isTrue();
    assertThat(big.first.id()).isEqualTo("0:1");
    assertThat(big.foundOffsets()).containsExactly(1, 3, 5);
    assertThat(groups.waiting(0)).isFalse();
  }

  @Test
  void piecesWhoseFirstPieceWasNotReadAreOrphansAndTheSameEventForTwoDestinationsIsTwoEntries() {
    add(piece(10, "early", 1, 2)); // its first piece lies before the range
    add(piece(11, "big", 0, 2, "http_400", "a/a1"));
    add(piece(12, "big", 0, 2, "http_400", "b/b1"));
    add(piece(13, "big", 1, 2, "http_400", "b/b1"));
    add(piece(14, "big", 1, 2, "http_400", "a/a1"));
    assertThat(groups.orphans()).isEqualTo(1);
    assertThat(done).extracting(g -> g.first.destination()).containsExactly("b/b1", "a/a1");
    assertThat(done).allSatisfy(g -> assertThat(g.complete()).isTrue());
  }

  @Test
  void anIncompleteEventStartsAtAnyPieceAndEndsAfterTheWindowOrAtTheEnd() {
    add(piece(20, "lost", 1, 4, "incomplete", null));
    add(piece(21, "lost", 3, 4, "incomplete", null));
    assertThat(done).isEmpty();
    add(whole(21 + DlqGroups.WINDOW + 1));
    assertThat(done).hasSize(2);
    assertThat(done.get(1).complete()).isFalse();
    assertThat(done.get(1).found).isEqualTo(2);
    add(piece(30_000, "cut", 0, 2));
    groups.finish(done::add);
    assertThat(done).hasSize(3);
    assertThat(done.get(2).first.spillwayId()).isEqualTo("cut");
    assertThat(done.get(2).complete()).isFalse();
  }

  @Test
  void anEntrySeenOnAnEarlierPageAbsorbsItsPiecesWithoutComingBack() {
    groups.skipEntryOf(piece(40, "big", 0, 2));
    add(piece(41, "big", 1, 2));
    groups.finish(done::add);
    assertThat(done).isEmpty();
    assertThat(groups.orphans()).isZero();
  }

  @Test
  void piecesPastTheEndOnlyFinishEventsBegunInside() {
    add(piece(50, "big", 0, 2));
    groups.add(piece(51, "other", 0, 2), true, done::add);
    groups.add(whole(52), true, done::add);
    groups.add(piece(53, "big", 1, 2), true, done::add);
    assertThat(done).extracting(g -> g.first.spillwayId()).containsExactly("big");
  }
}
