package io.spillway.testkit;

/** A service's {@code /metrics} page (Prometheus text) read the way the tests read it: one sample name at a time. */
public final class PrometheusText {
  private PrometheusText() {}

  /**
   * The sum of the samples called {@code name} whose label set contains every one of {@code labelFragments}
   * (e.g. {@code reason="too_large"}); NaN when no sample matches.
   */
  public static double sum(String text, String name, String... labelFragments) {
    double total = Double.NaN;
    for (String line : text.split("\n")) {
      if (!(line.startsWith(name + "{") || line.startsWith(name + " "))) continue;
      boolean all = true;
      for (String f : labelFragments) all &= f == null || line.contains(f);
      if (!all) continue;
      double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      total = Double.isNaN(total) ? v : total + v;
    }
    return total;
  }

  /** As {@link #sum}, 0 when no sample matches (a counter not incremented yet). */
  public static double sumOrZero(String text, String name, String... labelFragments) {
    double v = sum(text, name, labelFragments);
    return Double.isNaN(v) ? 0 : v;
  }
}
