package io.spillway.schemas;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@link BufferedEvent} as a Redis stream entry: one field per record field (names in
 * {@code schemas/README.md}), text as UTF-8, numbers as decimal text, the body as raw bytes.
 * Absent optional fields are left out.
 */
public final class RedisForm {
  private RedisForm() {}

  /** Stream fields in a fixed order, ready for XADD with a String-key/byte[]-value codec. */
  public static Map<String, byte[]> encode(BufferedEvent event) {
    Map<String, byte[]> out = new LinkedHashMap<>(32);
    FieldValues.of(event).forEach((f, v) -> out.put(f.redisName, v));
    return out;
  }

  /** Throws {@link RecordFormatException} for anything that is not a complete version-1 entry. */
  public static BufferedEvent decode(Map<String, byte[]> fields) {
    if (fields == null) throw new NullPointerException("fields == null");
    return FieldValues.toEvent(FieldValues.lookup(fields, f -> f.redisName));
  }
}
