package io.spillway.schemas.body;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class ContentEncodingUnitTests {
  private static final byte[] TEXT = "{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n{\"type\":\"event\"}\n{}".getBytes(UTF_8);

  @Test
  void headerValuesAsRelayReadsThem() {
    for (String identity : new String[] {null, "", " ", "identity", "utf-8", "UTF-8", "utf8"}) {
      assertThat(ContentEncoding.of(identity)).as(identity).isEqualTo(ContentEncoding.IDENTITY);
      assertThat(ContentEncoding.isIdentity(identity)).isTrue();
    }
    assertThat(ContentEncoding.of("GZIP")).isEqualTo(ContentEncoding.GZIP);
    assertThat(ContentEncoding.of("x-gzip")).isEqualTo(ContentEncoding.GZIP);
    assertThat(ContentEncoding.of(" deflate ")).isEqualTo(ContentEncoding.DEFLATE);
    assertThat(ContentEncoding.of("br")).isEqualTo(ContentEncoding.BR);
    assertThat(ContentEncoding.of("zstd")).isEqualTo(ContentEncoding.ZSTD);
    assertThatThrownBy(() -> ContentEncoding.of("compress")).isInstanceOf(ContentEncoding.Unsupported.class);
    assertThatThrownBy(() -> ContentEncoding.of("gzip, br")).isInstanceOf(ContentEncoding.Unsupported.class);
    assertThat(ContentEncoding.isIdentity("compress")).isFalse();
  }

  @Test
  void everyEncodingDecodes() throws IOException {
    assertThat(ContentEncoding.GZIP.decode(gzip(TEXT), 1 << 20)).isEqualTo(TEXT);
    assertThat(ContentEncoding.DEFLATE.decode(deflate(TEXT, false), 1 << 20)).as("zlib").isEqualTo(TEXT);
    assertThat(ContentEncoding.DEFLATE.decode(deflate(TEXT, true), 1 << 20)).as("raw deflate").isEqualTo(TEXT);
    assertThat(ContentEncoding.BR.decode(brotliStored(TEXT), 1 << 20)).isEqualTo(TEXT);
    assertThat(ContentEncoding.ZSTD.decode(com.github.luben.zstd.Zstd.compress(TEXT), 1 << 20)).isEqualTo(TEXT);
    assertThat(ContentEncoding.IDENTITY.decode(TEXT, 1 << 20)).isSameAs(TEXT);
  }

  @Test
  void aBodyInPiecesDecodesAsOne() throws IOException {
    byte[] gz = gzip(TEXT);
    List<byte[]> pieces = List.of(java.util.Arrays.copyOf(gz, 7), java.util.Arrays.copyOfRange(gz, 7, gz.length));
    assertThat(ContentEncoding.GZIP.decoder(pieces).readAllBytes()).isEqualTo(TEXT);
  }

  @Test
  void decodingStopsAtTheLimitAndOnGarbage() {
    byte[] big = new byte[100_000];
    assertThatThrownBy(() -> ContentEncoding.GZIP.decode(gzip(big), 50_000)).isInstanceOf(ContentEncoding.TooLarge.class);
    assertThatThrownBy(() -> ContentEncoding.IDENTITY.decode(big, 50_000)).isInstanceOf(ContentEncoding.TooLarge.class);
    assertThatThrownBy(() -> ContentEncoding.GZIP.decode("not gzip at all".getBytes(UTF_8), 1000)).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> ContentEncoding.BR.decode("not brotli".getBytes(UTF_8), 1000)).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> ContentEncoding.ZSTD.decode("not zstd".getBytes(UTF_8), 1000)).isInstanceOf(IOException.class);
  }

  /** gzip written by tools that set FEXTRA, FNAME, FCOMMENT and FHCRC (RFC 1952), not only Java's minimal header. */
  @Test
  void gzipWithOptionalHeaderFields() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 0x1e, 0, 0, 0, 0, 0, 3});
    out.writeBytes(new byte[] {3, 0, 'a', 'b', 'c'}); // FEXTRA
    out.writeBytes("envelope.txt\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)); // FNAME
    out.writeBytes("made by a test\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)); // FCOMMENT
    byte[] head = out.toByteArray();
    java.util.zip.CRC32 hcrc = new java.util.zip.CRC32();
    hcrc.update(head);
    out.writeBytes(new byte[] {(byte) hcrc.getValue(), (byte) (hcrc.getValue() >> 8)}); // FHCRC
    out.writeBytes(deflate(TEXT, true));
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(TEXT);
    long c = crc.getValue();
    out.writeBytes(new byte[] {(byte) c, (byte) (c >> 8), (byte) (c >> 16), (byte) (c >> 24),
        (byte) TEXT.length, (byte) (TEXT.length >> 8), 0, 0});
    assertThat(ContentEncoding.GZIP.decode(out.toByteArray(), 1 << 20)).isEqualTo(TEXT);
  }

  /** A gzip trailer that lies about the size is not trusted: the body still decodes right. */
  @Test
  void aLyingGzipTrailerIsHarmless() throws IOException {
    byte[] gz = gzip(TEXT);
    gz[gz.length - 4] ^= 0x05;
    assertThat(ContentEncoding.GZIP.decoder(gz).readNBytes(TEXT.length)).isEqualTo(TEXT);
    byte[] twoMembers = EnvelopeUnitTests.concat(gzip(TEXT), gzip(TEXT));
    assertThat(ContentEncoding.GZIP.decode(twoMembers, 1 << 20)).isEqualTo(EnvelopeUnitTests.concat(TEXT, TEXT));
  }

  /**
   * decode() sizes its output from the gzip trailer: several members (whose last trailer states only
   * the last member's size) decode to all of them, and a trailer that lies fails like the JDK's reader.
   */
  @Property(tries = 300)
  void gzipDecodingDoesNotTrustTheTrailer(@ForAll @Size(max = 2000) byte[] first, @ForAll @Size(max = 2000) byte[] second,
      @ForAll @net.jqwik.api.constraints.IntRange(min = -3, max = 3) int lie) throws IOException {
    byte[] a = ContentEncoding.gzip(first);
    byte[] b = ContentEncoding.gzip(second);
    assertThat(ContentEncoding.GZIP.decode(EnvelopeUnitTests.concat(a, b), 1 << 20)).isEqualTo(EnvelopeUnitTests.concat(first, second));
    assertThat(ContentEncoding.GZIP.decode(a, 1 << 20)).isEqualTo(first);
    byte[] lying = a.clone();
    int size = first.length + lie;
    if (lie == 0 || size < 0) return;
    lying[lying.length - 4] = (byte) size;
    lying[lying.length - 3] = (byte) (size >> 8);
    lying[lying.length - 2] = (byte) (size >> 16);
    lying[lying.length - 1] = (byte) (size >> 24);
    assertThatThrownBy(() -> ContentEncoding.GZIP.decode(lying, 1 << 20)).isInstanceOf(IOException.class);
  }

  @Property(tries = 200)
  void gzipIsReadByTheJdk(@ForAll @Size(max = 5000) byte[] data) throws IOException {
    byte[] gz = ContentEncoding.gzip(data);
    assertThat(new GZIPInputStream(new java.io.ByteArrayInputStream(gz)).readAllBytes()).isEqualTo(data);
    assertThat(ContentEncoding.GZIP.decode(gz, 1 << 20)).isEqualTo(data);
    assertThat(ContentEncoding.BR.reencode(data)).isEqualTo(gz);
    assertThat(ContentEncoding.BR.reencodedAs()).isEqualTo(ContentEncoding.GZIP);
  }

  static byte[] gzip(byte[] b) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(b);
    }
    return out.toByteArray();
  }

  static byte[] deflate(byte[] b, boolean raw) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DeflaterOutputStream d = new DeflaterOutputStream(out, new Deflater(Deflater.DEFAULT_COMPRESSION, raw))) {
      d.write(b);
    }
    return out.toByteArray();
  }

  /** A brotli stream of one uncompressed meta-block (RFC 7932 §9.2): valid brotli without an encoder. */
  static byte[] brotliStored(byte[] b) {
    long m = b.length - 1;
    long bits = (m << 4) | (1L << 20);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write((int) (bits & 0xff));
    out.write((int) ((bits >> 8) & 0xff));
    out.write((int) ((bits >> 16) & 0xff));
    out.write(b, 0, b.length);
    out.write(0x03);
    return out.toByteArray();
  }
}
