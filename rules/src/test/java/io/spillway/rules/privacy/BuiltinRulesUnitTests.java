package io.spillway.rules.privacy;

import static io.spillway.rules.privacy.Scrub.customRule;
import static io.spillway.rules.privacy.Scrub.stringRule;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Relay's built-in rules on the examples of relay-pii's {@code builtin.rs} tests (each rule applied to
 * {@code $string}), and the custom-rule variants of the same examples. Differences from Relay, on
 * purpose: card numbers are Luhn-checked (so Relay's example 4571 2345 6789 0111, which fails the
 * checksum, is replaced by a valid Visa number), and {@code @imei:mask} masks.
 */
class BuiltinRulesUnitTests {

  @Test
  void ipv4() {
    assertThat(stringRule("@ip", "before 127.0.0.1 after")).isEqualTo("before [ip] after");
    assertThat(stringRule("@ip:replace", "before 127.0.0.1 after")).isEqualTo("before [ip] after");
    assertThat(customRule("ip", "replace", "before 127.0.0.1 after")).isEqualTo("before [Filtered] after");
    assertThat(stringRule("@ip:hash", "before 127.0.0.1 after")).isEqualTo("before AE12FE3B5F129B5CC4CDD2B136B7B7947C4D2741 after");
    assertThat(customRule("ip", "hash", "before 127.0.0.1 after")).isEqualTo("before AE12FE3B5F129B5CC4CDD2B136B7B7947C4D2741 after");
    assertThat(stringRule("@ip:remove", "before 127.0.0.1 after")).isEqualTo("before  after");
    assertThat(stringRule("@ip:mask", "before 127.0.0.1 after")).isEqualTo("before ********* after");
  }

  @Test
  void ipv6() {
    assertThat(stringRule("@ip", "before ::1 after")).isEqualTo("before [ip] after");
    assertThat(stringRule("@ip:replace", "[2001:0db8:85a3:0000:0000:8a2e:0370:7334]")).isEqualTo("[[ip]]");
    assertThat(customRule("ip", "replace", "[2001:0db8:85a3:0000:0000:8a2e:0370:7334]")).isEqualTo("[[Filtered]]");
    assertThat(stringRule("@ip:hash", "before 2001:0db8:85a3:0000:0000:8a2e:0370:7334 after"))
        .isEqualTo("before 8C3DC9BEED9ADE493670547E24E4E45EDE69FF03 after");
    assertThat(stringRule("@ip", "foo::1")).isEqualTo("foo::1");
  }

  @Test
  void timestampsAndVersionsAreNotIps() {
    assertThat(stringRule("@ip", "2026-11-27T03:48:13.749Z")).isEqualTo("2026-11-27T03:48:13.749Z");
    assertThat(stringRule("@ip", "shop@1.4.2")).isEqualTo("shop@1.4.2");
  }

  @Test
  void imei() {
    assertThat(stringRule("@imei", "before 356938035643809 after")).isEqualTo("before [imei] after");
    assertThat(stringRule("@imei:replace", "before 356938035643809 after")).isEqualTo("before [imei] after");
    assertThat(customRule("imei", "replace", "before 356938035643809 after")).isEqualTo("before [Filtered] after");
    assertThat(stringRule("@imei:hash", "before 356938035643809 after"))
        .isEqualTo("before 3888108AA99417402969D0B47A2CA4ECD2A1AAD3 after");
    assertThat(stringRule("@imei:mask", "before 356938035643809 after")).isEqualTo("before *************** after");
  }

  @Test
  void mac() {
    assertThat(stringRule("@mac", "ether 4a:00:04:10:9b:50")).isEqualTo("ether *****************");
    assertThat(stringRule("@mac:mask", "ether 4a:00:04:10:9b:50")).isEqualTo("ether *****************");
    assertThat(customRule("mac", "mask", "ether 4a:00:04:10:9b:50")).isEqualTo("ether *****************");
    assertThat(stringRule("@mac:replace", "ether 4a:00:04:10:9b:50")).isEqualTo("ether [mac]");
    assertThat(customRule("mac", "replace", "ether 4a:00:04:10:9b:50")).isEqualTo("ether [Filtered]");
    assertThat(stringRule("@mac:hash", "ether 4a:00:04:10:9b:50")).isEqualTo("ether 6220F3EE59BF56B32C98323D7DE43286AAF1F8F1");
  }

  @Test
  void uuid() {
    String in = "user id ceee0822-ed8f-4622-b2a3-789e73e75cd1";
    assertThat(stringRule("@uuid", in)).isEqualTo("user id ************************************");
    assertThat(stringRule("@uuid:mask", in)).isEqualTo("user id ************************************");
    assertThat(stringRule("@uuid:hash", in)).isEqualTo("user id EBFA4DBDAA4A619F10B6DE2ABB630DE0122F5CDB");
    assertThat(stringRule("@uuid:replace", in)).isEqualTo("user id [uuid]");
    assertThat(customRule("uuid", "replace", in)).isEqualTo("user id [Filtered]");
  }

  @Test
  void email() {
    String in = "John Appleseed <john@appleseed.com>";
    assertThat(stringRule("@email", in)).isEqualTo("John Appleseed <[email]>");
    assertThat(stringRule("@email:replace", in)).isEqualTo("John Appleseed <[email]>");
    assertThat(customRule("email", "replace", in)).isEqualTo("John Appleseed <[Filtered]>");
    assertThat(stringRule("@email:mask", in)).isEqualTo("John Appleseed <******************>");
    assertThat(stringRule("@email:hash", in)).isEqualTo("John Appleseed <33835528AC0FFF1B46D167C35FEAAA6F08FD3F46>");
  }

  @Test
  void iban() {
    String in = "some iban: DE89370400440532013000!";
    assertThat(stringRule("@iban", in)).isEqualTo("some iban: [iban]!");
    assertThat(stringRule("@iban:mask", in)).isEqualTo("some iban: **********************!");
    assertThat(customRule("iban", "replace", in)).isEqualTo("some iban: [Filtered]!");
    assertThat(stringRule("@iban:hash", in)).isEqualTo("some iban: 8A1248B6F40D38FBC59ADE6AD0DF69C7BB9C936A!");
    // Not inside a word, not shorter than Norway's, not longer than Russia's, must start with two capitals.
    assertThat(stringRule("@iban", "some iban: NO9386011117945!")).isEqualTo("some iban: [iban]!");
    assertThat(stringRule("@iban", "fooNO9386011117945bar")).isEqualTo("fooNO9386011117945bar");
    assertThat(stringRule("@iban", "some iban: NO938601111794!")).isEqualTo("some iban: NO938601111794!");
    assertThat(stringRule("@iban", "some iban: RU0204452560040702810412345678901!")).isEqualTo("some iban: [iban]!");
    assertThat(stringRule("@iban", "some iban: RU02044525600407028104123456789010!"))
        .isEqualTo("some iban: RU02044525600407028104123456789010!");
    assertThat(stringRule("@iban", "some iban: N19386011117945!")).isEqualTo("some iban: N19386011117945!");
  }

  @Test
  void validIbansOfManyCountries() {
    // A sample of relay's test_valid_iban_codes list (digits randomised there).
    for (String code : List.of("AD5878942710639732891555", "AT894962316580861740", "BE02622338508282",
        "CH9094408966251267229", "DE33286483480880127754", "ES1855993856250575846003", "FR1014777374033381713M74535",
        "GB24NWBK56308374074647", "IT53X5801219709784172710195", "NL96ABNA5744731632", "NO9058068238671",
        "PL12349940962957508091419645", "SE1264086862739970624960", "MT51MALT379454641617MTLCAST058S")) {
      assertThat(stringRule("@iban", "some iban: " + code + "!")).as(code).isEqualTo("some iban: [iban]!");
    }
  }

  @Test
  void creditcard() {
    assertThat(stringRule("@creditcard", "John Appleseed 4111111111111111!")).isEqualTo("John Appleseed [creditcard]!");
    assertThat(stringRule("@creditcard", "John Appleseed 4111 1111 1111 1111!")).isEqualTo("John Appleseed [creditcard]!");
    assertThat(stringRule("@creditcard:mask", "John Appleseed 4111111111111111!")).isEqualTo("John Appleseed ****************!");
    assertThat(customRule("creditcard", "replace", "John Appleseed 4111111111111111!")).isEqualTo("John Appleseed [Filtered]!");
    assertThat(stringRule("@creditcard:hash", "John Appleseed 4571234567890111!"))
        .as("Relay's example number fails the Luhn check, so it is kept").isEqualTo("John Appleseed 4571234567890111!");
    assertThat(stringRule("@creditcard", "amex 378282246310005, discover 6011111111111117, mc 5555-5555-5555-4444"))
        .isEqualTo("amex [creditcard], discover [creditcard], mc [creditcard]");
    assertThat(stringRule("@creditcard", "ts 1453843029218310")).isEqualTo("ts 1453843029218310");
  }

  @Test
  void pemkey() {
    String in = """
        This is a comment I left on my key

                    -----BEGIN EC PRIVATE KEY-----
        MIHbAgEBBEFbLvIaAaez3q0u6BQYMHZ28B7iSdMPPaODUMGkdorl3ShgTbYmzqGL
        fojr3jkJIxFS07AoLQpsawOFZipxSQHieaAHBgUrgQQAI6GBiQOBhgAEAdaBHsBo
        -----END EC PRIVATE KEY-----""";
    assertThat(stringRule("@pemkey", in)).isEqualTo("""
        This is a comment I left on my key

                    -----BEGIN EC PRIVATE KEY-----
        [pemkey]
        -----END EC PRIVATE KEY-----""");
  }

  @Test
  void urlauth() {
    assertThat(stringRule("@urlauth", "https://username:password@example.com/")).isEqualTo("https://[auth]@example.com/");
    assertThat(stringRule("@urlauth:replace", "https://username:password@example.com/")).isEqualTo("https://[auth]@example.com/");
    assertThat(stringRule("@urlauth:hash", "https://username:password@example.com/"))
        .isEqualTo("https://2F82AB8A5E3FAD655B5F81E3BEA30D2A14FEF2AC@example.com/");
  }

  @Test
  void usssn() {
    String in = "Hi I'm Hilda and my SSN is 078-05-1120";
    assertThat(stringRule("@usssn", in)).isEqualTo("Hi I'm Hilda and my SSN is ***********");
    assertThat(stringRule("@usssn:replace", in)).isEqualTo("Hi I'm Hilda and my SSN is [us-ssn]");
    assertThat(stringRule("@usssn:hash", in)).isEqualTo("Hi I'm Hilda and my SSN is 01328BB9C55B35F354FBC7B60CADAC789DC2035C");
  }

  @Test
  void userpath() {
    assertThat(stringRule("@userpath", "C:\\Users\\mitsuhiko\\Desktop")).isEqualTo("C:\\Users\\[user]\\Desktop");
    assertThat(stringRule("@userpath", "make\n export PATH=$PATH:$HOME/collectd_exporter\n log"))
        .isEqualTo("make\n export PATH=$PATH:$HOME/[user]\n log");
    assertThat(stringRule("@userpath:replace", "File in /Users/mitsuhiko/Development/sentry-stripping"))
        .isEqualTo("File in /Users/[user]/Development/sentry-stripping");
    assertThat(stringRule("@userpath:replace", "C:\\Windows\\Profiles\\Armin\\Temp")).isEqualTo("C:\\Windows\\Profiles\\[user]\\Temp");
    assertThat(stringRule("@userpath:hash", "File in /Users/mitsuhiko/Development/sentry-stripping"))
        .isEqualTo("File in /Users/A8791A1A8D11583E0200CC1B9AB971B4D78B8A69/Development/sentry-stripping");
    assertThat(stringRule("@userpath", "C:\\Documents and Settings\\jane\\file.txt"))
        .as("the docs' example (Relay's verbose pattern loses the spaces)").isEqualTo("C:\\Documents and Settings\\[user]\\file.txt");
  }

  @Test
  void bearer() {
    assertThat(stringRule("@bearer", "Authorization: Bearer A1BBC234QWERTY0987MNBV012765HJKL"))
        .isEqualTo("Authorization: [Filtered]");
  }

  @Test
  void anything() {
    assertThat(stringRule("@anything", "foobar")).isEqualTo("[Filtered]");
    assertThat(stringRule("@anything:mask", "foobar")).isEqualTo("******");
    assertThat(stringRule("@anything:remove", "foobar")).isNull();
    assertThat(stringRule("@anything:hash", "foobar")).hasSize(40);
  }

  @Test
  void everyRuleTypeHasEveryMethod() {
    // relay's test_builtin_rules_completeness: what the Sentry UI offers must exist.
    for (String type : List.of("creditcard", "password", "ip", "imei", "email", "uuid", "pemkey", "urlauth", "usssn",
        "userpath", "mac", "anything")) {
      for (String method : List.of("mask", "remove", "hash", "replace")) {
        assertThat(io.spillway.schemas.pii.BuiltinRules.get("@" + type + ":" + method)).as(type + ":" + method).isNotNull();
      }
    }
  }
}
