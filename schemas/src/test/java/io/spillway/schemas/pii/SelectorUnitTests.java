package io.spillway.schemas.pii;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/** Relay's selector grammar: the docs' examples, relay's round-trip and invalid cases. */
class SelectorUnitTests {

  @Test
  void docsExamples() {
    for (String s : List.of("**", "$message", "extra.'My Value'", "extra.**", "$http.headers.x-custom-token", "$user.ip_address",
        "$frame.vars.foo", "contexts.device.timezone", "tags.server_name", "foo && !extra.foo", "foo || bar", "foo.*",
        "$string", "$number", "$datetime", "$array", "$object", "$error", "$stack", "$frame", "$http", "$user", "$logentry",
        "$thread", "$breadcrumb", "$span", "$sdk", "extra.'my special '' value'", "$user.geo.**")) {
      Selector.parseStrict(s);
    }
    assertThat(Selector.parseStrict("extra.'my special '' value'"))
        .isEqualTo(new Selector.Path(List.of(new Selector.Key("extra"), new Selector.Key("my special ' value"))));
  }

  @Test
  void precedenceAndAliases() {
    assertThat(Selector.parseStrict("a || b && !c")).isEqualTo(new Selector.Or(List.of(
        Selector.key("a"),
        new Selector.And(List.of(Selector.key("b"), new Selector.Not(Selector.key("c")))))));
    assertThat(Selector.parseStrict("a | b & ~c")).isEqualTo(Selector.parseStrict("a || b && !c"));
    assertThat(Selector.parseStrict("$http")).isEqualTo(Selector.parseStrict("$request"));
    assertThat(Selector.parse("freeform")).isEqualTo(Selector.parseStrict("$string"));
    assertThat(Selector.parse("databag")).isEqualTo(Selector.parseStrict("$object"));
  }

  @Test
  void roundTrip() {
    for (String s : List.of("!(!a)", "!a || !b", "!a && !b", "!(a && !b)", "!(a && b)", "$user.'ip address'.0.**")) {
      assertThat(Selector.parseStrict(s).toString()).isEqualTo(s);
    }
  }

  @Test
  void invalidSelectorsSayWhy() {
    assertThatThrownBy(() -> Selector.parseStrict("* && foo")).hasMessageContaining("wildcard (*) must be part of a path");
    assertThatThrownBy(() -> Selector.parseStrict("$frame.**.foo.**")).hasMessageContaining("deep wildcard");
    assertThatThrownBy(() -> Selector.parseStrict("$frme.vars")).hasMessage("unknown value type $frme");
    assertThatThrownBy(() -> Selector.parseStrict("$minidump")).hasMessageContaining("does not scrub");
    assertThatThrownBy(() -> Selector.parseStrict("extra.")).hasMessageContaining("path item");
    assertThatThrownBy(() -> Selector.parseStrict("(a || b")).hasMessageContaining("missing ')'");
    assertThatThrownBy(() -> Selector.parseStrict("extra.'open")).hasMessageContaining("unterminated");
    assertThatThrownBy(() -> Selector.parseStrict("2abc")).hasMessageContaining("unexpected 'a'");
    assertThatThrownBy(() -> Selector.parseStrict("")).hasMessageContaining("empty");
  }

  @Property
  void parserNeverThrowsAnythingElse(@ForAll @StringLength(max = 30) String s) {
    try {
      Selector sel = Selector.parseStrict(s);
      assertThat(Selector.parseStrict(sel.toString())).isEqualTo(sel);
    } catch (IllegalArgumentException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }
}
