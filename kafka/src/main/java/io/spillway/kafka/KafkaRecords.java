package io.spillway.kafka;

import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.KafkaForm;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** {@link KafkaForm} as kafka-clients types: a record out, headers in. */
public final class KafkaRecords {
  private KafkaRecords() {}

  /** The event as a record of {@code topic}: key = route, value = body, timestamp = received-at, the rest in headers. */
  public static ProducerRecord<byte[], byte[]> toRecord(String topic, BufferedEvent event) {
    KafkaForm form = KafkaForm.encode(event);
    RecordHeaders headers = new RecordHeaders();
    for (KafkaForm.Header h : form.headers()) headers.add(h.name(), h.value());
    return new ProducerRecord<>(topic, null, form.timestamp(), form.key(), form.value(), headers);
  }

  /** Kafka's headers as {@link KafkaForm.Header}s, in order. */
  public static List<KafkaForm.Header> headers(Headers headers) {
    List<KafkaForm.Header> out = new ArrayList<>();
    for (Header h : headers) out.add(new KafkaForm.Header(h.key(), h.value()));
    return out;
  }

  /** {@link KafkaForm.Header}s as Kafka's. */
  public static RecordHeaders toHeaders(List<KafkaForm.Header> headers) {
    RecordHeaders out = new RecordHeaders();
    for (KafkaForm.Header h : headers) out.add(h.name(), h.value());
    return out;
  }

  /** The last value of a header as UTF-8 text, or null. */
  public static String text(Headers headers, String name) {
    Header h = headers.lastHeader(name);
    return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
