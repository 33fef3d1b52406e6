package io.spillway.edge;

import io.micrometer.core.instrument.MeterRegistry;
import io.spillway.schemas.config.SpillwayConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@link EventStage}s a config asks for, in the order they run. With none configured the list
 * is empty and the edge parses nothing it does not need to.
 */
final class EventStages {
  private EventStages() {}

  static List<EventStage> of(SpillwayConfig config, MeterRegistry registry) {
    List<EventStage> stages = new ArrayList<>();
    InboundFilterStage filters = InboundFilterStage.of(config, registry);
    if (filters != null) stages.add(filters);
    PrivacyStage privacy = PrivacyStage.of(config, registry);
    if (privacy != null) stages.add(privacy);
    return List.copyOf(stages);
  }
}
