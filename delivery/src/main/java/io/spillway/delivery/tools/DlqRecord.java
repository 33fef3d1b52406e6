package io.spillway.delivery.tools;

import io.spillway.schemas.KafkaForm;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * What the DLQ tools need of a dead letter, from its key and headers only (its body is looked at
 * by nobody but {@code show}): where and why it failed, and whether it is a piece of a large event.
 *
 * @param route       the record key ({@code upstream/project}), null if none
 * @param destination the destination route that gave up ({@code spillway.dlq.destination}), else the
 *                    one the record was restricted to ({@code spillway.destination}), else {@link #route}
 * @param index       piece index, -1 for a whole record
 * @param count       pieces of its event (0 for a whole record)
 * @param size        the record's body size; for a piece, its event's total size
 */
record DlqRecord(int partition, long offset, long timestamp, String route, String destination, boolean destinationKnown,
    String reason, String status, String detail, String attempts, long deadAt, String eventId, String spillwayId,
    int index, int count, long size, String replayId, String redriveOf) {

  static DlqRecord of(ConsumerRecord<byte[], byte[]> r) {
    String route = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
    String dlqDestination = ToolClients.text(r, KafkaForm.DeadLetter.DESTINATION);
    String only = ToolClients.text(r, KafkaForm.ONLY_DESTINATION);
    String destination = dlqDestination != null ? dlqDestination : only != null ? only : route;
    int index = -1;
    int count = 0;
    long size = r.value() == null ? 0 : r.value().length;
    String chunk = ToolClients.text(r, "spillway.chunk");
    if (chunk != null) {
      int slash = chunk.indexOf('/');
      try {
        index = Integer.parseInt(chunk.substring(0, slash));
        count = Integer.parseInt(chunk.substring(slash + 1));
        size = Long.parseLong(String.valueOf(ToolClients.text(r, "spillway.total")));
        if (index < 0 || index >= count) throw new NumberFormatException(chunk);
      } catch (RuntimeException e) { // not a piece we can put together: shown on its own
        index = -1;
        count = 0;
        size = r.value() == null ? 0 : r.value().length;
      }
    }
    return new DlqRecord(r.partition(), r.offset(), r.timestamp(), route, destination, dlqDestination != null,
        ToolClients.text(r, KafkaForm.DeadLetter.REASON), ToolClients.text(r, KafkaForm.DeadLetter.STATUS),
        ToolClients.text(r, KafkaForm.DeadLetter.DETAIL), ToolClients.text(r, KafkaForm.DeadLetter.ATTEMPTS),
        parseLong(ToolClients.text(r, KafkaForm.DeadLetter.AT)), ToolClients.text(r, "event-id"),
        ToolClients.text(r, "spillway.id"), index, count, size, ToolClients.text(r, KafkaForm.REPLAY),
        ToolClients.text(r, KafkaForm.REDRIVE));
  }

  boolean isPiece() {
    return index >= 0 && spillwayId != null;
  }

  /** {@code partition:offset}: a dead letter's id. */
  String id() {
    return partition + ":" + offset;
  }

  /**
   * Which pieces belong together: one dead-lettered copy of one event (the same event may be in
   * the DLQ once per destination, and again after a replay or a redrive failed).
   */
  String groupKey() {
    return spillwayId + '\0' + destination + '\0' + (replayId == null ? "" : replayId) + '\0' + (redriveOf == null ? "" : redriveOf);
  }

  /** Pieces of an event given up as incomplete come without the others; any of them may start its entry. */
  boolean ofIncompleteEvent() {
    return "incomplete".equals(reason);
  }

  private static long parseLong(String s) {
    if (s == null) return 0;
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
