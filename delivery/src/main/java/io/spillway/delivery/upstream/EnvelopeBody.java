package io.spillway.delivery.upstream;

import io.spillway.schemas.body.ContentEncoding;
import io.spillway.schemas.body.Envelope;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * What delivery reads and changes in an envelope as the client sent it (sentry-protocol.md §3.3),
 * through the one envelope reader ({@code schemas} {@link Envelope}): its data categories (for
 * category-scoped holds) and its {@code sent_at} (§7.2).
 */
public final class EnvelopeBody {
  /** Bigger bodies are not decoded (the pipeline's envelope limit is 100 MiB, decoded). */
  static final long MAX_DECODED = 200L * 1024 * 1024;
  /** Bodies above this are rewritten as a stream (never decoded whole into memory). */
  static final int STREAM_ABOVE = 1 << 20;

  /** Item type → data category (Relay's mapping, relay-base-schema data_category.rs). */
  private static final Map<String, String> CATEGORY = Map.ofEntries(
      Map.entry("event", "error"), Map.entry("transaction", "transaction"), Map.entry("security", "security"),
      Map.entry("attachment", "attachment"), Map.entry("session", "session"), Map.entry("sessions", "session"),
      Map.entry("profile", "profile"), Map.entry("profile_chunk", "profile_chunk"),
      Map.entry("replay_event", "replay"), Map.entry("replay_recording", "replay"), Map.entry("replay_video", "replay"),
      Map.entry("check_in", "monitor"), Map.entry("log", "log_item"), Map.entry("span", "span"),
      Map.entry("feedback", "feedback"), Map.entry("user_report", "user_report_v2"),
      Map.entry("trace_metric", "trace_metric"), Map.entry("statsd", "metric_bucket"),
      Map.entry("metric_buckets", "metric_bucket"));

  private EnvelopeBody() {}

  /**
   * The data categories of an envelope's items (client reports count for none). Throws on an
   * envelope that cannot be read: then every rate limit of its scope applies to it.
   */
  public static Set<String> categories(byte[] body, String contentEncoding) throws IOException {
    Set<String> out = new LinkedHashSet<>();
    try (InputStream in = ContentEncoding.of(contentEncoding).decoder(body)) {
      for (Envelope.ItemHeader item : Envelope.scan(in, MAX_DECODED).items()) {
        if (!item.type().equals("client_report")) out.add(CATEGORY.getOrDefault(item.type(), "default"));
      }
    }
    return out;
  }

  /** A body to send instead of the stored one, and its Content-Encoding (null = none). */
  record Rewritten(byte[] body, String contentEncoding) {}

  /**
   * The envelope with its {@code sent_at} moved by {@code waitedMillis}, so Sentry sees the client's
   * true clock drift, not the time the event spent in the pipeline; null when it has none (or one
   * Sentry could not read either): then the body goes out byte for byte. Only the characters of
   * that value change; a compressed body is re-encoded with gzip (brotli cannot be written here,
   * and every Sentry reads gzip). Only the header line is decoded to find out; large bodies are
   * rewritten as a stream, never held decoded.
   */
  static Rewritten withSentAtShifted(byte[] body, String contentEncoding, long waitedMillis) throws IOException {
    ContentEncoding encoding = ContentEncoding.of(contentEncoding);
    Envelope.Header header;
    try (InputStream in = encoding.decoder(body)) {
      header = Envelope.header(in);
    }
    if (header.sentAt() == null) return null;
    String shifted = shift(header.sentAt(), waitedMillis);
    if (shifted == null) return null;
    byte[] newLine = Envelope.withHeaderString(header.line(), "sent_at", shifted);
    if (newLine == null) return null;
    if (encoding == ContentEncoding.IDENTITY || body.length <= STREAM_ABOVE) {
      byte[] decoded = encoding.decode(body, MAX_DECODED);
      byte[] fixed = Envelope.withHeaderString(decoded, "sent_at", shifted);
      if (fixed == null) return null;
      return new Rewritten(encoding.reencode(fixed), encoding.reencodedAs().token());
    }
    // Large and compressed: decode, swap the header line, compress again, all as one stream.
    ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 1024);
    try (InputStream in = encoding.decoder(body); OutputStream gz = fastGzip(out)) {
      skipLine(in);
      gz.write(newLine);
      gz.write('\n');
      in.transferTo(gz);
    }
    return new Rewritten(out.toByteArray(), "gzip");
  }

  /** {@code sent_at + waitedMillis} as Sentry writes it, or null if the value is not a timestamp. */
  static String shift(String sentAt, long waitedMillis) {
    Instant t;
    try {
      t = OffsetDateTime.parse(sentAt, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      try {
        t = Instant.parse(sentAt + "Z"); // some SDKs omit the zone; Sentry reads that as UTC
      } catch (DateTimeParseException e2) {
        return null; // not ours to fix; Sentry will treat it as it would have without us
      }
    }
    return DateTimeFormatter.ISO_INSTANT.format(t.plusMillis(waitedMillis).truncatedTo(ChronoUnit.MILLIS));
  }

  /** The {@code sent_at} of a decoded envelope, or null (for tests and the upstream inspector). */
  static String sentAt(byte[] decoded) {
    try {
      return Envelope.header(decoded).sentAt();
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Past the header line: whitespace before it (as the reader skips it), then up to its newline. */
  private static void skipLine(InputStream in) throws IOException {
    boolean leading = true;
    for (int b; (b = in.read()) >= 0; ) {
      if (leading && (b == ' ' || b == '\t' || b == '\r' || b == '\n')) continue;
      leading = false;
      if (b == '\n') return;
    }
  }

  private static OutputStream fastGzip(OutputStream out) throws IOException {
    return new GZIPOutputStream(out, 64 * 1024) {
      {
        def.setLevel(Deflater.BEST_SPEED);
      }
    };
  }
}
