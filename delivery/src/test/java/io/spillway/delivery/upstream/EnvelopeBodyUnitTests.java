package io.spillway.delivery.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spillway.schemas.body.ContentEncoding;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

public class EnvelopeBodyUnitTests {
  static final String ENVELOPE = "{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\",\"sent_at\":\"2026-11-27T03:48:13.772Z\",\"sdk\":{\"name\":\"x\"}}\n"
      + "{\"type\":\"attachment\",\"length\":9,\"filename\":\"hello.txt\"}\n\u00efHello\r\n\n"
      + "{\"type\":\"event\",\"length\":41,\"content_type\":\"application/json\"}\n{\"message\":\"hello world\",\"level\":\"error\"}\n";

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String text(EnvelopeBody.Rewritten r) throws IOException {
    return new String(ContentEncoding.of(r.contentEncoding()).decode(r.body(), 1 << 30), StandardCharsets.UTF_8);
  }

  @Test
  void sentAtIsShiftedByTheWaitAndNothingElseChanges() throws IOException {
    EnvelopeBody.Rewritten out = EnvelopeBody.withSentAtShifted(utf8(ENVELOPE), null, 2 * 3600_000L + 5);
    assertThat(out.contentEncoding()).isNull();
    assertThat(text(out)).isEqualTo(ENVELOPE.replace("2026-11-27T03:48:13.772Z", "2026-11-27T05:48:13.777Z"));
    EnvelopeBody.Rewritten gz = EnvelopeBody.withSentAtShifted(ContentEncoding.gzip(utf8(ENVELOPE)), "gzip", 1000);
    assertThat(gz.contentEncoding()).isEqualTo("gzip");
    assertThat(text(gz)).isEqualTo(ENVELOPE.replace("2026-11-27T03:48:13.772Z", "2026-11-27T03:48:14.772Z"));
    EnvelopeBody.Rewritten zstd = EnvelopeBody.withSentAtShifted(com.github.luben.zstd.Zstd.compress(utf8(ENVELOPE)), "zstd", 0);
    assertThat(zstd.contentEncoding()).as("re-encoded with gzip, which every Sentry reads").isEqualTo("gzip");
  }

  /** A large compressed envelope is rewritten as a stream, never decoded whole; the result is the same. */
  @Test
  void aLargeEnvelopeIsRewrittenAsAStream() throws IOException {
    byte[] attachment = new byte[3 * 1024 * 1024];
    new Random(3).nextBytes(attachment);
    String head = "{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\",\"sent_at\":\"2026-11-27T03:48:13.772Z\"}\n"
        + "{\"type\":\"attachment\",\"length\":" + attachment.length + "}\n";
    byte[] plain = concat(utf8(head), attachment, utf8("\n"));
    byte[] gz = ContentEncoding.gzip(plain);
    assertThat(gz.length).isGreaterThan(EnvelopeBody.STREAM_ABOVE);
    EnvelopeBody.Rewritten out = EnvelopeBody.withSentAtShifted(gz, "gzip", 60_000);
    byte[] decoded = ContentEncoding.GZIP.decode(out.body(), 1 << 30);
    assertThat(decoded).isEqualTo(concat(
        utf8(head.replace("03:48:13.772Z", "03:49:13.772Z")), attachment, utf8("\n")));
  }

  @Test
  void sentAtWithAnOffsetOrWithoutZoneIsNormalisedToUtc() throws IOException {
    String withOffset = "{\"sent_at\":\"2026-11-27T05:48:13.772+02:00\"}\n{\"type\":\"event\"}\n{}\n";
    assertThat(EnvelopeBody.sentAt(utf8(text(EnvelopeBody.withSentAtShifted(utf8(withOffset), null, 1000)))))
        .isEqualTo("2026-11-27T03:48:14.772Z");
    String noZone = "{\"sent_at\":\"2026-11-27T03:48:13.772\"}\n";
    assertThat(EnvelopeBody.sentAt(utf8(text(EnvelopeBody.withSentAtShifted(utf8(noZone), "", 0))))).isEqualTo("2026-11-27T03:48:13.772Z");
  }

  @Test
  void noSentAtOrAnUnreadableOneMeansNoRewrite() throws IOException {
    assertThat(EnvelopeBody.withSentAtShifted(utf8("{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n{\"type\":\"event\"}\n{}\n"), null, 1000)).isNull();
    assertThat(EnvelopeBody.withSentAtShifted(utf8("{\"sent_at\":\"yesterday\"}\n"), null, 1000)).isNull();
    assertThatThrownBy(() -> EnvelopeBody.withSentAtShifted(new byte[0], null, 1000)).isInstanceOf(RuntimeException.class);
  }

  @Test
  void categoriesFollowItemTypes() throws IOException {
    assertThat(EnvelopeBody.categories(utf8(ENVELOPE), null)).containsExactly("attachment", "error");
    assertThat(EnvelopeBody.categories(ContentEncoding.gzip(utf8(ENVELOPE)), "gzip")).containsExactly("attachment", "error");
    assertThat(EnvelopeBody.categories(utf8("{}\n{\"type\":\"transaction\"}\n{}\n{\"type\":\"client_report\"}\n{}\n"), null))
        .containsExactly("transaction");
    assertThatThrownBy(() -> EnvelopeBody.categories(utf8("{}\n{\"type\":\"event\",\"length\":999}\n{}\n"), null)).as("truncated")
        .isInstanceOf(RuntimeException.class);
    assertThatThrownBy(() -> EnvelopeBody.categories(utf8("{}\n{\"no\":\"type\"}\n"), null)).isInstanceOf(RuntimeException.class);
  }

  @Property(tries = 300)
  void rewriteOnlyTouchesTheSentAtValue(@ForAll @LongRange(min = 0, max = 40L * 24 * 3600_000) long waited) throws IOException {
    String s = text(EnvelopeBody.withSentAtShifted(utf8(ENVELOPE), null, waited));
    String sentAt = EnvelopeBody.sentAt(utf8(s));
    assertThat(java.time.Instant.parse(sentAt).toEpochMilli() - java.time.Instant.parse("2026-11-27T03:48:13.772Z").toEpochMilli())
        .isEqualTo(waited);
    assertThat(s.replace(sentAt, "X")).isEqualTo(ENVELOPE.replace("2026-11-27T03:48:13.772Z", "X"));
  }

  static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) out.write(p, 0, p.length);
    return out.toByteArray();
  }

  /** zlib (RFC 1950) of {@code b}, as raven clients send store bodies; shared with the delivery integration tests. */
  public static byte[] zlib(byte[] b) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (java.util.zip.DeflaterOutputStream d = new java.util.zip.DeflaterOutputStream(out)) {
      d.write(b);
    }
    return out.toByteArray();
  }
}
