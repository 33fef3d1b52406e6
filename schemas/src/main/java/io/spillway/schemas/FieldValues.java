package io.spillway.schemas;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.EnumMap;
import java.util.Map;
import java.util.function.Function;

/** Record ⇄ field values, shared by the Redis and Kafka forms. */
final class FieldValues {
  private FieldValues() {}

  static EnumMap<Field, byte[]> of(BufferedEvent e) {
    EnumMap<Field, byte[]> m = new EnumMap<>(Field.class);
    m.put(Field.VERSION, ascii(Integer.toString(e.isChunk() ? BufferedEvent.SCHEMA_VERSION : BufferedEvent.WHOLE_EVENT_VERSION)));
    m.put(Field.ID, utf8(e.id()));
    m.put(Field.RECEIVED_AT, ascii(Long.toString(e.receivedAt())));
    m.put(Field.EDGE, utf8(e.edge()));
    m.put(Field.DATACENTER, utf8(e.datacenter()));
    m.put(Field.ROUTE, e.route().toBytes());
    m.put(Field.KIND, ascii(e.kind().wireName()));
    m.put(Field.METHOD, ascii(e.method()));
    m.put(Field.PATH, utf8(e.path()));
    putIfPresent(m, Field.QUERY, e.query());
    putIfPresent(m, Field.CONTENT_TYPE, e.contentType());
    putIfPresent(m, Field.CONTENT_ENCODING, e.contentEncoding());
    putIfPresent(m, Field.USER_AGENT, e.userAgent());
    putIfPresent(m, Field.SENTRY_CLIENT, e.sentryClient());
    putIfPresent(m, Field.SENTRY_VERSION, e.sentryVersion());
    putIfPresent(m, Field.CLIENT_IP, e.clientIp());
    putIfPresent(m, Field.EVENT_ID, e.eventId());
    m.put(Field.BODY_SIZE, ascii(Integer.toString(e.body().length)));
    if (e.isChunk()) {
      m.put(Field.CHUNK, ascii(e.chunk().toString()));
      m.put(Field.TOTAL_SIZE, ascii(Long.toString(e.chunk().totalSize())));
    }
    m.put(Field.BODY, e.body());
    return m;
  }

  static BufferedEvent toEvent(Function<Field, byte[]> get) {
    for (Field f : Field.values()) {
      if (f.required && get.apply(f) == null) {
        throw new RecordFormatException("missing field " + f.redisName);
      }
    }
    String version = text(get.apply(Field.VERSION));
    boolean chunked;
    if (version.equals(Integer.toString(BufferedEvent.WHOLE_EVENT_VERSION))) {
      chunked = false;
    } else if (version.equals(Integer.toString(BufferedEvent.SCHEMA_VERSION))) {
      chunked = true;
    } else {
      throw new RecordFormatException("unsupported schema version " + version);
    }
    byte[] body = get.apply(Field.BODY);
    long size = parseLong(Field.BODY_SIZE, text(get.apply(Field.BODY_SIZE)));
    if (size != body.length) {
      throw new RecordFormatException("body is " + body.length + " bytes, record says " + size);
    }
    BufferedEvent.Chunk chunk = chunked ? chunk(get) : null;
    Route route;
    try {
      route = Route.parse(text(get.apply(Field.ROUTE)));
    } catch (IllegalArgumentException e) {
      throw new RecordFormatException("bad route: " + e.getMessage(), e);
    }
    try {
      return new BufferedEvent(
          text(get.apply(Field.ID)),
          parseLong(Field.RECEIVED_AT, text(get.apply(Field.RECEIVED_AT))),
          text(get.apply(Field.EDGE)),
          text(get.apply(Field.DATACENTER)),
          route,
          EndpointKind.fromWireName(text(get.apply(Field.KIND))),
          text(get.apply(Field.METHOD)),
          text(get.apply(Field.PATH)),
          text(get.apply(Field.QUERY)),
          text(get.apply(Field.CONTENT_TYPE)),
          text(get.apply(Field.CONTENT_ENCODING)),
          text(get.apply(Field.USER_AGENT)),
          text(get.apply(Field.SENTRY_CLIENT)),
          text(get.apply(Field.SENTRY_VERSION)),
          text(get.apply(Field.CLIENT_IP)),
          text(get.apply(Field.EVENT_ID)),
          body,
          chunk);
    } catch (NullPointerException e) {
      throw new RecordFormatException("incomplete record: " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new RecordFormatException("inconsistent record: " + e.getMessage(), e);
    }
  }

  /** Version 2: {@code chunk} = {@code index/count} and {@code total} are required. */
  private static BufferedEvent.Chunk chunk(Function<Field, byte[]> get) {
    String c = text(get.apply(Field.CHUNK));
    String total = text(get.apply(Field.TOTAL_SIZE));
    if (c == null) throw new RecordFormatException("missing field " + Field.CHUNK.redisName + " (version 2 is a chunk)");
    if (total == null) throw new RecordFormatException("missing field " + Field.TOTAL_SIZE.redisName + " (version 2 is a chunk)");
    int slash = c.indexOf('/');
    if (slash <= 0 || slash == c.length() - 1) throw new RecordFormatException("field chunk is not index/count: " + c);
    try {
      return new BufferedEvent.Chunk(Integer.parseInt(c.substring(0, slash)), Integer.parseInt(c.substring(slash + 1)),
          parseLong(Field.TOTAL_SIZE, total));
    } catch (NumberFormatException e) {
      throw new RecordFormatException("field chunk is not index/count: " + c, e);
    } catch (IllegalArgumentException e) {
      throw new RecordFormatException("bad chunk " + c + " of " + total + " bytes: " + e.getMessage(), e);
    }
  }

  static <K> Function<Field, byte[]> lookup(Map<K, byte[]> map, Function<Field, K> name) {
    return f -> {
      K k = name.apply(f);
      return k == null ? null : map.get(k);
    };
  }

  private static void putIfPresent(Map<Field, byte[]> m, Field f, String v) {
    if (v != null) m.put(f, utf8(v));
  }

  private static long parseLong(Field f, String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      throw new RecordFormatException("field " + f.redisName + " is not a number: " + s, e);
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(UTF_8);
  }

  private static String text(byte[] b) {
    return b == null ? null : new String(b, UTF_8);
  }
}
