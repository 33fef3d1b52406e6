package io.spillway.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class GapLedgerUnitTests {
  @Test
  void theWatchAndTheTailReportingOneGapCountItOnce() {
    GapLedger ledger = new GapLedger();
    // the watch: log start 500 passed the last copied offset 99 (offsets 100..499 are gone)
    assertThat(ledger.report("dc1", 0, 100, 500, 1, "log start")).isEqualTo(400);
    // MM2 resumes and its consumer jumps to the log start, now 520: the tail sees 99 -> 520
    assertThat(ledger.report("dc1", 0, 100, 520, 2, "copy jumped")).isEqualTo(20);
    assertThat(ledger.report("dc1", 0, 100, 520, 3, "copy jumped")).isZero();
    assertThat(ledger.total("dc1")).isEqualTo(420);
    assertThat(ledger.total("dc2")).isZero();
    assertThat(ledger.recent("dc1")).extracting(GapLedger.Gap::records).containsExactly(400L, 20L);
  }

  @Test
  void partitionsAndDatacentersAreCountedApart() {
    GapLedger ledger = new GapLedger();
    ledger.report("dc1", 0, 10, 20, 1, "x");
    ledger.report("dc1", 1, 10, 20, 1, "x");
    ledger.report("dc2", 0, 10, 20, 1, "x");
    assertThat(ledger.total("dc1")).isEqualTo(20);
    assertThat(ledger.total("dc2")).isEqualTo(10);
  }

  /**
   * Observers report ranges that start at the last copied offset + 1, which only moves forward; in
   * that order, whatever the overlaps, the count is the number of distinct offsets reported.
   */
  @Property(tries = 300)
  void everyReportedOffsetIsCountedOnce(@ForAll @Size(max = 30) List<@IntRange(min = 0, max = 200) Integer> starts,
      @ForAll @Size(max = 30) List<@IntRange(min = 0, max = 60) Integer> lengths) {
    GapLedger ledger = new GapLedger();
    List<Integer> from = starts.stream().sorted().toList();
    BitSet union = new BitSet();
    long reported = 0;
    for (int i = 0; i < Math.min(from.size(), lengths.size()); i++) {
      int f = from.get(i);
      int t = f + lengths.get(i);
      union.set(f, t);
      reported += ledger.report("dc", 0, f, t, i, "p");
    }
    assertThat(reported).isEqualTo(union.cardinality()).isEqualTo(ledger.total("dc"));
  }
}
