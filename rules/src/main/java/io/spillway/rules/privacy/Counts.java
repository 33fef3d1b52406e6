package io.spillway.rules.privacy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What was scrubbed, by rule id; can be rolled back to a mark (a tentative pass that is discarded). */
final class Counts {
  private final List<String> log = new ArrayList<>();

  void add(String rule) {
    log.add(rule);
  }

  int mark() {
    return log.size();
  }

  void rollback(int mark) {
    while (log.size() > mark) log.remove(log.size() - 1);
  }

  boolean isEmpty() {
    return log.isEmpty();
  }

  void addAll(Map<String, Integer> into) {
    for (String r : log) into.merge(r, 1, Integer::sum);
  }

  Map<String, Integer> toMap() {
    Map<String, Integer> m = new LinkedHashMap<>();
    addAll(m);
    return m;
  }
}
