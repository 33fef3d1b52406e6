package io.spillway.runtime;

import io.micrometer.core.instrument.Tag;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;

/** The Prometheus registry of one service, with {@code service} and {@code instance} on every series. */
public final class Metrics {
  private Metrics() {}

  public static PrometheusMeterRegistry registry(String service, String instance) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    registry.config().commonTags(List.of(Tag.of("service", service), Tag.of("instance", instance)));
    return registry;
  }
}
