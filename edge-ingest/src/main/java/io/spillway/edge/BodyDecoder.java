package io.spillway.edge;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.github.luben.zstd.ZstdInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.Locale;
import java.util.zip.DataFormatException;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import org.brotli.dec.BrotliInputStream;

/**
 * Reads just enough of a body to answer: the envelope's first line, or a store event's
 * {@code event_id}. The stored body is never the decoded one (it is kept byte for byte); decoding
 * here is streamed and bounded, so a small compressed body cannot expand into a large allocation.
 */
final class BodyDecoder {
  /** Longest envelope header line the edge reads (real ones are well under 2 KiB). */
  static final int MAX_HEADER_LINE = 64 * 1024;

  private BodyDecoder() {}

  /** Which Content-Encodings the edge understands (sentry-protocol.md §3.2). */
  enum Encoding {
    IDENTITY, GZIP, DEFLATE, BR, ZSTD;

    /** {@code ""} and {@code utf-8} are sent by some SDKs and mean "not encoded" (Relay strips them). */
    static Encoding of(String header) {
      if (header == null) return IDENTITY;
      String h = header.trim().toLowerCase(Locale.ROOT);
      return switch (h) {
        case "", "identity", "utf-8", "utf8" -> IDENTITY;
        case "gzip", "x-gzip" -> GZIP;
        case "deflate" -> DEFLATE;
        case "br" -> BR;
        case "zstd" -> ZSTD;
        default -> throw new ProtocolException(415, "unsupported content encoding");
      };
    }
  }

  static InputStream open(Encoding encoding, byte[] body) throws IOException {
    InputStream raw = new ByteArrayInputStream(body);
    return switch (encoding) {
      case IDENTITY -> raw;
      case GZIP -> new GZIPInputStream(raw, 4096);
      // HTTP deflate is zlib (RFC 1950); a few clients send raw deflate: accept both.
      case DEFLATE -> new InflaterInputStream(raw, new Inflater(body.length > 0 && (body[0] & 0x0f) != 8), 4096);
      case BR -> new BrotliInputStream(raw);
      case ZSTD -> new ZstdInputStream(raw);
    };
  }

  /** The envelope's header line (decoded), without the newline. */
  static EnvelopeHeader envelopeHeader(Encoding encoding, byte[] body) {
    if (body.length == 0) throw ProtocolException.badRequest("empty envelope");
    if (encoding == Encoding.IDENTITY) return EnvelopeHeader.parse(body, lineLength(body, body.length));
    if (encoding == Encoding.GZIP || encoding == Encoding.DEFLATE) return EnvelopeHeader.parse(LINE.get(), inflateFirstLine(encoding, body));
    byte[] line = LINE.get();
    int n = 0;
    try (InputStream in = open(encoding, body)) {
      // Read in blocks, not bytes: each read of a decompressing stream is a native call.
      while (n < line.length) {
        int r = in.read(line, n, Math.min(512, line.length - n));
        if (r < 0) return EnvelopeHeader.parse(line, n);
        int nl = indexOf(line, n, n + r, (byte) '\n');
        if (nl >= 0) return EnvelopeHeader.parse(line, nl);
        n += r;
      }
    } catch (IOException | RuntimeException e) {
      if (e instanceof ProtocolException pe) throw pe;
      throw ProtocolException.badRequest("invalid body encoding");
    }
    throw ProtocolException.badRequest("invalid envelope: header line too long");
  }

  /** Per IO thread: the header line buffer and an Inflater reused across requests (native init is not free). */
  private static final ThreadLocal<byte[]> LINE = ThreadLocal.withInitial(() -> new byte[MAX_HEADER_LINE]);
  private static final ThreadLocal<Inflater> RAW_INFLATER = ThreadLocal.withInitial(() -> new Inflater(true));
  private static final ThreadLocal<Inflater> ZLIB_INFLATER = ThreadLocal.withInitial(() -> new Inflater(false));

  /**
   * gzip (RFC 1952 header skipped here, then raw deflate) or zlib: inflates into the thread's line
   * buffer until the first newline; returns the line's length.
   */
  private static int inflateFirstLine(Encoding encoding, byte[] body) {
    int off = 0;
    Inflater inf;
    if (encoding == Encoding.GZIP) {
      off = gzipHeaderLength(body);
      inf = RAW_INFLATER.get();
    } else {
      boolean zlib = (body[0] & 0x0f) == 8; // a few clients send raw deflate as "deflate"
      inf = zlib ? ZLIB_INFLATER.get() : RAW_INFLATER.get();
    }
    byte[] line = LINE.get();
    inf.reset();
    inf.setInput(body, off, body.length - off);
    int n = 0;
    try {
      while (n < line.length) {
        int r = inf.inflate(line, n, Math.min(1024, line.length - n));
        if (r == 0) {
          if (inf.finished() || inf.needsInput()) return n; // no newline: the whole envelope is one line
          if (inf.needsDictionary()) throw ProtocolException.badRequest("invalid body encoding");
        }
        int nl = indexOf(line, n, n + r, (byte) '\n');
        if (nl >= 0) return nl;
        n += r;
      }
    } catch (DataFormatException e) {
      throw ProtocolException.badRequest("invalid body encoding");
    } finally {
      inf.reset();
    }
    throw ProtocolException.badRequest("invalid envelope: header line too long");
  }

  /** Length of a gzip member header (RFC 1952 §2.3), validating magic and method. */
  static int gzipHeaderLength(byte[] b) {
    if (b.length < 18 || (b[0] & 0xff) != 0x1f || (b[1] & 0xff) != 0x8b || b[2] != 8) {
      throw ProtocolException.badRequest("invalid body encoding");
    }
    int flg = b[3] & 0xff;
    int i = 10;
    if ((flg & 4) != 0) { // FEXTRA
      if (i + 2 > b.length) throw ProtocolException.badRequest("invalid body encoding");
      i += 2 + ((b[i] & 0xff) | (b[i + 1] & 0xff) << 8);
    }
    if ((flg & 8) != 0) i = skipZeroTerminated(b, i); // FNAME
    if ((flg & 16) != 0) i = skipZeroTerminated(b, i); // FCOMMENT
    if ((flg & 2) != 0) i += 2; // FHCRC
    if (i >= b.length) throw ProtocolException.badRequest("invalid body encoding");
    return i;
  }

  private static int skipZeroTerminated(byte[] b, int i) {
    while (i < b.length && b[i] != 0) i++;
    if (i >= b.length) throw ProtocolException.badRequest("invalid body encoding");
    return i + 1;
  }

  private static int lineLength(byte[] b, int n) {
    int nl = indexOf(b, 0, Math.min(n, MAX_HEADER_LINE + 1), (byte) '\n');
    if (nl >= 0) return nl;
    if (n > MAX_HEADER_LINE) throw ProtocolException.badRequest("invalid envelope: header line too long");
    return n;
  }

  private static int indexOf(byte[] b, int from, int to, byte c) {
    for (int i = from; i < to; i++) if (b[i] == c) return i;
    return -1;
  }

  /**
   * The decoded store event (Relay's {@code decode_bytes}): JSON if it starts with {@code {}, else
   * base64, then zlib unless the base64 already decoded to JSON. At most {@code limit} bytes.
   */
  static byte[] storeJson(Encoding encoding, byte[] body, long limit) {
    byte[] decoded;
    try (InputStream in = open(encoding, body)) {
      decoded = readBounded(in, limit);
    } catch (IOException | RuntimeException e) {
      if (e instanceof ProtocolException pe) throw pe;
      throw ProtocolException.badRequest("invalid body encoding");
    }
    int first = firstNonSpace(decoded);
    if (first < 0) throw ProtocolException.badRequest("empty request body");
    if (decoded[first] == '{') return decoded;
    byte[] unbased;
    try {
      unbased = Base64.getMimeDecoder().decode(decoded);
    } catch (IllegalArgumentException e) {
      throw ProtocolException.badRequest("invalid request body");
    }
    int f = firstNonSpace(unbased);
    if (f >= 0 && unbased[f] == '{') return unbased;
    try (InputStream in = new InflaterInputStream(new ByteArrayInputStream(unbased))) {
      return readBounded(in, limit);
    } catch (IOException | RuntimeException e) {
      if (e instanceof ProtocolException pe) throw pe;
      throw ProtocolException.badRequest("invalid request body");
    }
  }

  /**
   * The top-level {@code event_id} of a JSON event (null if absent); the JSON must be one object
   * (Relay answers 400 "invalid JSON data" otherwise).
   */
  static String storeEventId(byte[] json) {
    String eventId = null;
    try (JsonParser p = EnvelopeHeader.JSON.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) throw ProtocolException.badRequest("invalid JSON data");
      for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
        if (t != JsonToken.FIELD_NAME) throw ProtocolException.badRequest("invalid JSON data");
        String name = p.currentName();
        JsonToken v = p.nextToken();
        if (v == null) throw ProtocolException.badRequest("invalid JSON data");
        if ("event_id".equals(name) && v != JsonToken.VALUE_NULL) {
          eventId = v == JsonToken.VALUE_STRING ? EventId.normalize(p.getText()) : null;
          if (eventId == null) throw ProtocolException.badRequest("invalid event id");
        } else {
          p.skipChildren();
        }
      }
      if (p.nextToken() != null) throw ProtocolException.badRequest("invalid JSON data");
    } catch (IOException | RuntimeException e) {
      if (e instanceof ProtocolException pe) throw pe;
      throw ProtocolException.badRequest("invalid JSON data");
    }
    return eventId;
  }

  /** The first {@code n} decoded bytes (fewer if the body is shorter), e.g. a minidump's magic. */
  static byte[] prefix(Encoding encoding, byte[] body, int n) {
    try (InputStream in = open(encoding, body)) {
      return in.readNBytes(n);
    } catch (IOException | RuntimeException e) {
      throw ProtocolException.badRequest("invalid body encoding");
    }
  }

  private static byte[] readBounded(InputStream in, long limit) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    byte[] buf = new byte[8192];
    long total = 0;
    for (int r; (r = in.read(buf)) > 0; ) {
      total += r;
      if (total > limit) throw new ProtocolException(413, "event exceeds the size limit");
      out.write(buf, 0, r);
    }
    return out.toByteArray();
  }

  private static int firstNonSpace(byte[] b) {
    for (int i = 0; i < b.length; i++) {
      byte c = b[i];
      if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return i;
    }
    return -1;
  }
}
