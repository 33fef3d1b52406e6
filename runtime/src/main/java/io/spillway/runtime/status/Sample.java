package io.spillway.runtime.status;

import java.util.Map;

/** One line of a Prometheus text scrape: a series name, its labels and its value. */
public record Sample(String name, Map<String, String> labels, double value) {
  public Sample {
    if (name == null) throw new NullPointerException("name == null");
    if (labels == null) throw new NullPointerException("labels == null");
    labels = Map.copyOf(labels);
  }

  public String label(String key) {
    return labels.getOrDefault(key, "");
  }
}
