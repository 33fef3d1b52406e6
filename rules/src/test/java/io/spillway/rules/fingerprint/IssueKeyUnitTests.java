package io.spillway.rules.fingerprint;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentry.JsonSerializer;
import io.sentry.SentryEnvelope;
import io.sentry.SentryEvent;
import io.sentry.SentryExceptionFactory;
import io.sentry.SentryOptions;
import io.sentry.SentryStackTraceFactory;
import io.spillway.schemas.Chunks;
import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.body.ContentEncoding;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class IssueKeyUnitTests {
  static IssueKey key(String json) throws IOException {
    return IssueKey.ofEvent(json.getBytes(StandardCharsets.UTF_8));
  }

  static String exception(String type, String value, String... frames) {
    StringBuilder f = new StringBuilder();
    for (String fr : frames) f.append(f.length() == 0 ? "" : ",").append(fr);
    return "{\"exception\":{\"values\":[{\"type\":\"" + type + "\",\"value\":\"" + value + "\",\"stacktrace\":{\"frames\":[" + f + "]}}]}}";
  }

  static final String LIB = "{\"module\":\"java.lang.Thread\",\"function\":\"run\",\"in_app\":false,\"lineno\":1}";
  static final String WORKER = "{\"module\":\"com.shop.Worker\",\"function\":\"process\",\"in_app\":true,\"lineno\":88}";
  static final String CHARGE = "{\"module\":\"com.shop.Payments\",\"function\":\"charge\",\"in_app\":true,\"lineno\":57}";

  @Test
  void sameTypeFirstLineAndTopInAppFrameIsTheSameIssue() throws IOException {
    IssueKey a = key(exception("IllegalStateException", "declined\\nat line 2", LIB, WORKER, CHARGE));
    IssueKey b = key(exception("IllegalStateException", "declined\\nsomething else", LIB, WORKER,
        CHARGE.replace("\"lineno\":57", "\"lineno\":99")));
    assertThat(a).isEqualTo(b);
    assertThat(a.title()).isEqualTo("IllegalStateException: declined");
    assertThat(key(exception("IllegalStateException", "timeout", LIB, WORKER, CHARGE))).isNotEqualTo(a);
    assertThat(key(exception("IllegalArgumentException", "declined", LIB, WORKER, CHARGE))).isNotEqualTo(a);
    assertThat(key(exception("IllegalStateException", "declined", LIB, CHARGE, WORKER))).as("another top in-app frame").isNotEqualTo(a);
  }

  @Test
  void theOutermostExceptionOfAChainCounts() throws IOException {
    String chain = "{\"exception\":{\"values\":[{\"type\":\"IOException\",\"value\":\"reset\"},{\"type\":\"ServiceException\",\"value\":\"down\"}]}}";
    assertThat(key(chain).title()).isEqualTo("ServiceException: down");
  }

  @Test
  void fingerprintWinsAndDefaultIsReplaced() throws IOException {
    IssueKey custom1 = key("{\"fingerprint\":[\"payments\",\"declined\"],\"message\":\"a\"}");
    IssueKey custom2 = key("{\"fingerprint\":[\"payments\",\"declined\"],\"message\":\"b\"}");
    assertThat(custom1.hash()).isEqualTo(custom2.hash());
    String e1 = exception("IllegalStateException", "declined", WORKER);
    String withDefault = e1.substring(0, e1.length() - 1) + ",\"fingerprint\":[\"{{ default }}\",\"tenant-1\"]}";
    String withDefault2 = e1.substring(0, e1.length() - 1) + ",\"fingerprint\":[\"{{default}}\",\"tenant-1\"]}";
    String otherTenant = e1.substring(0, e1.length() - 1) + ",\"fingerprint\":[\"{{ default }}\",\"tenant-2\"]}";
    assertThat(key(withDefault)).isEqualTo(key(withDefault2));
    assertThat(key(withDefault).hash()).isNotEqualTo(key(otherTenant).hash()).isNotEqualTo(key(e1).hash());
    assertThat(key(withDefault).title()).isEqualTo("IllegalStateException: declined");
  }

  @Test
  void messagesGroupByTemplate() throws IOException {
    IssueKey a = key("{\"logentry\":{\"message\":\"order %s failed\",\"params\":[\"1\"],\"formatted\":\"order 1 failed\"}}");
    IssueKey b = key("{\"logentry\":{\"message\":\"order %s failed\",\"params\":[\"2\"],\"formatted\":\"order 2 failed\"}}");
    assertThat(a).isEqualTo(b);
    assertThat(key("{\"message\":\"plain\"}").title()).isEqualTo("plain");
    assertThat(key("{\"type\":\"transaction\",\"transaction\":\"/x\"}")).isNull();
    assertThat(key("{\"level\":\"info\"}")).isNull();
  }

  /** An envelope of {@code boom} as the real sentry-java SDK serializes it. */
  static byte[] sentryJavaEnvelope(RuntimeException boom) throws Exception {
    SentryOptions options = new SentryOptions();
    options.setDsn("https://k@o1.ingest.sentry.io/1");
    JsonSerializer serializer = new JsonSerializer(options);
    SentryEvent event = new SentryEvent(boom);
    event.setExceptions(new SentryExceptionFactory(new SentryStackTraceFactory(options)).getSentryExceptions(boom));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    serializer.serialize(SentryEnvelope.from(serializer, event, null), out);
    return out.toByteArray();
  }

  @Test
  void aLargeEnvelopesIssueIsReadFromItsFirstBytes() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(sentryJavaEnvelope(new IllegalStateException("out of memory in the renderer")));
    byte[] dump = new byte[3 << 20];
    new java.util.Random(7).nextBytes(dump); // incompressible, as a minidump or heap dump nearly is
    out.write(("{\"type\":\"attachment\",\"length\":" + dump.length + ",\"filename\":\"heap.hprof\"}\n").getBytes(StandardCharsets.UTF_8));
    out.write(dump);
    byte[] whole = ContentEncoding.gzip(out.toByteArray());
    byte[] firstPiece = java.util.Arrays.copyOf(whole, Chunks.CHUNK_BYTES);

    IssueKey fromStart = IssueKey.ofStart(EndpointKind.ENVELOPE, firstPiece, "gzip", "application/x-sentry-envelope");
    assertThat(fromStart).isNotNull().isEqualTo(IssueKey.of(EndpointKind.ENVELOPE, whole, "gzip", null));
    assertThat(fromStart.title()).isEqualTo("IllegalStateException: out of memory in the renderer");
    assertThat(IssueKey.ofStart(EndpointKind.ENVELOPE, java.util.Arrays.copyOf(whole, 40), "gzip", null))
        .as("cut before the event item ends").isNull();
    byte[] raw = out.toByteArray();
    assertThat(IssueKey.ofStart(EndpointKind.ENVELOPE, java.util.Arrays.copyOf(raw, Chunks.CHUNK_BYTES), null, null)).isEqualTo(fromStart);
    assertThat(IssueKey.ofStart(EndpointKind.STORE, java.util.Arrays.copyOf(raw, Chunks.CHUNK_BYTES), null, "application/json"))
        .as("a store body is not read in part").isNull();
    assertThat(IssueKey.ofStart(EndpointKind.MINIDUMP, firstPiece, null, null)).isNull();
  }

  @Test
  void requestBodies() throws Exception {
    byte[] envelope = sentryJavaEnvelope(new IllegalStateException("payment declined"));
    IssueKey fromEnvelope = IssueKey.of(EndpointKind.ENVELOPE, ContentEncoding.gzip(envelope), "gzip", null);
    assertThat(fromEnvelope).isNotNull();
    assertThat(fromEnvelope.title()).isEqualTo("IllegalStateException: payment declined");

    byte[] store = "{\"message\":\"hello\"}".getBytes(StandardCharsets.UTF_8);
    java.util.zip.Deflater d = new java.util.zip.Deflater();
    d.setInput(store);
    d.finish();
    byte[] buf = new byte[256];
    int n = d.deflate(buf);
    byte[] raven = Base64.getEncoder().encode(java.util.Arrays.copyOf(buf, n));
    assertThat(IssueKey.of(EndpointKind.STORE, raven, null, null).title()).isEqualTo("hello");
    assertThat(IssueKey.of(EndpointKind.MINIDUMP, store, null, null)).isNull();
    assertThat(IssueKey.of(EndpointKind.ENVELOPE, "{}\n{\"type\":\"session\"}\n{}\n".getBytes(StandardCharsets.UTF_8), null, null)).isNull();
    assertThat(IssueKey.of(EndpointKind.ENVELOPE, "garbage".getBytes(StandardCharsets.UTF_8), null, null)).isNull();
    assertThat(List.of()).isEmpty();
  }
}
