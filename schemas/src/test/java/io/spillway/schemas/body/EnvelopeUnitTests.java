package io.spillway.schemas.body;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The envelope reader against the examples of the envelope spec (develop.sentry.dev, "Envelopes")
 * and the cases of Relay's own envelope tests (relay-server envelope/mod.rs), read there and
 * written down here as literals, plus properties over random envelopes.
 */
class EnvelopeUnitTests {
  private static final String HEADER = "{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\",\"dsn\":\"https://e12d836b15bb49d7bbf99e64295d995b:@sentry.io/42\"}";

  private static Envelope parse(String s) {
    return Envelope.parse(s.getBytes(UTF_8));
  }

  private static Envelope.Scan scan(byte[] b) throws IOException {
    return Envelope.scan(new ByteArrayInputStream(b), Long.MAX_VALUE);
  }

  @Test
  void theSpecsExampleWithTwoLengthPrefixedItems() throws IOException {
    byte[] b = concat(HEADER + "\n{\"type\":\"attachment\",\"length\":10,\"content_type\":\"text/plain\",\"filename\":\"hello.txt\"}\n",
        new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf}, "Hello\r\n\n{\"type\":\"event\",\"length\":41,\"content_type\":\"application/json\",\"filename\":\"application.log\"}\n{\"message\":\"hello world\",\"level\":\"error\"}\n");
    Envelope e = Envelope.parse(b);
    assertThat(e.header().eventId()).isEqualTo("9ec79c33ec9942ab8353589fcb2e04dc");
    assertThat(e.header().dsn()).startsWith("https://e12d");
    assertThat(e.items()).extracting(Envelope.Item::type).containsExactly("attachment", "event");
    assertThat(e.items().get(0).payload()).hasSize(10);
    assertThat(new String(e.items().get(1).payload(), UTF_8)).isEqualTo("{\"message\":\"hello world\",\"level\":\"error\"}");
    assertThat(e.toBytes()).isEqualTo(b);
    assertThat(scan(b).types()).containsExactly("attachment", "event");
  }

  @Test
  void relaysCasesThatParse() {
    // header only, with and without its newline
    assertThat(parse(HEADER).items()).isEmpty();
    assertThat(parse(HEADER + "\n").items()).isEmpty();
    // empty items, the blank line is the first payload's newline; the last one without a newline
    assertThat(parse(HEADER + "\n{\"type\":\"attachment\",\"length\":0}\n\n{\"type\":\"attachment\",\"length\":0}\n").items()).hasSize(2);
    assertThat(parse(HEADER + "\n{\"type\":\"attachment\",\"length\":0}\n\n{\"type\":\"attachment\",\"length\":0}").items()).hasSize(2);
    // implicit length: to the newline, or to the end
    assertThat(parse(HEADER + "\n{\"type\":\"attachment\"}\nhelloworld\n").items().get(0).payload()).hasSize(10);
    assertThat(parse(HEADER + "\n{\"type\":\"attachment\"}\nhelloworld").items().get(0).payload()).hasSize(10);
    assertThat(parse(HEADER + "\n{\"type\":\"attachment\"}").items().get(0).payload()).isEmpty();
    // whitespace before a header line is skipped; unknown types and fields are kept
    assertThat(parse(HEADER + "\n\n  {\"type\":\"something_new\",\"x\":[1,{\"y\":2}]}\n{}").items().get(0).type()).isEqualTo("something_new");
    assertThat(parse("{}\n{\"type\":\"session\"}\n{\"started\":\"2020-02-07T14:16:00Z\"}").header().eventId()).isNull();
  }

  @Test
  void relaysCasesThatFailNameTheItem() {
    assertThatThrownBy(() -> parse("")).isInstanceOf(EnvelopeException.class).hasMessage("missing envelope header");
    assertThatThrownBy(() -> parse("{\"event_id\":\"nope\"}")).hasMessage("invalid event id");
    assertThatThrownBy(() -> parse("[1,2]\n")).hasMessage("invalid envelope header");
    assertThatThrownBy(() -> parse(HEADER + " \n")).hasMessageContaining("invalid envelope header");
    assertThatThrownBy(() -> parse(HEADER + "\n{\"type\":\"event\",\"length\":41}\n{\"message\":\"hello\"}"))
        .isInstanceOf(EnvelopeException.class).hasMessageContaining("item 1 (event): length 41 runs past the end");
    assertThatThrownBy(() -> parse(HEADER + "\n{\"type\":\"event\",\"length\":2}\n{}\n{\"type\":\"attachment\",\"length\":5}\nabcdXY"))
        .hasMessageContaining("item 2 (attachment): no newline after its 5-byte payload");
    assertThatThrownBy(() -> parse(HEADER + "\n{\"length\":2}\n{}")).hasMessageContaining("item 1: invalid item header (no type)");
    assertThatThrownBy(() -> parse(HEADER + "\n{\"type\":7}\n{}")).hasMessageContaining("item 1: invalid item header");
    assertThatThrownBy(() -> parse(HEADER + "\n{\"type\":\"event\",\"length\":-1}\n{}")).hasMessageContaining("32-bit");
    assertThatThrownBy(() -> parse(HEADER + "\n{\"type\":\"event\",\"length\":4294967296}\n{}")).hasMessageContaining("32-bit");
    assertThatThrownBy(() -> parse(HEADER + "\n{\"type\":\"event\",\"length\":1.5}\n{}")).hasMessageContaining("32-bit");
    assertThatThrownBy(() -> parse(HEADER + "\n{\"type\":\"event\"\n")).hasMessageContaining("item 1: invalid item header");
    assertThatThrownBy(() -> parse(HEADER + "\n{\"type\":\"event\"} \n{}")).hasMessageContaining("text after the JSON object");
    // Relay reads blank lines after the last item as the start of an item that never comes
    assertThatThrownBy(() -> parse(HEADER + "\n{\"type\":\"event\",\"length\":2}\n{}\n\n")).hasMessageContaining("item 2: unexpected end");
  }

  @Test
  void aHeaderLineLongerThanTheLimitIsRefused() {
    String big = "{\"x\":\"" + "a".repeat(Envelope.MAX_HEADER_LINE) + "\"}";
    assertThatThrownBy(() -> Envelope.scan(new ByteArrayInputStream(big.getBytes(UTF_8)), Long.MAX_VALUE))
        .isInstanceOf(EnvelopeException.class).hasMessageContaining("longer than");
  }

  @Test
  void eventIdIsInsertedIntoTheHeaderAndNothingElseChanges() {
    String body = "{\"sdk\":{\"name\":\"x\"}}\n{\"type\":\"event\"}\n{\"a\":1}\n";
    byte[] out = Envelope.withEventId(body.getBytes(UTF_8), "0123456789abcdef0123456789abcdef");
    assertThat(new String(out, UTF_8)).isEqualTo("{\"event_id\":\"0123456789abcdef0123456789abcdef\",\"sdk\":{\"name\":\"x\"}}\n{\"type\":\"event\"}\n{\"a\":1}\n");
    assertThat(new String(Envelope.withEventId("{}\n".getBytes(UTF_8), "0123456789abcdef0123456789abcdef"), UTF_8))
        .isEqualTo("{\"event_id\":\"0123456789abcdef0123456789abcdef\"}\n");
    byte[] has = HEADER.getBytes(UTF_8);
    assertThat(Envelope.withEventId(has, "0123456789abcdef0123456789abcdef")).isSameAs(has);
  }

  @Test
  void aHeaderStringIsReplacedInPlace() {
    String body = "{\"dsn\":\"https://k@h/1?sent_at=no\",\"sent_at\":\"2020-01-01T00:00:00.000Z\",\"x\":1}\n{\"type\":\"event\"}\n{}";
    assertThat(new String(Envelope.withHeaderString(body.getBytes(UTF_8), "sent_at", "2021-02-02T00:00:00.000Z"), UTF_8))
        .isEqualTo(body.replace("2020-01-01T00:00:00.000Z", "2021-02-02T00:00:00.000Z"));
    assertThat(Envelope.withHeaderString("{\"x\":1}".getBytes(UTF_8), "sent_at", "y")).isNull();
  }

  @Test
  void aReplacedPayloadGetsItsLength() {
    Envelope e = parse(HEADER + "\n{\"type\":\"event\",\"length\":2,\"content_type\":\"application/json\"}\n{}\n{\"type\":\"attachment\"}\nabc");
    Envelope changed = e.withItems(List.of(e.items().get(0).withPayload("{\"a\":\"b\\nc\"}".getBytes(UTF_8)), e.items().get(1)));
    Envelope again = Envelope.parse(changed.toBytes());
    assertThat(new String(again.items().get(0).payload(), UTF_8)).isEqualTo("{\"a\":\"b\\nc\"}");
    assertThat(new String(again.items().get(0).header().headerLine(), UTF_8)).isEqualTo("{\"type\":\"event\",\"length\":12,\"content_type\":\"application/json\"}");
    assertThat(new String(again.items().get(1).payload(), UTF_8)).isEqualTo("abc");
  }

  @Test
  void relaysRequiresEventList() throws IOException {
    assertThat(scan("{}\n{\"type\":\"session\"}\n{}\n{\"type\":\"client_report\"}\n{}".getBytes(UTF_8)).needsEventId()).isFalse();
    assertThat(scan("{}\n{\"type\":\"session\"}\n{}\n{\"type\":\"attachment\"}\nx".getBytes(UTF_8)).needsEventId()).isTrue();
  }

  /** A random envelope as items of (type, payload, declared length or not). */
  record Gen(List<String> types, List<byte[]> payloads, List<Boolean> withLength) {
    byte[] bytes() {
      StringBuilder b = new StringBuilder(HEADER).append('\n');
      List<byte[]> parts = new ArrayList<>();
      parts.add(b.toString().getBytes(UTF_8));
      for (int i = 0; i < types.size(); i++) {
        String h = withLength.get(i) ? "{\"type\":\"" + types.get(i) + "\",\"length\":" + payloads.get(i).length + "}"
            : "{\"type\":\"" + types.get(i) + "\"}";
        parts.add((h + "\n").getBytes(UTF_8));
        parts.add(payloads.get(i));
        parts.add(new byte[] {'\n'});
      }
      return concat(parts.toArray());
    }
  }

  @Provide
  Arbitrary<Gen> envelopes() {
    Arbitrary<String> type = Arbitraries.of("event", "attachment", "session", "client_report", "x_y");
    Arbitrary<byte[]> payload = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
    Arbitrary<Boolean> withLength = Arbitraries.of(true, false);
    return Arbitraries.integers().between(0, 6).flatMap(n -> Combinators.combine(
        type.list().ofSize(n), payload.list().ofSize(n), withLength.list().ofSize(n))
        .as((t, p, w) -> {
          List<byte[]> fixed = new ArrayList<>();
          for (int i = 0; i < n; i++) {
            // without a length the payload may not contain a newline (the format's rule)
            fixed.add(w.get(i) ? p.get(i) : new String(p.get(i), UTF_8).replace("\n", "").getBytes(UTF_8));
          }
          return new Gen(t, fixed, w);
        }));
  }

  /** Read from an array or from a stream that hands out a few bytes at a time, an envelope gives back what was written. */
  @Property(tries = 300)
  void writtenEnvelopesReadBackWholeWhateverTheReads(@ForAll("envelopes") Gen g, @ForAll @IntRange(min = 1, max = 64) int step)
      throws IOException {
    byte[] b = g.bytes();
    Envelope e = Envelope.parse(b);
    assertThat(e.items()).extracting(Envelope.Item::type).containsExactlyElementsOf(g.types());
    for (int i = 0; i < g.payloads().size(); i++) assertThat(e.items().get(i).payload()).isEqualTo(g.payloads().get(i));
    assertThat(e.toBytes()).isEqualTo(b);
    Envelope.Scan s = Envelope.scan(trickle(b, step), Long.MAX_VALUE);
    assertThat(s.types()).containsExactlyElementsOf(g.types());
    for (int i = 0; i < g.payloads().size(); i++) assertThat(s.items().get(i).payloadLength()).isEqualTo(g.payloads().get(i).length);
  }

  /** Cut anywhere inside a length-prefixed payload, an envelope is refused, never read short. */
  @Property(tries = 300)
  void truncatedLengthPrefixedPayloadsAreRefused(@ForAll("envelopes") Gen g, @ForAll @IntRange(min = 1, max = 299) int cut) {
    int idx = g.withLength().lastIndexOf(true);
    if (idx < 0 || g.payloads().get(idx).length == 0) return;
    byte[] b = g.bytes();
    // the end of the last length-prefixed payload: cut inside it
    int tail = 1; // its newline
    for (int i = idx + 1; i < g.types().size(); i++) {
      tail += ("{\"type\":\"" + g.types().get(i) + "\"" + (g.withLength().get(i) ? ",\"length\":" + g.payloads().get(i).length : "") + "}\n")
          .getBytes(UTF_8).length + g.payloads().get(i).length + 1;
    }
    int payloadEnd = b.length - tail;
    int cutAt = payloadEnd - 1 - (cut % g.payloads().get(idx).length);
    byte[] truncated = java.util.Arrays.copyOf(b, cutAt);
    assertThatThrownBy(() -> Envelope.parse(truncated)).isInstanceOf(EnvelopeException.class).hasMessageContaining("item " + (idx + 1));
  }

  /** Whatever the bytes, reading refuses them with an EnvelopeException or succeeds: nothing else escapes. */
  @Property(tries = 500)
  void randomBytesGiveAnEnvelopeOrAnEnvelopeException(@ForAll byte[] bytes) {
    try {
      Envelope.parse(bytes);
    } catch (EnvelopeException expected) {
      // fine
    }
    try {
      Envelope.scan(ContentEncoding.GZIP.decoder(bytes), 1 << 20);
    } catch (EnvelopeException | IOException expected) {
      // fine: a corrupt gzip stream is an IOException the edge answers 400 to
    }
    try {
      StoreBody.eventId(StoreBody.json(ContentEncoding.DEFLATE, bytes, 1 << 16));
    } catch (StoreBody.Invalid | IOException expected) {
      // fine
    }
  }

  @Test
  void storeBodiesAsRelayDecodesThem() throws IOException {
    String id = "9ec79c33ec9942ab8353589fcb2e04dc";
    byte[] json = ("{\"event_id\":\"" + id + "\",\"message\":\"m\"}").getBytes(UTF_8);
    assertThat(StoreBody.eventId(StoreBody.json(ContentEncoding.IDENTITY, json, 1 << 20))).isEqualTo(id);
    byte[] b64zlib = java.util.Base64.getEncoder().encode(ContentEncodingUnitTests.deflate(json, false));
    assertThat(StoreBody.eventId(StoreBody.json(ContentEncoding.IDENTITY, b64zlib, 1 << 20))).isEqualTo(id);
    assertThat(StoreBody.eventId(StoreBody.json(ContentEncoding.IDENTITY, java.util.Base64.getEncoder().encode(json), 1 << 20))).isEqualTo(id);
    assertThat(StoreBody.eventId(StoreBody.json(ContentEncoding.DEFLATE, ContentEncodingUnitTests.deflate(json, false), 1 << 20))).isEqualTo(id);
    assertThat(StoreBody.eventId("{\"message\":\"no id\"}".getBytes(UTF_8))).isNull();
    assertThatThrownBy(() -> StoreBody.eventId("{\"event_id\":\"nope\"}".getBytes(UTF_8))).hasMessage("invalid event id");
    assertThatThrownBy(() -> StoreBody.eventId("[1]".getBytes(UTF_8))).hasMessage("invalid JSON data");
    assertThatThrownBy(() -> StoreBody.json(ContentEncoding.IDENTITY, "  ".getBytes(UTF_8), 100)).hasMessage("empty request body");
    // a zip bomb stops at the limit
    assertThatThrownBy(() -> StoreBody.json(ContentEncoding.GZIP, ContentEncodingUnitTests.gzip(new byte[1 << 20]), 1 << 16))
        .isInstanceOf(ContentEncoding.TooLarge.class);
    assertThat(new String(StoreBody.withEventId("{\"message\":\"m\"}".getBytes(UTF_8), id), UTF_8))
        .isEqualTo("{\"event_id\":\"" + id + "\",\"message\":\"m\"}");
    assertThat(new String(StoreBody.withEventId(" { } ".getBytes(UTF_8), id), UTF_8)).isEqualTo(" {\"event_id\":\"" + id + "\" } ");
  }

  @Test
  void scanStopsAtItsByteLimit() {
    byte[] b = (HEADER + "\n{\"type\":\"attachment\",\"length\":100000}\n" + "a".repeat(100000)).getBytes(UTF_8);
    assertThatThrownBy(() -> Envelope.scan(new ByteArrayInputStream(b), 50_000)).isInstanceOf(ContentEncoding.TooLarge.class);
  }

  @Test
  void firstPayloadReadsTheFirstItemOfATypeAndNoFurther() throws IOException {
    byte[] b = (HEADER + "\n{\"type\":\"session\"}\n{\"sid\":\"1\"}\n{\"type\":\"event\",\"length\":13}\n{\"message\":1}\n"
        + "{\"type\":\"event\"}\n{\"second\":1}\n{\"type\":\"attachment\",\"length\":10}\n0123456789").getBytes(UTF_8);
    assertThat(new String(Envelope.firstPayload(trickle(b, 7), "event", 1000), UTF_8)).isEqualTo("{\"message\":1}");
    assertThat(new String(Envelope.firstPayload(new ByteArrayInputStream(b), "session", 1000), UTF_8)).isEqualTo("{\"sid\":\"1\"}");
    assertThat(new String(Envelope.firstPayload(new ByteArrayInputStream(b), "attachment", 10), UTF_8)).isEqualTo("0123456789");
    assertThat(Envelope.firstPayload(new ByteArrayInputStream(b), "attachment", 9)).isNull();
    assertThat(Envelope.firstPayload(new ByteArrayInputStream(b), "event", 12)).as("longer than allowed").isNull();
    assertThat(Envelope.firstPayload(new ByteArrayInputStream(b), "session", 9)).as("newline-framed, longer than allowed").isNull();
    assertThat(Envelope.firstPayload(new ByteArrayInputStream(b), "transaction", 1000)).isNull();
    byte[] cut = java.util.Arrays.copyOf(b, new String(b, UTF_8).indexOf("{\"message\"") + 5);
    assertThatThrownBy(() -> Envelope.firstPayload(new ByteArrayInputStream(cut), "event", 1000))
        .as("cut inside the item").isInstanceOf(EnvelopeException.class);
  }

  static InputStream trickle(byte[] b, int step) {
    return new ByteArrayInputStream(b) {
      @Override
      public synchronized int read(byte[] out, int off, int len) {
        return super.read(out, off, Math.min(len, step));
      }
    };
  }

  static byte[] concat(Object... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (Object p : parts) {
      byte[] b = p instanceof String s ? s.getBytes(UTF_8) : (byte[]) p;
      out.write(b, 0, b.length);
    }
    return out.toByteArray();
  }
}
