package io.spillway.edge;

import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.Route;
import java.io.ByteArrayOutputStream;
import java.util.List;

/**
 * A rule the edge applies to a request's body after it was checked (framing, event id) and before
 * it is stored: inbound filters, data scrubbing. Stages run in order, on an IO thread for small
 * bodies and on the edge's worker threads for large ones; they must not block. A stage that throws
 * fails the request (500) rather than letting an unprocessed body be stored.
 */
interface EventStage {

  /** What to do with the request. */
  Result apply(Input input);

  /**
   * The request as the stage sees it.
   *
   * @param body            the body as it will be stored, in pieces (still in its Content-Encoding)
   * @param contentEncoding the body's Content-Encoding header value, or null
   * @param eventId         the event id the answer carries (and the stored body holds), or null
   * @param query           the request's query string without credentials, or null
   * @param decoded         the payload already decoded by the edge's checks, or null: for an envelope the
   *                        envelope without its Content-Encoding, for a store body the event JSON (after
   *                        base64/zlib); a stage that needs it should use it rather than decode again
   */
  record Input(Route route, EndpointKind kind, String method, String contentType, String contentEncoding,
      List<byte[]> body, String userAgent, String clientIp, String eventId, String query, byte[] decoded) {

    /** The whole body in one array (a copy only when it is in pieces). */
    public byte[] bodyBytes() {
      if (body.size() == 1) return body.get(0);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (byte[] p : body) out.write(p, 0, p.length);
      return out.toByteArray();
    }

    public long bodySize() {
      long n = 0;
      for (byte[] p : body) n += p.length;
      return n;
    }

    /** The same request with another body (e.g. scrubbed and re-encoded); {@code newDecoded} as for {@link #decoded}, or null. */
    public Input withBody(byte[] newBody, String newContentEncoding, String newContentType, byte[] newDecoded) {
      return new Input(route, kind, method, newContentType, newContentEncoding, List.of(newBody), userAgent, clientIp, eventId,
          query, newDecoded);
    }

    /** The same request with another body, not decoded. */
    public Input withBody(byte[] newBody, String newContentEncoding, String newContentType) {
      return withBody(newBody, newContentEncoding, newContentType, null);
    }
  }

  /** The outcome of a stage: a closed set. */
  sealed interface Result permits Keep, Drop, Refuse {}

  /** Go on with this (possibly changed) request. */
  record Keep(Input input) implements Result {}

  /**
   * Do not store it, but answer as if it had been stored (Sentry answers 200 to a filtered event).
   * {@code reason} is a metric label (e.g. {@code filtered}); the stage counts its own details.
   */
  record Drop(String reason) implements Result {}

  /** Refuse it with this status and JSON detail (never quoting the body). */
  record Refuse(int status, String detail, String reason) implements Result {}
}
