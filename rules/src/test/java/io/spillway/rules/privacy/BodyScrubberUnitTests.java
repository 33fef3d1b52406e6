package io.spillway.rules.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spillway.schemas.body.ContentEncoding;
import io.spillway.schemas.body.Envelope;
import io.spillway.schemas.config.PrivacyConfig;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import org.junit.jupiter.api.Test;

/** Whole request bodies: every encoding the edge accepts, envelopes item by item, attachments, failing closed. */
class BodyScrubberUnitTests {
  static final String EVENT = "{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\",\"extra\":{\"password\":\"hunter2\",\"ok\":\"fine\"}}";
  static final String CLEAN = "{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\",\"extra\":{\"ok\":\"fine\"}}";
  static final String SCRUBBED = "{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\",\"extra\":{\"password\":\"[Filtered]\",\"ok\":\"fine\"}}";

  static BodyScrubber scrubber(PrivacyConfig.Attachments attachments) {
    PrivacyConfig c = new PrivacyConfig(true, true, true, List.of(), List.of(), null, null, attachments);
    return new BodyScrubber(Scrubber.of(c), 1 << 20, 100 << 20);
  }

  static final BodyScrubber KEEP = scrubber(PrivacyConfig.Attachments.KEEP);

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String decoded(BodyScrubber.Outcome o) throws Exception {
    return new String(ContentEncoding.of(o.contentEncoding()).decode(o.body(), 10 << 20), StandardCharsets.UTF_8);
  }

  static byte[] zlib(byte[] b) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DeflaterOutputStream z = new DeflaterOutputStream(out, new Deflater())) {
      z.write(b);
    }
    return out.toByteArray();
  }

  @Test
  void storeInEveryEncoding() throws Exception {
    for (String ce : new String[] {null, "", "identity", "utf-8", "gzip", "x-gzip", "deflate"}) {
      byte[] body = ce == null || ContentEncoding.of(ce) == ContentEncoding.IDENTITY ? utf8(EVENT)
          : ContentEncoding.of(ce) == ContentEncoding.GZIP ? ContentEncoding.gzip(utf8(EVENT)) : zlib(utf8(EVENT));
      BodyScrubber.Outcome o = KEEP.store(body, ce, "application/json");
      assertThat(o.changed()).as(ce).isTrue();
      assertThat(decoded(o)).as(ce).isEqualTo(SCRUBBED);
      assertThat(o.counts()).containsEntry("@password:filter", 1);
    }
  }

  @Test
  void legacyBase64ZlibBodiesAreStoredAsTheirJson() throws Exception {
    byte[] body = Base64.getEncoder().encode(zlib(utf8(EVENT)));
    BodyScrubber.Outcome o = KEEP.store(body, null, "application/octet-stream");
    assertThat(decoded(o)).isEqualTo(SCRUBBED);
    assertThat(o.contentType()).isEqualTo("application/json");
    assertThat(o.contentEncoding()).isNull();
  }

  @Test
  void nothingToScrubMeansByteIdentical() throws Exception {
    byte[] gz = ContentEncoding.gzip(utf8(CLEAN));
    assertThat(KEEP.store(gz, "gzip", "application/json").changed()).isFalse();
    byte[] env = utf8("{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n{\"type\":\"event\"}\n" + CLEAN + "\n");
    assertThat(KEEP.envelope(ContentEncoding.gzip(env), "gzip").changed()).isFalse();
    assertThat(KEEP.envelope(env, null).changed()).isFalse();
  }

  @Test
  void envelopeItems() throws Exception {
    String env = "{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\",\"dsn\":\"https://k@o.example/1\"}\n"
        + "{\"type\":\"event\",\"length\":" + EVENT.length() + "}\n" + EVENT + "\n"
        + "{\"type\":\"attachment\",\"length\":5,\"filename\":\"a.txt\"}\nhello\n"
        + "{\"type\":\"session\"}\n{\"sid\":\"x\",\"did\":\"jane@example.com\",\"status\":\"ok\",\"attrs\":{\"release\":\"r\",\"ip_address\":\"{{auto}}\"}}\n"
        + "{\"type\":\"client_report\"}\n{\"discarded_events\":[]}\n"
        + "{\"type\":\"log\",\"item_count\":1,\"content_type\":\"application/vnd.sentry.items.log+json\"}\n"
        + "{\"items\":[{\"timestamp\":1,\"level\":\"info\",\"body\":\"login for jane@example.com from 10.0.0.1\","
        + "\"attributes\":{\"password\":{\"value\":\"p\",\"type\":\"string\"},\"client.address\":{\"value\":\"10.0.0.1\",\"type\":\"string\"}}}]}\n"
        + "{\"type\":\"check_in\"}\n{\"check_in_id\":\"83a7c03ed0a04e1b97e2e3b18d38f244\",\"monitor_slug\":\"m\",\"status\":\"ok\",\"extra_field\":\"10.1.1.1\"}\n";
    for (String ce : new String[] {null, "gzip", "deflate"}) {
      byte[] body = ce == null ? utf8(env) : ce.equals("gzip") ? ContentEncoding.gzip(utf8(env)) : zlib(utf8(env));
      BodyScrubber.Outcome o = KEEP.envelope(body, ce);
      Envelope out = Envelope.parse(ContentEncoding.of(o.contentEncoding()).decode(o.body(), 1 << 20));
      assertThat(out.header().dsn()).isEqualTo("https://k@o.example/1");
      assertThat(out.items()).extracting(Envelope.Item::type).containsExactly("event", "attachment", "session", "client_report", "log", "check_in");
      assertThat(new String(out.items().get(0).payload(), StandardCharsets.UTF_8)).isEqualTo(SCRUBBED);
      assertThat(out.items().get(0).header().declaredLength()).isEqualTo(SCRUBBED.length());
      assertThat(new String(out.items().get(1).payload(), StandardCharsets.UTF_8)).isEqualTo("hello");
      assertThat(new String(out.items().get(2).payload(), StandardCharsets.UTF_8))
          .isEqualTo("{\"sid\":\"x\",\"did\":\"[email]\",\"status\":\"ok\",\"attrs\":{\"release\":\"r\",\"ip_address\":null}}");
      assertThat(new String(out.items().get(3).payload(), StandardCharsets.UTF_8)).isEqualTo("{\"discarded_events\":[]}");
      assertThat(new String(out.items().get(4).payload(), StandardCharsets.UTF_8)).isEqualTo(
          "{\"items\":[{\"timestamp\":1,\"level\":\"info\",\"body\":\"login for [email] from 10.0.0.1\","
              + "\"attributes\":{\"password\":{\"value\":\"[Filtered]\",\"type\":\"string\"},\"client.address\":{\"value\":null,\"type\":\"string\"}}}]}");
      assertThat(new String(out.items().get(5).payload(), StandardCharsets.UTF_8))
          .isEqualTo("{\"check_in_id\":\"83a7c03ed0a04e1b97e2e3b18d38f244\",\"monitor_slug\":\"m\",\"status\":\"ok\",\"extra_field\":\"[ip]\"}");
      assertThat(o.contentEncoding()).isEqualTo(ce == null ? null : "gzip");
    }
  }

  @Test
  void attachmentsDrop() throws Exception {
    String env = "{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}\n{\"type\":\"event\"}\n" + CLEAN + "\n"
        + "{\"type\":\"attachment\",\"length\":4,\"attachment_type\":\"event.minidump\",\"filename\":\"m.dmp\"}\nMDMP\n"
        + "{\"type\":\"attachment\",\"length\":5,\"filename\":\"a.txt\"}\nhello\n";
    BodyScrubber.Outcome o = scrubber(PrivacyConfig.Attachments.DROP).envelope(utf8(env), null);
    Envelope out = Envelope.parse(o.body());
    assertThat(out.items()).extracting(Envelope.Item::type).containsExactly("event");
    assertThat(new String(out.items().get(0).payload(), StandardCharsets.UTF_8)).isEqualTo(CLEAN);
    assertThat(o.counts()).containsEntry(BodyScrubber.ATTACHMENTS_DROP, 2);
    // Dropping attachments alone (no scrubbing settings) works too.
    PrivacyConfig onlyDrop = new PrivacyConfig(false, false, false, List.of(), List.of(), null, null, PrivacyConfig.Attachments.DROP);
    assertThat(new BodyScrubber(Scrubber.of(onlyDrop), 1 << 20, 1 << 20).envelope(utf8(env), null).counts())
        .containsEntry(BodyScrubber.ATTACHMENTS_DROP, 2);
  }

  @Test
  void reportsAreScrubbedEverywhere() throws Exception {
    String nel = "[{\"age\":0,\"type\":\"network-error\",\"url\":\"https://example.com/?token=abc\",\"body\":{\"server_ip\":\"203.0.113.7\",\"phase\":\"dns\"}}]";
    BodyScrubber.Outcome o = KEEP.json(Payload.REPORT, utf8(nel), null, "application/reports+json");
    assertThat(decoded(o)).isEqualTo(
        "[{\"age\":0,\"type\":\"network-error\",\"url\":\"[Filtered]\",\"body\":{\"server_ip\":\"[ip]\",\"phase\":\"dns\"}}]");
  }

  @Test
  void whatCannotBeScrubbedIsRefusedAndTheMessageNeverQuotesTheBody() {
    assertThatThrownBy(() -> KEEP.store(utf8("{\"password\": \"hunter2\""), null, null))
        .isInstanceOfSatisfying(ScrubException.class, e -> {
          assertThat(e.kind()).isEqualTo(ScrubException.Kind.INVALID_BODY);
          assertThat(e.getMessage()).doesNotContain("hunter2");
        });
    String env = "{}\n{\"type\":\"event\"}\n{\"password\": hunter2}\n";
    assertThatThrownBy(() -> KEEP.envelope(utf8(env), null)).isInstanceOfSatisfying(ScrubException.class, e -> {
      assertThat(e.getMessage()).isEqualTo("item 1 (event): not valid JSON");
    });
    assertThatThrownBy(() -> KEEP.envelope(utf8("{}\n{\"type\":\"event\"}\n[1,2]\n"), null))
        .hasMessage("item 1 (event): expected a JSON object");
    assertThatThrownBy(() -> KEEP.store(new byte[] {1, 2, 3}, "gzip", null)).hasMessage("invalid body encoding");
    assertThatThrownBy(() -> new BodyScrubber(KEEP.scrubber(), 10, 10).store(utf8(EVENT), null, null))
        .isInstanceOfSatisfying(ScrubException.class, e -> assertThat(e.kind()).isEqualTo(ScrubException.Kind.TOO_LARGE));
  }
}
