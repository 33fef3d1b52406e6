package io.spillway.schemas;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link BufferedEvent} as a Kafka record: key = route ({@code upstream/project}, UTF-8), value =
 * the raw body, timestamp = received-at, every other field a record header (names in
 * {@code schemas/README.md}). Kept free of kafka-clients types so this module has no Kafka
 * dependency; the bridge and delivery convert {@link Header}s to and from Kafka's.
 *
 * @param key       the route, UTF-8
 * @param value     the raw body
 * @param timestamp received-at, epoch milliseconds (the record's CreateTime)
 * @param headers   the other fields, in a fixed order
 */
public record KafkaForm(byte[] key, byte[] value, long timestamp, List<Header> headers) {

  /** A Kafka record header. */
  public record Header(String name, byte[] value) {}

  public static KafkaForm encode(BufferedEvent event) {
    List<Header> headers = new ArrayList<>(16);
    FieldValues.of(event).forEach((f, v) -> {
      if (f.kafkaHeader != null) headers.add(new Header(f.kafkaHeader, v));
    });
    return new KafkaForm(event.route().toBytes(), event.body(), event.receivedAt(), List.copyOf(headers));
  }

  /**
   * Decodes a record. Headers that are not record fields (for example the DLQ's reason headers)
   * are ignored; for repeated headers the last one wins, as with Kafka's {@code lastHeader}.
   */
  public static BufferedEvent decode(byte[] key, byte[] value, List<Header> headers) {
    if (key == null) throw new RecordFormatException("record has no key (route)");
    if (value == null) throw new RecordFormatException("record has no value (body)");
    Map<String, byte[]> byName = new HashMap<>();
    for (Header h : headers) byName.put(h.name(), h.value());
    return FieldValues.toEvent(f -> switch (f) {
      case ROUTE -> key;
      case BODY -> value;
      default -> byName.get(f.kafkaHeader);
    });
  }

  /** Headers that the DLQ adds to a dead-lettered record (on top of the record's own). */
  public static final class DeadLetter {
    private DeadLetter() {}

    /** Machine-readable reason: {@code http_400}, {@code expired}, {@code unknown_route}, … */
    public static final String REASON = "spillway.dlq.reason";
    /** The upstream's HTTP status, if there was one. */
    public static final String STATUS = "spillway.dlq.status";
    /** The upstream's {@code X-Sentry-Error} or a short description (never contains keys). */
    public static final String DETAIL = "spillway.dlq.detail";
    /** Epoch milliseconds when it was dead-lettered. */
    public static final String AT = "spillway.dlq.at";
    /** How many delivery attempts were made. */
    public static final String ATTEMPTS = "spillway.dlq.attempts";
    /**
     * The destination route that gave up (the record's own route or one it is copied to); absent
     * when the record never reached a destination (undecodable, unknown route, expired on arrival)
     * and on DLQ records written before this header was set for every destination.
     */
    public static final String DESTINATION = "spillway.dlq.destination";
  }

  /**
   * On a record written back by {@code replay} or {@code dlq redrive} for one destination: delivery
   * sends it to that route only (one of the record's route's destinations), not to all of them.
   */
  public static final String ONLY_DESTINATION = "spillway.destination";

  /** On a record written back by {@code replay}: the replay id (delivery counts its outcomes by it). */
  public static final String REPLAY = "spillway.replay";

  /**
   * On a record written back by {@code dlq redrive}: the DLQ entry it came from ({@code partition:offset};
   * for a large event, that of its first piece, on every piece).
   */
  public static final String REDRIVE = "spillway.redrive";
}
