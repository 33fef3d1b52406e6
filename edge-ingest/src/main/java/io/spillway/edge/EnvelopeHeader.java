package io.spillway.edge;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;

/**
 * The first line of an envelope: a single-line JSON object (sentry-protocol.md §3.3). The edge
 * needs only {@code event_id} (for the answer and the record) and {@code dsn} (tunnel auth); every
 * other header stays untouched in the stored body.
 *
 * @param eventId 32 lower-case hex, or null if the envelope has none (sessions, client reports…)
 * @param dsn     the {@code dsn} header as sent, or null
 */
record EnvelopeHeader(String eventId, String dsn) {
  static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).maxStringLength(1 << 20).build())
      .build();

  /** Parses the header line (without the trailing {@code \n}). */
  static EnvelopeHeader parse(byte[] line, int length) {
    if (length == 0) throw ProtocolException.badRequest("invalid envelope: empty header");
    String eventId = null, dsn = null;
    try (JsonParser p = JSON.createParser(line, 0, length)) {
      if (p.nextToken() != JsonToken.START_OBJECT) throw invalid();
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        if (t != JsonToken.FIELD_NAME) throw invalid();
        String name = p.currentName();
        JsonToken v = p.nextToken();
        if (v == null) throw invalid();
        if ("event_id".equals(name) && v != JsonToken.VALUE_NULL) {
          if (v != JsonToken.VALUE_STRING) throw ProtocolException.badRequest("invalid event id");
          eventId = EventId.normalize(p.getText());
          if (eventId == null) throw ProtocolException.badRequest("invalid event id");
        } else if ("dsn".equals(name) && v != JsonToken.VALUE_NULL) {
          if (v != JsonToken.VALUE_STRING) throw invalid();
          dsn = p.getText();
        } else {
          p.skipChildren();
        }
      }
      if (p.nextToken() != null) throw invalid();
    } catch (IOException | RuntimeException e) {
      if (e instanceof ProtocolException pe) throw pe;
      throw invalid();
    }
    return new EnvelopeHeader(eventId, dsn);
  }

  private static ProtocolException invalid() {
    return ProtocolException.badRequest("invalid envelope header");
  }
}
