package io.spillway.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.Zstd;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.DeflaterOutputStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class EnvelopeBodyUnitTests {
  static final String ENVELOPE = "{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\",\"sent_at\":\"2026-11-27T03:48:13.772Z\",\"sdk\":{\"name\":\"x\"}}\n"
      + "{\"type\":\"attachment\",\"length\":10,\"filename\":\"hello.txt\"}\n\u00efHello\r\n\n"
      + "{\"type\":\"event\",\"length\":41,\"content_type\":\"application/json\"}\n{\"message\":\"hello world\",\"level\":\"error\"}\n";

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void sentAtIsShiftedByTheWaitAndNothingElseChanges() {
    byte[] out = EnvelopeBody.rewriteSentAt(utf8(ENVELOPE), 2 * 3600_000L + 5);
    assertThat(new String(out, StandardCharsets.UTF_8))
        .isEqualTo(ENVELOPE.replace("2026-11-27T03:48:13.772Z", "2026-11-27T05:48:13.777Z"));
  }

  @Test
  void sentAtWithAnOffsetOrWithoutZoneIsNormalisedToUtc() {
    String withOffset = "{\"sent_at\":\"2026-11-27T05:48:13.772+02:00\"}\n{\"type\":\"event\"}\n{}\n";
    assertThat(EnvelopeBody.sentAt(EnvelopeBody.rewriteSentAt(utf8(withOffset), 1000))).isEqualTo("2026-11-27T03:48:14.772Z");
    String noZone = "{\"sent_at\":\"2026-11-27T03:48:13.772\"}\n";
    assertThat(EnvelopeBody.sentAt(EnvelopeBody.rewriteSentAt(utf8(noZone), 0))).isEqualTo("2026-11-27T03:48:13.772Z");
  }

  @Test
  void noSentAtOrAnUnreadableOneMeansNoRewrite() {
    assertThat(EnvelopeBody.rewriteSentAt(utf8("{\"event_id\":\"x\"}\n{\"type\":\"event\"}\n{}\n"), 1000)).isNull();
    assertThat(EnvelopeBody.rewriteSentAt(utf8("{\"sent_at\":\"yesterday\"}\n"), 1000)).isNull();
    assertThat(EnvelopeBody.rewriteSentAt(new byte[0], 1000)).isNull();
  }

  @Test
  void categoriesFollowItemTypes() {
    assertThat(EnvelopeBody.categories(utf8(ENVELOPE))).containsExactly("attachment", "error");
    assertThat(EnvelopeBody.categories(utf8("{}\n{\"type\":\"transaction\"}\n{}\n{\"type\":\"client_report\"}\n{}\n")))
        .containsExactly("transaction");
    assertThat(EnvelopeBody.categories(utf8("{}\n{\"type\":\"event\",\"length\":999}\n{}\n"))).as("truncated").isNull();
    assertThat(EnvelopeBody.categories(utf8("{}\n{\"no\":\"type\"}\n"))).isNull();
  }

  /** gzip() writes the member by hand with pooled Deflaters: the JDK's reader must get every byte back. */
  @Property(tries = 300)
  void gzipIsReadBackByTheJdkExactly(@ForAll byte[] data, @ForAll @IntRange(min = 0, max = 200_000) int padding) throws IOException {
    byte[] big = java.util.Arrays.copyOf(data, data.length + padding); // long runs of zeros too
    try (java.util.zip.GZIPInputStream in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(EnvelopeBody.gzip(big)))) {
      assertThat(in.readAllBytes()).isEqualTo(big);
    }
  }

  /**
   * decode() sizes its output from the gzip trailer: several members (whose last trailer states only
   * the last member's size) decode to all of them, and a trailer that lies fails like the JDK's reader.
   */
  @Property(tries = 300)
  void gzipDecodingDoesNotTrustTheTrailer(@ForAll byte[] first, @ForAll byte[] second, @ForAll @IntRange(min = -3, max = 3) int lie) {
    byte[] a = EnvelopeBody.gzip(first);
    byte[] b = EnvelopeBody.gzip(second);
    byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    byte[] joined = java.util.Arrays.copyOf(first, first.length + second.length);
    System.arraycopy(second, 0, joined, first.length, second.length);
    try {
      assertThat(EnvelopeBody.decode(both, "gzip")).isEqualTo(joined);
      assertThat(EnvelopeBody.decode(a, "gzip")).isEqualTo(first);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    byte[] lying = a.clone();
    int size = first.length + lie;
    if (lie == 0 || size < 0) return;
    lying[lying.length - 4] = (byte) size;
    lying[lying.length - 3] = (byte) (size >> 8);
    lying[lying.length - 2] = (byte) (size >> 16);
    lying[lying.length - 1] = (byte) (size >> 24);
    assertThatThrownBy(() -> EnvelopeBody.decode(lying, "gzip")).isInstanceOf(IOException.class);
  }

  @Test
  void decodesEveryEncodingTheEdgeAccepts() throws IOException {
    byte[] plain = utf8(ENVELOPE);
    assertThat(EnvelopeBody.decode(EnvelopeBody.gzip(plain), "gzip")).isEqualTo(plain);
    assertThat(EnvelopeBody.decode(EnvelopeBody.gzip(plain), "x-gzip")).isEqualTo(plain);
    assertThat(EnvelopeBody.decode(zlib(plain), "deflate")).isEqualTo(plain);
    assertThat(EnvelopeBody.decode(Zstd.compress(plain), "zstd")).isEqualTo(plain);
    assertThat(EnvelopeBody.decode(plain, "")).isSameAs(plain);
    assertThat(EnvelopeBody.decode(plain, "utf-8")).isSameAs(plain);
    assertThat(EnvelopeBody.decode(plain, null)).isSameAs(plain);
    assertThatThrownBy(() -> EnvelopeBody.decode(plain, "gzip")).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> EnvelopeBody.decode(plain, "compress")).isInstanceOf(IOException.class);
  }

  @Property(tries = 300)
  void rewriteOnlyTouchesTheSentAtValue(@ForAll @LongRange(min = 0, max = 40L * 24 * 3600_000) long waited) {
    byte[] out = EnvelopeBody.rewriteSentAt(utf8(ENVELOPE), waited);
    String s = new String(out, StandardCharsets.UTF_8);
    String sentAt = EnvelopeBody.sentAt(out);
    assertThat(java.time.Instant.parse(sentAt).toEpochMilli() - java.time.Instant.parse("2026-11-27T03:48:13.772Z").toEpochMilli())
        .isEqualTo(waited);
    assertThat(s.replace(sentAt, "X")).isEqualTo(ENVELOPE.replace("2026-11-27T03:48:13.772Z", "X"));
  }

  static byte[] zlib(byte[] b) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DeflaterOutputStream d = new DeflaterOutputStream(out)) {
      d.write(b);
    }
    return out.toByteArray();
  }
}
