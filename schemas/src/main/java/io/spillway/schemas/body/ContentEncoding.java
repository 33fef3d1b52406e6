package io.spillway.schemas.body;

import com.github.luben.zstd.ZstdInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import org.brotli.dec.BrotliInputStream;

/**
 * The HTTP Content-Encodings Sentry accepts (sentry-protocol.md §3.2), decided the way Relay
 * decides them, in one place for the edge, the bridge and delivery: {@code gzip}/{@code x-gzip},
 * {@code deflate} (zlib, RFC 1950; raw deflate is accepted too, as some clients send it),
 * {@code br}, {@code zstd}; {@code ""}, {@code identity}, {@code utf-8} and {@code utf8} mean "not
 * encoded" (sentry-ruby and old Android SDKs send them, Relay strips them). Anything else is
 * {@link Unsupported}.
 */
public enum ContentEncoding {
  IDENTITY(null), GZIP("gzip"), DEFLATE("deflate"), BR("br"), ZSTD("zstd");

  /** An encoding Sentry does not accept (the edge answers 415). */
  public static final class Unsupported extends IllegalArgumentException {
    Unsupported() {
      super("unsupported content encoding");
    }
  }

  /** A decoded body would exceed the limit it was decoded with. */
  public static final class TooLarge extends IOException {
    public TooLarge(long limit) {
      super("decoded body exceeds " + limit + " bytes");
    }
  }

  private final String token;

  ContentEncoding(String token) {
    this.token = token;
  }

  /** The header value this encoding is written as ({@code null} for identity). */
  public String token() {
    return token;
  }

  /** The encoding of a Content-Encoding header value (null = none). */
  public static ContentEncoding of(String header) {
    if (header == null) return IDENTITY;
    return switch (header.trim().toLowerCase(Locale.ROOT)) {
      case "", "identity", "utf-8", "utf8" -> IDENTITY;
      case "gzip", "x-gzip" -> GZIP;
      case "deflate" -> DEFLATE;
      case "br" -> BR;
      case "zstd" -> ZSTD;
      default -> throw new Unsupported();
    };
  }

  /** True for a header value that means "not encoded". */
  public static boolean isIdentity(String header) {
    try {
      return of(header) == IDENTITY;
    } catch (Unsupported e) {
      return false;
    }
  }

  /** A stream of the decoded bytes of {@code body}. */
  public InputStream decoder(byte[] body) throws IOException {
    return decoder(List.of(body));
  }

  /** A stream of the decoded bytes of a body held in pieces (a chunked event), in order. */
  public InputStream decoder(List<byte[]> pieces) throws IOException {
    InputStream raw = pieces.size() == 1 ? new ByteArrayInputStream(pieces.get(0))
        : new SequenceInputStream(Collections.enumeration(pieces.stream().map(ByteArrayInputStream::new).toList()));
    return switch (this) {
      case IDENTITY -> raw;
      case GZIP -> new GZIPInputStream(raw, 8192);
      case DEFLATE -> new InflaterInputStream(raw, new Inflater(!isZlib(pieces.get(0))), 8192);
      case BR -> new BrotliInputStream(raw);
      case ZSTD -> new ZstdInputStream(raw);
    };
  }

  /** A zlib stream starts with a header whose CM is 8 and whose first two bytes are a multiple of 31. */
  static boolean isZlib(byte[] b) {
    return b.length >= 2 && (b[0] & 0x0f) == 8 && (((b[0] & 0xff) << 8) | (b[1] & 0xff)) % 31 == 0;
  }

  /**
   * The decoded body, at most {@code limit} bytes ({@link TooLarge} beyond). A gzip body is decoded
   * straight into an array of the size its trailer states when that size is plausible (at most 64×
   * the body), instead of growing and copying buffers.
   */
  public byte[] decode(byte[] body, long limit) throws IOException {
    if (this == IDENTITY) {
      if (body.length > limit) throw new TooLarge(limit);
      return body;
    }
    if (this == GZIP) {
      byte[] fast = gunzipSingleMember(body, limit);
      if (fast != null) return fast;
    }
    try (InputStream in = decoder(body)) {
      int expected = this == GZIP ? gzipSize(body, limit) : -1;
      if (expected >= 0) {
        byte[] exact = new byte[expected];
        int n = in.readNBytes(exact, 0, expected);
        int next = in.read();
        if (n == expected && next < 0) return exact;
        // Several members, or a wrong trailer: go on with what was read.
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(256, n * 2));
        out.write(exact, 0, n);
        if (next >= 0) out.write(next);
        return readRest(in, out, limit);
      }
      return readRest(in, new ByteArrayOutputStream((int) Math.min(limit, Math.max(256, body.length * 3L))), limit);
    } catch (RuntimeException e) {
      throw new IOException("corrupt " + token + " body", e); // brotli and zstd readers throw unchecked on garbage
    }
  }

  private static byte[] readRest(InputStream in, ByteArrayOutputStream out, long limit) throws IOException {
    byte[] buf = new byte[8192];
    if (out.size() > limit) throw new TooLarge(limit);
    for (int n; (n = in.read(buf)) > 0; ) {
      out.write(buf, 0, n);
      if (out.size() > limit) throw new TooLarge(limit);
    }
    return out.toByteArray();
  }

  /** Raw-deflate inflaters for {@link #gunzipSingleMember}, reused (creating one costs more than inflating 1 KiB). */
  private static final ConcurrentLinkedQueue<Inflater> INFLATERS = new ConcurrentLinkedQueue<>();

  /**
   * The common case without a stream: one gzip member whose trailer states a plausible size, inflated
   * with a pooled inflater straight into an array of that size and checked against the trailer's
   * CRC-32 and size. Null for anything else (several members, header flags it does not read, a
   * mismatch): the caller then takes the general path, which decides.
   */
  private static byte[] gunzipSingleMember(byte[] b, long limit) {
    int size = gzipSize(b, limit);
    if (size < 0 || (b[0] & 0xff) != 0x1f || (b[1] & 0xff) != 0x8b || b[2] != 8) return null;
    int flags = b[3] & 0xff;
    int pos = 10;
    if ((flags & 0xe0) != 0) return null; // reserved bits
    if ((flags & 4) != 0) { // FEXTRA
      if (pos + 2 > b.length) return null;
      pos += 2 + ((b[pos] & 0xff) | (b[pos + 1] & 0xff) << 8);
    }
    for (int flag : new int[] {8, 16}) { // FNAME, FCOMMENT: zero-terminated
      if ((flags & flag) == 0) continue;
      while (pos < b.length && b[pos] != 0) pos++;
      pos++;
    }
    if ((flags & 2) != 0) pos += 2; // FHCRC
    if (pos >= b.length - 8) return null;
    Inflater inf = INFLATERS.poll();
    if (inf == null) inf = new Inflater(true);
    try {
      inf.setInput(b, pos, b.length - 8 - pos);
      byte[] out = new byte[size];
      int n = 0;
      while (n < size && !inf.finished()) {
        int r = inf.inflate(out, n, size - n);
        if (r == 0 && (inf.needsInput() || inf.needsDictionary())) return null;
        n += r;
      }
      if (n != size) return null;
      if (!inf.finished()) { // more output than the trailer said: let the general path decide
        byte[] one = new byte[1];
        if (inf.inflate(one) > 0 || !inf.finished()) return null;
      }
      if (inf.getRemaining() != 0) return null; // another member follows
      CRC32 crc = new CRC32();
      crc.update(out, 0, n);
      int t = b.length - 8;
      long expectedCrc = (b[t] & 0xffL) | (b[t + 1] & 0xffL) << 8 | (b[t + 2] & 0xffL) << 16 | (b[t + 3] & 0xffL) << 24;
      return crc.getValue() == expectedCrc ? out : null;
    } catch (java.util.zip.DataFormatException e) {
      return null;
    } finally {
      inf.reset();
      INFLATERS.offer(inf);
    }
  }

  /** ISIZE of a gzip trailer, or -1 when absent or implausible. */
  private static int gzipSize(byte[] body, long limit) {
    if (body.length < 18) return -1;
    int i = body.length - 4;
    long size = (body[i] & 0xffL) | (body[i + 1] & 0xffL) << 8 | (body[i + 2] & 0xffL) << 16 | (body[i + 3] & 0xffL) << 24;
    return size <= Math.min(Math.min(limit, Integer.MAX_VALUE - 16), 64L * body.length) ? (int) size : -1;
  }

  /**
   * Deflaters for {@link #gzip}, reused: creating one (native zlib state of a few hundred KiB)
   * cost more than compressing a 1 KiB envelope. At most one per concurrent caller is created.
   */
  private static final ConcurrentLinkedQueue<Deflater> DEFLATERS = new ConcurrentLinkedQueue<>();

  /** gzip (RFC 1952), one member, fastest level: higher levels gain a few bytes on 1 KiB. */
  public static byte[] gzip(byte[] data) {
    Deflater def = DEFLATERS.poll();
    if (def == null) def = new Deflater(Deflater.BEST_SPEED, true);
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream(data.length / 2 + 64);
      out.write(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff}, 0, 10);
      def.setInput(data);
      def.finish();
      byte[] buf = new byte[Math.max(512, Math.min(1 << 20, data.length / 2 + 64))];
      while (!def.finished()) {
        int n = def.deflate(buf);
        out.write(buf, 0, n);
      }
      CRC32 crc = new CRC32();
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
   * {@code decoded} in this encoding, for a body that had to be changed: gzip for every compressed
   * encoding (brotli cannot be written here; every Sentry takes gzip), unchanged for identity.
   * {@link #reencodedAs()} names the resulting Content-Encoding.
   */
  public byte[] reencode(byte[] decoded) {
    return this == IDENTITY ? decoded : gzip(decoded);
  }

  /** The encoding {@link #reencode} produces. */
  public ContentEncoding reencodedAs() {
    return this == IDENTITY ? IDENTITY : GZIP;
  }
}
