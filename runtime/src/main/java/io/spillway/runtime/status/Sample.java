package io.spillway.runtime.status;

import java.util.Map;

/** One line of a Prometheus text scrape: a series name, its labels and its value. */
record Sample(String name, Map<String, String> labels, double value) {
  Sample {
    if (name == null) throw new NullPointerException("name == null");
    if (labels == null) throw new NullPointerException("labels == null");
    labels = Map.copyOf(labels);
  }

  String label(String key) {
    return labels.getOrDefault(key, "");
  }
}
