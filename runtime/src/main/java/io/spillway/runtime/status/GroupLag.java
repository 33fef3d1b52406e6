package io.spillway.runtime.status;

import java.util.Map;

/**
 * Kafka's own view of delivery's lag, per partition of the events topic: log end offset minus the
 * group's committed offset (what {@code kafka-consumer-groups --describe} shows). Unlike the
 * consumer's metric it is there while delivery is down, which is when it matters. Implemented
 * where a Kafka client is at hand (the launcher); this module has none.
 */
@FunctionalInterface
public interface GroupLag {
  /** Partition → records not yet committed by the group; may block for a few seconds. */
  Map<Integer, Long> read() throws Exception;

  /** The same for another topic delivery reads (a datacenter's central copy); unknown (empty) by default. */
  default Map<Integer, Long> read(String topic) throws Exception {
    return Map.of();
  }
}
