package io.spillway.delivery.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import io.spillway.delivery.upstream.RateLimitHeader.Limit;
import io.spillway.delivery.upstream.RateLimitHeader.Scope;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.Scale;
import org.junit.jupiter.api.Test;

class RateLimitHeaderUnitTests {

  @Test
  void examplesFromTheProtocolDoc() {
    assertThat(RateLimitHeader.parse("60:transaction:key, 2700:default;error;security:organization")).containsExactly(
        new Limit(Duration.ofSeconds(60), Set.of("transaction"), Scope.KEY),
        new Limit(Duration.ofSeconds(2700), Set.of("default", "error", "security"), Scope.ORGANIZATION));
    assertThat(RateLimitHeader.parse("60::organization, 2700::organization")).containsExactly(
        new Limit(Duration.ofSeconds(60), Set.of(), Scope.ORGANIZATION),
        new Limit(Duration.ofSeconds(2700), Set.of(), Scope.ORGANIZATION));
    assertThat(RateLimitHeader.parse("2700:metric_bucket:organization:quota_exceeded:custom")).containsExactly(
        new Limit(Duration.ofSeconds(2700), Set.of("metric_bucket"), Scope.ORGANIZATION));
  }

  @Test
  void floatSecondsRoundUpAndOddValuesAreClamped() {
    assertThat(RateLimitHeader.parse("0.2:error:project").get(0).retryAfter()).isEqualTo(Duration.ofSeconds(1));
    assertThat(RateLimitHeader.parse("10.5::key").get(0).retryAfter()).isEqualTo(Duration.ofSeconds(11));
    assertThat(RateLimitHeader.parse("-5::key").get(0).retryAfter()).isEqualTo(Duration.ZERO);
    assertThat(RateLimitHeader.parse("99999999999999999999::key").get(0).retryAfter())
        .isEqualTo(Duration.ofSeconds(RateLimitHeader.MAX_SECONDS));
  }

  @Test
  void emptyOrUnknownScopeIsTheMostSpecificAndUnknownCategoriesAreKept() {
    assertThat(RateLimitHeader.parse("60:error:").get(0).scope()).isEqualTo(Scope.KEY);
    assertThat(RateLimitHeader.parse("60:error").get(0).scope()).isEqualTo(Scope.KEY);
    assertThat(RateLimitHeader.parse("60:error:galaxy").get(0).scope()).isEqualTo(Scope.KEY);
    assertThat(RateLimitHeader.parse("60:Error;made_up_thing:project").get(0).categories())
        .containsExactlyInAnyOrder("error", "made_up_thing");
  }

  @Test
  void malformedGroupsAreSkippedNotFatal() {
    assertThat(RateLimitHeader.parse(null)).isEmpty();
    assertThat(RateLimitHeader.parse("")).isEmpty();
    assertThat(RateLimitHeader.parse("garbage, 60::key, nope:error:key, NaN::key, 1e3::key")).containsExactly(
        new Limit(Duration.ofSeconds(60), Set.of(), Scope.KEY));
  }

  @Test
  void retryAfterSecondsOrHttpDate() {
    long now = 1_700_000_000_000L;
    assertThat(RateLimitHeader.retryAfter("10", now)).isEqualTo(Duration.ofSeconds(10));
    assertThat(RateLimitHeader.retryAfter("1.5", now)).isEqualTo(Duration.ofSeconds(2));
    assertThat(RateLimitHeader.retryAfter("Tue, 14 Nov 2023 22:13:50 GMT", now)).isEqualTo(Duration.ofSeconds(30));
    assertThat(RateLimitHeader.retryAfter("soon", now)).isNull();
    assertThat(RateLimitHeader.retryAfter(null, now)).isNull();
  }

  @Property(tries = 2000)
  void neverThrowsOnAnyText(@ForAll String header) {
    List<Limit> limits = RateLimitHeader.parse(header);
    assertThat(limits).allSatisfy(l -> assertThat(l.retryAfter()).isBetween(Duration.ZERO,
        Duration.ofSeconds(RateLimitHeader.MAX_SECONDS)));
    RateLimitHeader.retryAfter(header, 0);
  }

  @Property(tries = 2000)
  void neverThrowsOnHeaderShapedText(@ForAll("headerish") String header) {
    RateLimitHeader.parse(header);
  }

  @Property(tries = 1000)
  void formattedLimitsParseBack(@ForAll @DoubleRange(min = 0.001, max = 100000) @Scale(3) double seconds,
      @ForAll("categories") Set<String> categories, @ForAll Scope scope, @ForAll("reason") String reason) {
    String header = "  " + seconds + ":" + String.join(";", categories) + ":" + scope.name().toLowerCase()
        + (reason.isEmpty() ? "" : ":" + reason) + " , 5::key";
    List<Limit> limits = RateLimitHeader.parse(header);
    assertThat(limits).hasSize(2);
    assertThat(limits.get(0).retryAfter()).isEqualTo(Duration.ofSeconds((long) Math.ceil(seconds)));
    assertThat(limits.get(0).categories()).isEqualTo(categories);
    assertThat(limits.get(0).scope()).isEqualTo(scope);
  }

  @Provide
  Arbitrary<String> headerish() {
    return Arbitraries.strings().withChars("0123456789.:;, -abcdefgkeyorganizationprojectNaE").ofMaxLength(60);
  }

  @Provide
  Arbitrary<Set<String>> categories() {
    return Arbitraries.of("error", "transaction", "default", "security", "attachment", "session", "monitor", "made_up")
        .set().ofMaxSize(4);
  }

  @Provide
  Arbitrary<String> reason() {
    return Arbitraries.of("", "quota_exceeded", "quota_exceeded:custom", "x:y:z");
  }
}
