package io.spillway.rules.privacy;

import io.spillway.schemas.pii.PiiConfig;
import io.spillway.schemas.pii.PiiRule;
import io.spillway.schemas.pii.RuleType;
import io.spillway.schemas.pii.Selector;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

/**
 * Applications ready to run: each selector with its rules resolved (aliases and {@code multiple}
 * rules expanded to the rules they stand for, each reported under the right id), ordered and
 * de-duplicated by id within the application as Relay does. Several piiConfigs run in order
 * (the advanced rules first, then the ones derived from the data scrubbing settings).
 */
final class RuleSet {
  record App(Selector selector, SelectorMatcher matcher, List<CompiledRule> rules, boolean actsOnNonStrings) {}

  final List<App> apps;
  final boolean actsOnNonStrings;

  private RuleSet(List<App> apps) {
    this.apps = List.copyOf(apps);
    boolean any = false;
    for (App a : apps) any |= a.actsOnNonStrings();
    this.actsOnNonStrings = any;
  }

  static RuleSet compile(List<PiiConfig> configs) {
    List<App> apps = new ArrayList<>();
    for (PiiConfig c : configs) {
      Hmac hmac = new Hmac(c.hashKey());
      for (PiiConfig.Application a : c.applications()) {
        TreeMap<String, CompiledRule> rules = new TreeMap<>();
        for (String id : a.ruleIds()) collect(c, id, null, rules, hmac, 0);
        List<CompiledRule> ordered = new ArrayList<>(rules.values());
        ordered.sort(Comparator.comparing(CompiledRule::id).thenComparing(CompiledRule::origin));
        boolean nonStrings = ordered.stream().anyMatch(CompiledRule::actsOnNonStrings);
        if (!ordered.isEmpty()) apps.add(new App(a.selector(), SelectorMatcher.compile(a.selector()), ordered, nonStrings));
      }
    }
    return new RuleSet(apps);
  }

  private static void collect(PiiConfig c, String id, String origin, TreeMap<String, CompiledRule> out, Hmac hmac, int depth) {
    PiiRule r = c.rule(id);
    if (r == null || depth > 32) throw new IllegalArgumentException("rule " + id + " cannot be resolved");
    if (r.type() == RuleType.MULTIPLE || r.type() == RuleType.ALIAS) {
      String inner = r.hideInner() ? (origin != null ? origin : id) : origin;
      for (String x : r.rules()) collect(c, x, inner, out, hmac, depth + 1);
      return;
    }
    String o = origin != null ? origin : id;
    out.putIfAbsent(id + '\u0000' + o, CompiledRule.of(id, o, r, hmac));
  }

  boolean isEmpty() {
    return apps.isEmpty();
  }
}
