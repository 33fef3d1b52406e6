package io.spillway.delivery;

import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.Chunks;
import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.KafkaForm;
import io.spillway.schemas.Route;
import io.spillway.schemas.SpillwayId;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A DLQ as delivery writes it, made up at any size (the scale test and {@code bench/dlq}): dead
 * letters timestamped when dead-lettered, spread over two days, the last few minutes holding
 * {@code recentEvents}; four routes, three reasons, every fifth event a copy's (with
 * {@code spillway.dlq.destination}), every {@code largeEvery}-th a large event in three pieces
 * (small pieces: the tools do not care how big a piece is).
 */
final class DlqFixture {
  static final String[] ROUTES = {"a/a1", "a/a2", "b/b1", "b/b2"};
  static final String COPY_DESTINATION = "c/c1";
  static final String[] REASONS = {"http_400", "http_413", "expired"};
  static final long SPREAD_MS = 2L * 24 * 3600 * 1000;
  static final long OLD_END_MS = 3600 * 1000;
  static final long RECENT_MS = 5 * 60 * 1000;

  /**
   * What was written.
   *
   * @param recentByDestinationReason entries of the last minutes, by {@code destination reason}
   */
  record Written(long records, long entries, long recentRecords, long recentEntries, long recentLarge,
      Map<String, Long> recentByDestinationReason, Map<String, Long> recentEventIds) {}

  private DlqFixture() {}

  static boolean isLarge(long i, int largeEvery) {
    return largeEvery > 0 && i % largeEvery == largeEvery - 1;
  }

  static Written write(String bootstrap, String topic, long events, long recentEvents, int largeEvery, long now) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(512 * 1024));
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    SpillwayId ids = new SpillwayId();
    byte[] body = ("{\"message\":\"" + "x".repeat(180) + "\"}").getBytes(StandardCharsets.UTF_8);
    long records = 0;
    long recentRecords = 0;
    long recentLarge = 0;
    Map<String, Long> byDestinationReason = new TreeMap<>();
    Map<String, Long> recentEventIds = new TreeMap<>();
    long oldEvents = events - recentEvents;
    java.util.concurrent.atomic.AtomicReference<Exception> failure = new java.util.concurrent.atomic.AtomicReference<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (long i = 0; i < events; i++) {
        boolean recent = i >= oldEvents;
        long at = recent
            ? now - RECENT_MS + (RECENT_MS - 10_000) * (i - oldEvents) / Math.max(1, recentEvents)
            : now - SPREAD_MS + (SPREAD_MS - OLD_END_MS) * i / Math.max(1, oldEvents);
        String route = ROUTES[(int) (i % ROUTES.length)];
        String reason = REASONS[(int) (i % REASONS.length)];
        String destination = i % 5 == 0 ? COPY_DESTINATION : null;
        String eventId = String.format("%032x", i);
        BufferedEvent e = BufferedEvent.builder().id(ids.next(at - 60_000)).receivedAt(at - 60_000).route(Route.parse(route))
            .kind(EndpointKind.STORE).path("/api/1/store/").contentType("application/json").eventId(eventId).body(body).build();
        List<BufferedEvent> pieces = isLarge(i, largeEvery) ? Chunks.split(e, body.length / 3 + 1) : List.of(e);
        for (BufferedEvent piece : pieces) {
          KafkaForm form = KafkaForm.encode(piece);
          RecordHeaders h = new RecordHeaders();
          for (KafkaForm.Header x : form.headers()) h.add(x.name(), x.value());
          h.add(KafkaForm.DeadLetter.REASON, ascii(reason));
          h.add(KafkaForm.DeadLetter.STATUS, ascii(reason.startsWith("http_") ? reason.substring(5) : "0"));
          h.add(KafkaForm.DeadLetter.DETAIL, ascii("made up for the test"));
          h.add(KafkaForm.DeadLetter.AT, ascii(Long.toString(at)));
          h.add(KafkaForm.DeadLetter.ATTEMPTS, ascii("1"));
          if (destination != null) h.add(KafkaForm.DeadLetter.DESTINATION, ascii(destination));
          producer.send(new ProducerRecord<>(topic, null, at, form.key(), form.value(), h), (md, ex) -> {
            if (ex != null) failure.compareAndSet(null, ex);
          });
          records++;
          if (recent) recentRecords++;
        }
        if (recent) {
          if (pieces.size() > 1) recentLarge++;
          byDestinationReason.merge((destination != null ? destination : route) + " " + reason, 1L, Long::sum);
          recentEventIds.put(eventId, (long) pieces.size());
        }
      }
      producer.flush();
    }
    if (failure.get() != null) throw new IllegalStateException("writing the DLQ failed", failure.get());
    return new Written(records, events, recentRecords, recentEvents, recentLarge, byDestinationReason, recentEventIds);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
