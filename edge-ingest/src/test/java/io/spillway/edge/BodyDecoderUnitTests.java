package io.spillway.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

/** The bounded decoders: every encoding and gzip header shape gives the same first line and event id. */
class BodyDecoderUnitTests {
  static final String ID = "9ec79c33ec9942ab8353589fcb2e04dc";
  static final byte[] ENVELOPE = ("{\"event_id\":\"" + ID + "\"}\n{\"type\":\"event\"}\n{\"message\":\"x\"}\n").getBytes(StandardCharsets.UTF_8);

  @Test
  void envelopeHeaderThroughEveryEncoding() {
    assertThat(BodyDecoder.envelopeHeader(BodyDecoder.Encoding.IDENTITY, ENVELOPE).eventId()).isEqualTo(ID);
    assertThat(BodyDecoder.envelopeHeader(BodyDecoder.Encoding.GZIP, EdgeFixture.gzip(ENVELOPE)).eventId()).isEqualTo(ID);
    assertThat(BodyDecoder.envelopeHeader(BodyDecoder.Encoding.DEFLATE, EdgeFixture.zlib(ENVELOPE)).eventId()).isEqualTo(ID);
    assertThat(BodyDecoder.envelopeHeader(BodyDecoder.Encoding.DEFLATE, rawDeflate(ENVELOPE)).eventId()).isEqualTo(ID);
    assertThat(BodyDecoder.envelopeHeader(BodyDecoder.Encoding.BR, EdgeFixture.brotliStored(ENVELOPE)).eventId()).isEqualTo(ID);
    assertThat(BodyDecoder.envelopeHeader(BodyDecoder.Encoding.ZSTD, com.github.luben.zstd.Zstd.compress(ENVELOPE)).eventId()).isEqualTo(ID);
  }

  /** gzip written by tools that set FEXTRA, FNAME, FCOMMENT and FHCRC (RFC 1952), not only Java's minimal header. */
  @Test
  void gzipWithOptionalHeaderFields() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {0x1f, (byte) 0x8b, 8, 0x1e, 0, 0, 0, 0, 0, 3});
    out.writeBytes(new byte[] {3, 0, 'a', 'b', 'c'}); // FEXTRA
    out.writeBytes("envelope.txt\0".getBytes(StandardCharsets.ISO_8859_1)); // FNAME
    out.writeBytes("made by a test\0".getBytes(StandardCharsets.ISO_8859_1)); // FCOMMENT
    out.writeBytes(new byte[] {0x12, 0x34}); // FHCRC (not checked)
    out.writeBytes(rawDeflate(ENVELOPE));
    CRC32 crc = new CRC32();
    crc.update(ENVELOPE);
    long c = crc.getValue();
    out.writeBytes(new byte[] {(byte) c, (byte) (c >> 8), (byte) (c >> 16), (byte) (c >> 24),
        (byte) ENVELOPE.length, (byte) (ENVELOPE.length >> 8), 0, 0});
    assertThat(BodyDecoder.envelopeHeader(BodyDecoder.Encoding.GZIP, out.toByteArray()).eventId()).isEqualTo(ID);
  }

  @Test
  void headerOnlyEnvelopeWithoutNewline() {
    byte[] b = ("{\"event_id\":\"" + ID + "\"}").getBytes(StandardCharsets.UTF_8);
    assertThat(BodyDecoder.envelopeHeader(BodyDecoder.Encoding.IDENTITY, b).eventId()).isEqualTo(ID);
    assertThat(BodyDecoder.envelopeHeader(BodyDecoder.Encoding.GZIP, EdgeFixture.gzip(b)).eventId()).isEqualTo(ID);
  }

  @Test
  void headerLineTooLong() {
    byte[] b = ("{\"x\":\"" + "a".repeat(BodyDecoder.MAX_HEADER_LINE) + "\"}\n").getBytes(StandardCharsets.UTF_8);
    for (var enc : new BodyDecoder.Encoding[] {BodyDecoder.Encoding.IDENTITY, BodyDecoder.Encoding.GZIP}) {
      byte[] body = enc == BodyDecoder.Encoding.GZIP ? EdgeFixture.gzip(b) : b;
      assertThatThrownBy(() -> BodyDecoder.envelopeHeader(enc, body)).isInstanceOfSatisfying(ProtocolException.class,
          e -> assertThat(e.detail()).isEqualTo("invalid envelope: header line too long"));
    }
  }

  @Test
  void storeBodies() {
    byte[] json = ("{\"event_id\":\"" + ID + "\",\"message\":\"m\"}").getBytes(StandardCharsets.UTF_8);
    assertThat(BodyDecoder.storeEventId(BodyDecoder.storeJson(BodyDecoder.Encoding.IDENTITY, json, 1 << 20))).isEqualTo(ID);
    byte[] b64zlib = Base64.getEncoder().encode(EdgeFixture.zlib(json));
    assertThat(BodyDecoder.storeEventId(BodyDecoder.storeJson(BodyDecoder.Encoding.IDENTITY, b64zlib, 1 << 20))).isEqualTo(ID);
    byte[] b64json = Base64.getEncoder().encode(json);
    assertThat(BodyDecoder.storeEventId(BodyDecoder.storeJson(BodyDecoder.Encoding.IDENTITY, b64json, 1 << 20))).isEqualTo(ID);
    assertThat(BodyDecoder.storeEventId(BodyDecoder.storeJson(BodyDecoder.Encoding.DEFLATE, EdgeFixture.zlib(json), 1 << 20))).isEqualTo(ID);
    assertThat(BodyDecoder.storeEventId("{\"message\":\"no id\"}".getBytes(StandardCharsets.UTF_8))).isNull();
    // a zip bomb stops at the limit
    assertThatThrownBy(() -> BodyDecoder.storeJson(BodyDecoder.Encoding.GZIP, EdgeFixture.gzip(new byte[1 << 20]), 1 << 16))
        .isInstanceOfSatisfying(ProtocolException.class, e -> assertThat(e.status()).isEqualTo(413));
  }

  @Test
  void unknownEncodingIs415() {
    assertThatThrownBy(() -> BodyDecoder.Encoding.of("compress")).isInstanceOfSatisfying(ProtocolException.class,
        e -> assertThat(e.status()).isEqualTo(415));
    assertThat(BodyDecoder.Encoding.of("")).isEqualTo(BodyDecoder.Encoding.IDENTITY);
    assertThat(BodyDecoder.Encoding.of("UTF-8")).isEqualTo(BodyDecoder.Encoding.IDENTITY);
    assertThat(BodyDecoder.Encoding.of("X-GZIP")).isEqualTo(BodyDecoder.Encoding.GZIP);
  }

  static byte[] rawDeflate(byte[] b) {
    Deflater d = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
    d.setInput(b);
    d.finish();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[4096];
    while (!d.finished()) out.write(buf, 0, d.deflate(buf));
    d.end();
    return out.toByteArray();
  }
}
