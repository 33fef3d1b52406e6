package io.spillway.schemas.body;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.zip.InflaterInputStream;

/**
 * A legacy {@code /store/} body (sentry-protocol.md §3.1), decoded as Relay's {@code decode_bytes}
 * does: after the Content-Encoding, JSON if it starts with <code>{</code>, else base64, then zlib
 * unless the base64 already decoded to JSON (raven-java, raven-node and old raven-python send
 * base64(zlib(JSON))).
 */
public final class StoreBody {
  private StoreBody() {}

  /** An event body that is not what Sentry accepts; the message is for the client (Relay's words). */
  public static final class Invalid extends IllegalArgumentException {
    public Invalid(String message) {
      super(message);
    }
  }

  /** The event JSON of a store body, at most {@code limit} bytes ({@link ContentEncoding.TooLarge}). */
  public static byte[] json(ContentEncoding encoding, byte[] body, long limit) throws IOException {
    byte[] decoded;
    try {
      decoded = encoding.decode(body, limit);
    } catch (ContentEncoding.TooLarge e) {
      throw e;
    } catch (IOException e) {
      throw new Invalid("invalid body encoding");
    }
    int first = firstNonSpace(decoded);
    if (first < 0) throw new Invalid("empty request body");
    if (decoded[first] == '{') return decoded;
    byte[] unbased;
    try {
      unbased = Base64.getMimeDecoder().decode(decoded);
    } catch (IllegalArgumentException e) {
      throw new Invalid("invalid request body");
    }
    int f = firstNonSpace(unbased);
    if (f >= 0 && unbased[f] == '{') return unbased;
    try (InputStream in = new InflaterInputStream(new ByteArrayInputStream(unbased))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(256, unbased.length * 3));
      byte[] buf = new byte[8192];
      for (int r; (r = in.read(buf)) > 0; ) {
        out.write(buf, 0, r);
        if (out.size() > limit) throw new ContentEncoding.TooLarge(limit);
      }
      return out.toByteArray();
    } catch (ContentEncoding.TooLarge e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      throw new Invalid("invalid request body");
    }
  }

  /**
   * The top-level {@code event_id} of an event (32 hex, null if absent); the JSON must be one
   * object (Relay answers 400 "invalid JSON data" otherwise).
   */
  public static String eventId(byte[] json) {
    String eventId = null;
    try (JsonParser p = Envelope.JSON.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) throw new Invalid("invalid JSON data");
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        if (t != JsonToken.FIELD_NAME) throw new Invalid("invalid JSON data");
        String name = p.currentName();
        JsonToken v = p.nextToken();
        if (v == null) throw new Invalid("invalid JSON data");
        if ("event_id".equals(name) && v != JsonToken.VALUE_NULL) {
          eventId = v == JsonToken.VALUE_STRING ? EventIds.normalize(p.getText()) : null;
          if (eventId == null) throw new Invalid("invalid event id");
        } else {
          p.skipChildren();
        }
      }
      if (p.nextToken() != null) throw new Invalid("invalid JSON data");
    } catch (IOException | RuntimeException e) {
      if (e instanceof Invalid i) throw i;
      throw new Invalid("invalid JSON data");
    }
    return eventId;
  }

  /** {@code json} (one object without {@code event_id}) with {@code "event_id":"<id>"} as its first field. */
  public static byte[] withEventId(byte[] json, String eventId32) {
    int brace = firstNonSpace(json);
    if (brace < 0 || json[brace] != '{') throw new Invalid("invalid JSON data");
    boolean empty = true;
    for (int i = brace + 1; i < json.length; i++) {
      byte c = json[i];
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
      empty = c == '}';
      break;
    }
    byte[] field = ("\"event_id\":\"" + eventId32 + "\"" + (empty ? "" : ",")).getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[json.length + field.length];
    System.arraycopy(json, 0, out, 0, brace + 1);
    System.arraycopy(field, 0, out, brace + 1, field.length);
    System.arraycopy(json, brace + 1, out, brace + 1 + field.length, json.length - brace - 1);
    return out;
  }

  private static int firstNonSpace(byte[] b) {
    for (int i = 0; i < b.length; i++) {
      byte c = b[i];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return i;
    }
    return -1;
  }
}
