package io.spillway.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/**
 * Golden cases from Relay's relay-pattern and relay-common glob3 tests (matching is always
 * case-insensitive, as Relay's inbound filters use it) and from Sentry's "Glob Matching" docs.
 */
class GlobUnitTests {
  private static void match(String pattern, String text) {
    assertThat(Glob.compile(pattern).matches(text)).as("'%s' should match '%s'", pattern, text).isTrue();
  }

  private static void noMatch(String pattern, String text) {
    assertThat(Glob.compile(pattern).matches(text)).as("'%s' should not match '%s'", pattern, text).isFalse();
  }

  @Test
  void emptyGlobAndEmptyTextNeverMatch() {
    noMatch("", "");
    noMatch("", "foo");
    noMatch("*", "");
    match("*", "a");
    match("*", "\n\n");
  }

  @Test
  void literalsPrefixesSuffixesAndContains() {
    match("foo", "foo");
    match("foo", "fOo");
    match("fOo", "FOO");
    noMatch("foo", "nope");
    match("foo*", "foobarblub");
    match("*blub", "foobarblub");
    match("*bar*", "foobarblub");
    noMatch("foo*", "/foo");
    noMatch("*foo", "foo/");
    match("foo*", "fooඞ");
    match("*ඞ", "fooඞ");
    noMatch("*foo*", "fඞo");
    match("*İ*", "___i\u0307___"); // the lower case of İ is two code points
  }

  @Test
  void newlinesAreOrdinaryCharacters() {
    match("*foo*", "foo\n");
    match("foo*bar", "foo\nbar");
    match("foo*\n*bar", "foo \n bar");
    match("?", "\n");
  }

  @Test
  void anyAndWildcards() {
    noMatch("?", "");
    match("?", "ඞ");
    noMatch("??", "aaa");
    match("a?a?a", "abaca");
    noMatch("a?a?a", "ab_ca");
    noMatch("foo*?*", "foo");
    match("foo*?*?", "foo__");
    noMatch("?*?*foo", "_foo");
    match("?*?*foo", "__foo");
    noMatch("*?*?*", "a");
    match("*?*?*", "ab");
    match("foo*foofoo*foobar", "foofoofooxfoofoobar");
    match("foo*fooFOO*fOobar", "fooFoofooXfoofooBAR");
  }

  @Test
  void ranges() {
    match("1.18.[0-4].*", "1.18.4.2153-2aa83397b");
    noMatch("1.18.[0-4].*", "1.18.5.2153-2aa83397b");
    noMatch("1.18.[!0-4].*", "1.18.4.2153-2aa83397b");
    match("1.18.[!0-4].*", "1.18.5.2153-2aa83397b");
    match("[a]", "A");
    match("x[ab]x", "XBx");
    noMatch("x[ab]x", "Xcx");
    match("[Ǧ]", "ǧ");
    match("[ǧ]", "Ǧ");
    match("[0-9!]", "!");
    match("a[X-]b", "a-b");
    match("a[X-]b", "aXb");
    match("a[-x]b", "a-b");
    match("[\\]]", "]");
    match("[!\\]]", "a");
    noMatch("[!\\]]", "]");
    noMatch("[!ab]", "A");
    match("[!ab]", "C");
  }

  @Test
  void negationOnlyInsideBrackets() {
    noMatch("!1.18.4.*", "1.18.4.2153-2aa83397b");
    noMatch("!1.18.4.*", "1.18.5.2153-2aa83397b");
    match("!*!*.md", "!foo!.md");
  }

  @Test
  void alternatives() {
    match("{foo,bar}", "BAR");
    noMatch("{foo,bar}", "fooo");
    match("foo/{*.js,*.html}", "foo/bar.html");
    noMatch("foo/{*.js,*.html}", "foo/bar.png");
    match("{foo,abc}{def,bar}", "abcbar");
    noMatch("{foo,abc}{def,bar}", "fooabc");
    match("a{[a-z],?}a", "aXa");
    match("a{\\[\\],\\{\\}}a", "a{}a");
    noMatch("a{\\[\\],\\{\\}}a", "a[}a");
    match("{foo,*}", "anything");
    match("f{b,a,r}o", "fao");
    noMatch("{}", "x");
    // Sentry's "React hydration error" pattern (relay-filter error_messages tests)
    match("*https://reactjs.org/docs/error-decoder.html?invariant={418,419,422,423,425}*",
        "Error: Minified React error #423; visit https://reactjs.org/docs/error-decoder.html?invariant=423 for the full message");
  }

  @Test
  void escapes() {
    match("f\\*o", "f*o");
    noMatch("f\\*o", "f\\*o");
    match("f\\\\*o", "f\\___o");
    match("f\\[\\]o", "f[]o");
    match("/api/0/organizations/\\{organization_slug\\}/event*", "/api/0/organizations/{organization_slug}/event/foobar");
    noMatch("/api/0/organizations/\\{organization_slug\\}/event*", "/api/0/organizations/\\{organization_slug\\}/event/foobar");
  }

  @Test
  void invalidGlobsSayWhy() {
    for (String bad : List.of("\\", "f\\", "*\\", "[", "[a-z", "[a-z\\", "[[]", "]", "[b-a]", "[a-A]", "{a,{b}}", "{a", "a}")) {
      assertThatThrownBy(() -> Glob.compile(bad)).as(bad).isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("null");
    }
    assertThatThrownBy(() -> Glob.compile("1.[")).hasMessageContaining("unbalanced character class");
    assertThatThrownBy(() -> Glob.compile("[z-a]")).hasMessageContaining("z-a");
  }

  @Test
  void sentryDocsExamples() {
    match("*panic*", "a PANIC here");
    match("*panic*", "PaNiC");
    match("my-example@1.*", "my-example@1.4.0-beta.1");
    match("1.2.*", "1.2.3");
    match("1.2.[!3]", "1.2.4");
    noMatch("1.2.[!3]", "1.2.3");
    match("*ConnectionError*", "ConnectionError: timed out");
  }

  @Property
  void aLiteralGlobMatchesItselfInAnyCase(@ForAll @AlphaChars @StringLength(min = 1, max = 40) String s) {
    assertThat(Glob.compile(s).matches(s.toUpperCase())).isTrue();
    assertThat(Glob.compile("*" + s + "*").matches("xx" + s + "yy")).isTrue();
    assertThat(Glob.compile(s + "?").matches(s)).isFalse();
  }
}
