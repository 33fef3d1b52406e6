package io.spillway.mirror;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.transforms.Transformation;

/**
 * A Connect transformation on the mirror's copies: adds the header {@value #HEADER} with the
 * record's offset in its datacenter's topic (decimal ASCII, like the other {@code spillway.*}
 * headers). With it the central copy says where each record came from, so the mirror can tell a
 * record deleted by the datacenter's retention before it was copied (the next copy's source offset
 * jumps) from one copied twice after a restart (it goes back). Public only because Connect
 * instantiates it by class name ({@code transforms.*.type}).
 */
public final class SourceOffsetHeader implements Transformation<SourceRecord> {
  /** The header on every central copy: the source offset. */
  public static final String HEADER = "spillway.mirror.offset";

  @Override
  public SourceRecord apply(SourceRecord record) {
    Map<String, ?> offset = record.sourceOffset();
    Object value = offset == null ? null : offset.get("offset");
    if (!(value instanceof Number n)) return record; // not a MirrorSourceConnector record: leave it alone
    // A transformation must not change the record it is given: the headers are copied.
    return record.newRecord(record.topic(), record.kafkaPartition(), record.keySchema(), record.key(), record.valueSchema(),
        record.value(), record.timestamp(),
        record.headers().duplicate().addBytes(HEADER, Long.toString(n.longValue()).getBytes(StandardCharsets.US_ASCII)));
  }

  /** The source offset a central copy carries, or -1 when it has none. */
  static long sourceOffset(byte[] header) {
    if (header == null || header.length == 0 || header.length > 19) return -1;
    long v = 0;
    for (byte b : header) {
      if (b < '0' || b > '9') return -1;
      v = v * 10 + (b - '0');
    }
    return v;
  }

  @Override
  public ConfigDef config() {
    return new ConfigDef();
  }

  @Override
  public void configure(Map<String, ?> configs) {
    // nothing to configure
  }

  @Override
  public void close() {
    // nothing to release
  }
}
