package io.spillway.delivery;

import com.github.luben.zstd.ZstdInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import org.brotli.dec.BrotliInputStream;

/**
 * Reading and minimally rewriting an envelope body as the client sent it (sentry-protocol.md
 * §3.3): its data categories (for category-scoped holds) and its {@code sent_at} (§7.2).
 */
final class EnvelopeBody {
  /** Bigger bodies are not decoded for categories/sent_at (Relay's envelope limit). */
  static final int MAX_DECODED = 200 * 1024 * 1024;

  private static final Pattern SENT_AT = Pattern.compile("\"sent_at\"\\s*:\\s*\"([^\"\\\\]*)\"");
  private static final Pattern TYPE = Pattern.compile("\"type\"\\s*:\\s*\"([^\"\\\\]*)\"");
  private static final Pattern LENGTH = Pattern.compile("\"length\"\\s*:\\s*(\\d{1,10})");

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

  /** Identity encodings that Relay strips before decoding (sentry-ruby sends "", Android "utf-8"). */
  static boolean isIdentity(String contentEncoding) {
    if (contentEncoding == null) return true;
    String e = contentEncoding.trim().toLowerCase(Locale.ROOT);
    return e.isEmpty() || e.equals("identity") || e.equals("utf-8");
  }

  /** The body without its Content-Encoding. Throws {@link IOException} on a corrupt or unknown encoding. */
  static byte[] decode(byte[] body, String contentEncoding) throws IOException {
    if (isIdentity(contentEncoding)) return body;
    String e = contentEncoding.trim().toLowerCase(Locale.ROOT);
    InputStream in = switch (e) {
      case "gzip", "x-gzip" -> new GZIPInputStream(new ByteArrayInputStream(body));
      // HTTP "deflate" is zlib (RFC 1950), but some clients send raw deflate: accept both.
      case "deflate" -> new InflaterInputStream(new ByteArrayInputStream(body),
          new Inflater(body.length < 2 || (((body[0] & 0xff) << 8 | (body[1] & 0xff)) % 31 != 0)));
      case "br" -> new BrotliInputStream(new ByteArrayInputStream(body));
      case "zstd" -> new ZstdInputStream(new ByteArrayInputStream(body));
      default -> throw new IOException("unsupported Content-Encoding");
    };
    try (in) {
      // gzip states the decoded size in its last four bytes (of the last member, modulo 2^32): when
      // it is right, as it is for every single-member body, decode straight into an array of that
      // size instead of growing and copying buffers (this runs for every envelope delivery sends).
      int expected = e.equals("gzip") || e.equals("x-gzip") ? gzipSize(body) : -1;
      if (expected >= 0) {
        byte[] exact = new byte[expected];
        int n = in.readNBytes(exact, 0, expected);
        int next = in.read();
        if (n == expected && next < 0) return exact;
        // Several members, or a wrong trailer: go on with what was read.
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(256, n * 2));
        out.write(exact, 0, n);
        if (next >= 0) out.write(next);
        return readRest(in, out);
      }
      return readRest(in, new ByteArrayOutputStream(Math.max(256, body.length * 3)));
    }
  }

  private static byte[] readRest(InputStream in, ByteArrayOutputStream out) throws IOException {
    byte[] buf = new byte[8192];
    if (out.size() > MAX_DECODED) throw new IOException("body too large to decode");
    for (int n; (n = in.read(buf)) > 0; ) {
      out.write(buf, 0, n);
      if (out.size() > MAX_DECODED) throw new IOException("body too large to decode");
    }
    return out.toByteArray();
  }

  /**
   * The ISIZE field of a gzip body's trailer, or -1 when absent or implausible: the array is
   * allocated before the trailer is checked, so a body may not make us allocate more than 64×
   * its size (envelopes compress 3–10×; anything beyond takes the growing path).
   */
  private static int gzipSize(byte[] body) {
    if (body.length < 18) return -1;
    int i = body.length - 4;
    long size = (body[i] & 0xffL) | (body[i + 1] & 0xffL) << 8 | (body[i + 2] & 0xffL) << 16 | (body[i + 3] & 0xffL) << 24;
    return size <= Math.min(MAX_DECODED, 64L * body.length) ? (int) size : -1;
  }

  /**
   * Deflaters for {@link #gzip}, reused: creating one (native zlib state of a few hundred KiB)
   * cost more than compressing a 1 KiB envelope. At most one per concurrent caller is ever created.
   */
  private static final java.util.concurrent.ConcurrentLinkedQueue<java.util.zip.Deflater> DEFLATERS =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  /** gzip (RFC 1952), one member, fastest level: the size gain of higher levels is a few bytes on 1 KiB. */
  static byte[] gzip(byte[] data) {
    java.util.zip.Deflater def = DEFLATERS.poll();
    if (def == null) def = new java.util.zip.Deflater(java.util.zip.Deflater.BEST_SPEED, true);
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 2 + 64);
      out.write(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff}, 0, 10);
      def.setInput(data);
      def.finish();
      byte[] buf = new byte[Math.max(512, data.length / 2 + 64)];
      while (!def.finished()) {
        int n = def.deflate(buf);
        out.write(buf, 0, n);
      }
      java.util.zip.CRC32 crc = new java.util.zip.CRC32();
      crc.update(data);
      int c = (int) crc.getValue();
      int size = data.length;
      out.write(new byte[] {(byte) c, (byte) (c >> 8), (byte) (c >> 16), (byte) (c >> 24),
          (byte) size, (byte) (size >> 8), (byte) (size >> 16), (byte) (size >> 24)}, 0, 8);
      return out.toByteArray();
    } finally {
      def.reset();
      DEFLATERS.offer(def);
    }
  }

  /**
   * The data categories of the items of a decoded envelope, or null if it cannot be read (then
   * every rate limit of its scope applies to it).
   */
  static Set<String> categories(byte[] envelope) {
    Set<String> out = new LinkedHashSet<>();
    int pos = lineEnd(envelope, 0);
    if (pos < 0) return null;
    pos++; // past the envelope header line
    while (pos < envelope.length) {
      int end = lineEnd(envelope, pos);
      if (end < 0) end = envelope.length;
      String header = new String(envelope, pos, end - pos, StandardCharsets.UTF_8).trim();
      if (header.isEmpty()) { // trailing newline
        pos = end + 1;
        continue;
      }
      Matcher t = TYPE.matcher(header);
      if (!t.find()) return null;
      String type = t.group(1);
      if (!type.equals("client_report")) out.add(CATEGORY.getOrDefault(type, "default"));
      Matcher l = LENGTH.matcher(header);
      int payloadStart = end + 1;
      if (l.find()) {
        long len = Long.parseLong(l.group(1));
        if (payloadStart + len > envelope.length) return null;
        pos = (int) (payloadStart + len) + 1;
      } else {
        int pe = lineEnd(envelope, payloadStart);
        pos = pe < 0 ? envelope.length : pe + 1;
      }
    }
    return out;
  }

  /**
   * The body to send: if the envelope header has a {@code sent_at}, it becomes
   * {@code sent_at + waitedMillis} so Sentry sees the client's true clock drift, not the time the
   * event spent in the pipeline; otherwise the body is returned unchanged. Only the
   * {@code sent_at} value's characters change; the rest of the envelope is kept byte for byte.
   *
   * @return the rewritten decoded envelope, or null when there is nothing to rewrite
   */
  static byte[] rewriteSentAt(byte[] envelope, long waitedMillis) {
    int end = lineEnd(envelope, 0);
    if (end < 0) end = envelope.length;
    String header = new String(envelope, 0, end, StandardCharsets.UTF_8);
    Matcher m = SENT_AT.matcher(header);
    if (!m.find()) return null;
    Instant sentAt;
    try {
      sentAt = OffsetDateTime.parse(m.group(1), DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      try {
        sentAt = Instant.parse(m.group(1) + "Z"); // some SDKs omit the zone; Sentry reads that as UTC
      } catch (DateTimeParseException e2) {
        return null; // not ours to fix; Sentry will treat it as it would have without us
      }
    }
    String rewritten = DateTimeFormatter.ISO_INSTANT.format(sentAt.plusMillis(waitedMillis)
        .truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
    String newHeader = header.substring(0, m.start(1)) + rewritten + header.substring(m.end(1));
    byte[] h = newHeader.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[h.length + envelope.length - end];
    System.arraycopy(h, 0, out, 0, h.length);
    System.arraycopy(envelope, end, out, h.length, envelope.length - end);
    return out;
  }

  /** The {@code sent_at} of a decoded envelope, or null (for tests and the upstream inspector). */
  static String sentAt(byte[] envelope) {
    int end = lineEnd(envelope, 0);
    if (end < 0) end = envelope.length;
    Matcher m = SENT_AT.matcher(new String(envelope, 0, end, StandardCharsets.UTF_8));
    return m.find() ? m.group(1) : null;
  }

  private static int lineEnd(byte[] b, int from) {
    for (int i = from; i < b.length; i++) if (b[i] == '\n') return i;
    return -1;
  }
}
