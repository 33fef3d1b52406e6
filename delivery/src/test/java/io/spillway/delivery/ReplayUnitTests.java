package io.spillway.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spillway.schemas.Route;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReplayUnitTests {
  static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");

  @Test
  void boundsParseTimesRelativeTimesAndOffsets() {
    assertThat(Replay.parseBound("now", NOW)).isEqualTo(new Replay.At(NOW));
    assertThat(Replay.parseBound("2026-11-27T10:00:00Z", NOW)).isEqualTo(new Replay.At(Instant.parse("2026-11-27T10:00:00Z")));
    assertThat(Replay.parseBound("-2h", NOW)).isEqualTo(new Replay.At(Instant.parse("2026-11-27T10:00:00Z")));
    assertThat(Replay.parseBound("-30m", NOW)).isEqualTo(new Replay.At(Instant.parse("2026-11-27T11:30:00Z")));
    assertThat(Replay.parseBound("-45s", NOW)).isEqualTo(new Replay.At(Instant.parse("2026-11-27T11:59:15Z")));
    assertThat(Replay.parseBound("-1d", NOW)).isEqualTo(new Replay.At(Instant.parse("2026-11-26T12:00:00Z")));
    assertThat(Replay.parseBound("1500", NOW)).isEqualTo(new Replay.Offsets(Map.of(), 1500L));
    assertThat(Replay.parseBound("0:120,2:98", NOW)).isEqualTo(new Replay.Offsets(Map.of(0, 120L, 2, 98L), null));
  }

  @Test
  void badBoundsSayWhatIsExpected() {
    assertThatThrownBy(() -> Replay.parseBound("yesterday", NOW)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-2h").hasMessageContaining("0:120");
    assertThatThrownBy(() -> Replay.parseBound("0:1,0:2", NOW)).hasMessageContaining("partition 0 given twice");
    assertThatThrownBy(() -> Replay.parseBound("+2h", NOW)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void selectionMatchesTheRecordKey() {
    byte[] a1 = "a/a1".getBytes(StandardCharsets.UTF_8);
    byte[] ab = "ab/x".getBytes(StandardCharsets.UTF_8);
    assertThat(Replay.Selection.all().matches(a1)).isTrue();
    assertThat(Replay.Selection.all().matches(null)).isTrue();
    assertThat(new Replay.Selection(new Route("a", "a1"), null).matches(a1)).isTrue();
    assertThat(new Replay.Selection(new Route("a", "a2"), null).matches(a1)).isFalse();
    assertThat(new Replay.Selection(null, "a").matches(a1)).isTrue();
    assertThat(new Replay.Selection(null, "a").matches(ab)).as("upstream a is not a prefix of ab").isFalse();
    assertThat(new Replay.Selection(null, "a").matches(null)).isFalse();
    assertThatThrownBy(() -> new Replay.Selection(new Route("a", "a1"), "a")).isInstanceOf(IllegalArgumentException.class);
  }
}
