package io.spillway.rules.privacy;

import io.spillway.schemas.body.ContentEncoding;
import io.spillway.schemas.body.Envelope;
import io.spillway.schemas.body.EnvelopeException;
import io.spillway.schemas.body.StoreBody;
import io.spillway.schemas.config.PrivacyConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A route's privacy settings applied to whole request bodies, in every encoding the edge accepts:
 * {@code store} events (JSON or base64(zlib(JSON)), any Content-Encoding), envelopes (items of type
 * event, transaction, feedback, log, session, sessions and check_in are scrubbed; attachments are
 * kept or dropped; other items pass), browser reports and check-ins. A body that needs no change is
 * left exactly as received; a changed one is re-encoded ({@link ContentEncoding#reencode}: gzip for
 * any compressed encoding). What cannot be scrubbed is refused, never passed on
 * ({@link ScrubException}).
 */
public final class BodyScrubber {
  /** Counted (in {@link Outcome#counts()}) for each attachment item removed by {@code attachments: drop}. */
  public static final String ATTACHMENTS_DROP = "attachments:drop";

  private final Scrubber scrubber;
  private final boolean dropAttachments;
  private final long maxEventBytes;
  private final long maxEnvelopeBytes;

  public BodyScrubber(Scrubber scrubber, long maxEventBytes, long maxEnvelopeBytes) {
    if (scrubber == null) throw new NullPointerException("scrubber == null");
    this.scrubber = scrubber;
    this.dropAttachments = scrubber.config().attachments() == PrivacyConfig.Attachments.DROP;
    this.maxEventBytes = maxEventBytes;
    this.maxEnvelopeBytes = maxEnvelopeBytes;
  }

  public Scrubber scrubber() {
    return scrubber;
  }

  /**
   * What to store: {@code body} null when the body stays as received; else the new body with its
   * Content-Encoding (null = none) and Content-Type. {@code counts}: what was scrubbed, by rule id.
   */
  public record Outcome(byte[] body, String contentEncoding, String contentType, Map<String, Integer> counts) {
    public boolean changed() {
      return body != null;
    }

    static Outcome unchanged(Map<String, Integer> counts) {
      return new Outcome(null, null, null, counts);
    }
  }

  /** A {@code store} body (not an envelope sent to the store endpoint: use {@link #envelope}). */
  public Outcome store(byte[] body, String contentEncoding, String contentType) {
    return store(body, contentEncoding, contentType, null);
  }

  /**
   * A {@code store} body whose event JSON the caller already has ({@code json}, after the
   * Content-Encoding and any base64/zlib), or null to decode it here.
   */
  public Outcome store(byte[] body, String contentEncoding, String contentType, byte[] json) {
    if (scrubber.isNoop()) return Outcome.unchanged(Map.of());
    ContentEncoding enc = encoding(contentEncoding);
    if (json != null) {
      Scrubber.Scrubbed s = scrubber.scrub(Payload.EVENT, json);
      if (!s.changed()) return Outcome.unchanged(s.counts());
      // Stored as the JSON it holds (a base64(zlib) legacy body too: Sentry reads both).
      return new Outcome(enc.reencode(slice(s)), enc.reencodedAs().token(), "application/json", s.counts());
    }
    byte[] decoded = decode(enc, body, maxEventBytes);
    boolean plain = isJsonObjectStart(decoded);
    try {
      json = plain ? decoded : StoreBody.json(ContentEncoding.IDENTITY, decoded, maxEventBytes);
    } catch (StoreBody.Invalid e) {
      throw new ScrubException(ScrubException.Kind.INVALID_BODY, e.getMessage());
    } catch (ContentEncoding.TooLarge e) {
      throw new ScrubException(ScrubException.Kind.TOO_LARGE, "event exceeds the size limit");
    } catch (IOException e) {
      throw new ScrubException(ScrubException.Kind.INVALID_BODY, "invalid request body");
    }
    Scrubber.Scrubbed s = scrubber.scrub(Payload.EVENT, json);
    if (!s.changed()) return Outcome.unchanged(s.counts());
    byte[] out = enc.reencode(slice(s));
    // A base64(zlib) legacy body is stored as the JSON it holds (Sentry reads both).
    return new Outcome(out, enc.reencodedAs().token(), plain ? contentType : "application/json", s.counts());
  }

  /** An envelope (from the envelope endpoint, the tunnel, or the store endpoint with the envelope content type). */
  public Outcome envelope(byte[] body, String contentEncoding) {
    return envelope(body, contentEncoding, null);
  }

  /** An envelope whose decoded form the caller already has ({@code decoded}, without Content-Encoding), or null. */
  public Outcome envelope(byte[] body, String contentEncoding, byte[] decoded) {
    if (scrubber.isNoop() && !dropAttachments) return Outcome.unchanged(Map.of());
    ContentEncoding enc = encoding(contentEncoding);
    if (decoded == null) decoded = decode(enc, body, maxEnvelopeBytes);
    Envelope env;
    try {
      env = Envelope.parse(decoded);
    } catch (EnvelopeException e) {
      throw new ScrubException(ScrubException.Kind.INVALID_BODY, e.getMessage());
    }
    Map<String, Integer> counts = new LinkedHashMap<>();
    List<Envelope.Item> items = new ArrayList<>(env.items().size());
    boolean changed = false;
    int n = 0;
    for (Envelope.Item item : env.items()) {
      n++;
      String type = item.type();
      if (dropAttachments && type.equals("attachment")) {
        counts.merge(ATTACHMENTS_DROP, 1, Integer::sum);
        changed = true;
        continue;
      }
      Payload kind = Payload.ofItemType(type);
      if (kind == null || scrubber.isNoop() || item.header().payloadLength() == 0) {
        items.add(item);
        continue;
      }
      Scrubber.Scrubbed s;
      try {
        s = scrubber.scrub(kind, item.payload());
      } catch (ScrubException e) {
        throw new ScrubException(e.kind(), "item " + n + " (" + type + "): " + e.getMessage());
      }
      s.counts().forEach((k, v) -> counts.merge(k, v, Integer::sum));
      if (s.changed()) {
        items.add(item.withPayload(slice(s)));
        changed = true;
      } else {
        items.add(item);
      }
    }
    if (!changed) return Outcome.unchanged(counts);
    byte[] out = enc.reencode(env.withItems(items).toBytes());
    return new Outcome(out, enc.reencodedAs().token(), null, counts);
  }

  /** A JSON body of the given kind (browser reports, check-ins), in any Content-Encoding. */
  public Outcome json(Payload kind, byte[] body, String contentEncoding, String contentType) {
    if (scrubber.isNoop()) return Outcome.unchanged(Map.of());
    ContentEncoding enc = encoding(contentEncoding);
    byte[] decoded = decode(enc, body, maxEventBytes);
    Scrubber.Scrubbed s = scrubber.scrub(kind, decoded);
    if (!s.changed()) return Outcome.unchanged(s.counts());
    return new Outcome(enc.reencode(slice(s)), enc.reencodedAs().token(), contentType, s.counts());
  }

  private static ContentEncoding encoding(String header) {
    try {
      return ContentEncoding.of(header);
    } catch (ContentEncoding.Unsupported e) {
      throw new ScrubException(ScrubException.Kind.INVALID_BODY, "unsupported content encoding");
    }
  }

  private static byte[] decode(ContentEncoding enc, byte[] body, long limit) {
    try {
      return enc.decode(body, limit);
    } catch (ContentEncoding.TooLarge e) {
      throw new ScrubException(ScrubException.Kind.TOO_LARGE, "body exceeds the size limit once decompressed (" + limit + " bytes)");
    } catch (IOException e) {
      throw new ScrubException(ScrubException.Kind.INVALID_BODY, "invalid body encoding");
    }
  }

  private static boolean isJsonObjectStart(byte[] b) {
    for (byte c : b) {
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
      return c == '{';
    }
    return false;
  }

  private static byte[] slice(Scrubber.Scrubbed s) {
    if (s.offset() == 0 && s.length() == s.json().length) return s.json();
    return java.util.Arrays.copyOfRange(s.json(), s.offset(), s.offset() + s.length());
  }
}
