package io.spillway.rules.filters;

import static org.assertj.core.api.Assertions.assertThat;

import io.sentry.Attachment;
import io.sentry.JsonSerializer;
import io.sentry.NoOpLogger;
import io.sentry.SentryEnvelope;
import io.sentry.SentryEnvelopeItem;
import io.sentry.SentryEvent;
import io.sentry.SentryOptions;
import io.sentry.Session;
import io.sentry.protocol.Request;
import io.sentry.protocol.SentryId;
import io.sentry.protocol.User;
import io.spillway.rules.filters.InboundFilters.Verdict;
import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.Glob;
import io.spillway.schemas.body.ContentEncoding;
import io.spillway.schemas.body.Envelope;
import io.spillway.schemas.config.FiltersConfig;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;

/** Whole request bodies: store in every encoding, envelopes (what goes with a filtered event), security reports, real SDK events. */
class InboundFiltersUnitTests {
  static final FiltersConfig ALL = new FiltersConfig(true, true, FiltersConfig.CURRENT_BROWSERS, true,
      List.of(Glob.compile("bad-release@*")), List.of(Glob.compile("*ChunkLoadError*")), List.of("staging"));
  static final InboundFilters FILTERS = InboundFilters.of(ALL);

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static Verdict store(String json, String encoding, byte[] body) {
    return FILTERS.check(new InboundFilters.Request(EndpointKind.STORE, body, encoding, "application/json", "10.0.0.1", null, null));
  }

  static Verdict envelope(byte[] body, String encoding) {
    return FILTERS.check(new InboundFilters.Request(EndpointKind.ENVELOPE, body, encoding, "application/x-sentry-envelope",
        "10.0.0.1", "sentry.java/8.63.0", null));
  }

  static byte[] zlib(byte[] data) {
    Deflater d = new Deflater();
    d.setInput(data);
    d.finish();
    byte[] buf = new byte[data.length + 64];
    int n = d.deflate(buf);
    d.end();
    return java.util.Arrays.copyOf(buf, n);
  }

  @Test
  void storeBodiesInEveryEncoding() {
    byte[] filtered = utf8("{\"event_id\":\"0123456789abcdef0123456789abcdef\",\"release\":\"bad-release@1.0\",\"message\":\"x\"}");
    byte[] passes = utf8("{\"release\":\"good@1.0\",\"message\":\"x\"}");
    assertThat(store(null, null, filtered)).isEqualTo(new Verdict.Drop(InboundFilter.RELEASES));
    assertThat(store(null, null, passes)).isInstanceOf(Verdict.Keep.class);
    assertThat(store(null, "gzip", ContentEncoding.gzip(filtered))).isEqualTo(new Verdict.Drop(InboundFilter.RELEASES));
    assertThat(store(null, "deflate", zlib(filtered))).isEqualTo(new Verdict.Drop(InboundFilter.RELEASES));
    byte[] ravenJava = Base64.getEncoder().encode(zlib(filtered)); // base64(zlib(JSON)), no Content-Encoding
    assertThat(store(null, null, ravenJava)).isEqualTo(new Verdict.Drop(InboundFilter.RELEASES));
    assertThat(store(null, null, Base64.getEncoder().encode(zlib(passes)))).isInstanceOf(Verdict.Keep.class);
    assertThat(store(null, null, utf8("not json at all {"))).as("unreadable bodies are kept").isInstanceOf(Verdict.Keep.class);
    assertThat(store(null, null, utf8("{\"release\": "))).as("truncated JSON is kept").isInstanceOf(Verdict.Keep.class);
  }

  @Test
  void noFiltersMeansTheBodyIsNotEvenRead() {
    InboundFilters none = InboundFilters.of(null);
    assertThat(none.check(new InboundFilters.Request(EndpointKind.STORE, null, "bogus", null, null, null, null)))
        .isInstanceOf(Verdict.Keep.class);
  }

  static final String HEADER = "{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\",\"dsn\":\"https://e12d836b15bb49d7bbf99e64295d995b@sentry.io/42\"}\n";

  @Test
  void aFilteredEventTakesItsAttachmentsAndUserReportsButNotSessionsOrReplays() {
    String body = HEADER
        + "{\"type\":\"event\"}\n{\"message\":\"ChunkLoadError: Loading chunk 7 failed.\"}\n"
        + "{\"type\":\"attachment\",\"length\":5,\"filename\":\"a.txt\"}\nhello\n"
        + "{\"type\":\"user_report\"}\n{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\",\"comments\":\"x\"}\n"
        + "{\"type\":\"session\"}\n{\"sid\":\"abc\",\"status\":\"ok\",\"attrs\":{\"release\":\"r\"}}\n"
        + "{\"type\":\"client_report\"}\n{\"discarded_events\":[]}\n"
        + "{\"type\":\"replay_event\"}\n{\"replay_id\":\"1\",\"release\":\"ok\"}\n"
        + "{\"type\":\"replay_recording\",\"length\":3}\nabc\n";
    Verdict v = envelope(utf8(body), null);
    assertThat(v).isInstanceOf(Verdict.Rewrite.class);
    Verdict.Rewrite r = (Verdict.Rewrite) v;
    assertThat(r.filter()).isEqualTo(InboundFilter.ERROR_MESSAGES);
    assertThat(r.contentEncoding()).isNull();
    Envelope kept = Envelope.parse(r.body());
    assertThat(kept.items().stream().map(Envelope.Item::type)).containsExactly("session", "client_report", "replay_event", "replay_recording");
    assertThat(kept.header().eventId()).isEqualTo("9ec79c33ec9942ab8353589fcb2e04dc");
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).startsWith(HEADER);
  }

  @Test
  void aFilteredReplayTakesItsRecordingsOnly() {
    String body = HEADER
        + "{\"type\":\"event\"}\n{\"message\":\"fine\"}\n"
        + "{\"type\":\"replay_event\"}\n{\"replay_id\":\"1\",\"environment\":\"staging\"}\n"
        + "{\"type\":\"replay_recording\",\"length\":3}\nabc\n";
    Verdict.Rewrite r = (Verdict.Rewrite) envelope(utf8(body), null);
    assertThat(r.filter()).isEqualTo(InboundFilter.ENVIRONMENTS);
    assertThat(Envelope.parse(r.body()).items().stream().map(Envelope.Item::type)).containsExactly("event");
  }

  @Test
  void anEnvelopeWithNothingLeftIsDroppedAndAGzipBodyStaysGzip() {
    String onlyEvent = HEADER + "{\"type\":\"transaction\"}\n{\"type\":\"transaction\",\"release\":\"bad-release@2\"}\n";
    assertThat(envelope(ContentEncoding.gzip(utf8(onlyEvent)), "gzip")).isEqualTo(new Verdict.Drop(InboundFilter.RELEASES));
    String withSession = onlyEvent + "{\"type\":\"session\"}\n{\"sid\":\"abc\"}\n";
    Verdict.Rewrite r = (Verdict.Rewrite) envelope(ContentEncoding.gzip(utf8(withSession)), "gzip");
    assertThat(r.contentEncoding()).isEqualTo("gzip");
    assertThat(new String(uncheckedGunzip(r.body()), StandardCharsets.UTF_8)).isEqualTo(HEADER + "{\"type\":\"session\"}\n{\"sid\":\"abc\"}\n");
  }

  @Test
  void envelopesWithoutAFilteredItemAreKeptByteForByte() {
    String body = HEADER + "{\"type\":\"event\"}\n{\"message\":\"fine\",\"environment\":\"production\"}\n"
        + "{\"type\":\"session\"}\n{\"sid\":\"abc\",\"attrs\":{\"release\":\"bad-release@1\",\"environment\":\"staging\"}}\n";
    assertThat(envelope(utf8(body), null)).as("filters do not apply to sessions").isInstanceOf(Verdict.Keep.class);
    assertThat(envelope(utf8("not an envelope"), null)).isInstanceOf(Verdict.Keep.class);
  }

  @Test
  void transactionsSeeReleasesLocalhostAndUserAgentsButNotMessages() {
    String tx = HEADER + "{\"type\":\"transaction\"}\n{\"type\":\"transaction\",\"transaction\":\"/api\",\"message\":\"ChunkLoadError\","
        + "\"request\":{\"url\":\"http://localhost:3000/api\"}}\n";
    assertThat(envelope(utf8(tx), null)).isEqualTo(new Verdict.Drop(InboundFilter.LOCALHOST));
    String tx2 = HEADER + "{\"type\":\"transaction\"}\n{\"type\":\"transaction\",\"message\":\"ChunkLoadError\"}\n";
    assertThat(envelope(utf8(tx2), null)).isInstanceOf(Verdict.Keep.class);
  }

  @Test
  void storeEnvelopesByContentType() {
    byte[] body = utf8(HEADER + "{\"type\":\"event\"}\n{\"environment\":\"staging\"}\n");
    Verdict v = FILTERS.check(new InboundFilters.Request(EndpointKind.STORE, body, null, "application/x-sentry-envelope", null, null, null));
    assertThat(v).isEqualTo(new Verdict.Drop(InboundFilter.ENVIRONMENTS));
  }

  @Test
  void securityReportsUseTheClientIpUserAgentUrlAndQuery() {
    byte[] csp = utf8("{\"csp-report\":{\"document-uri\":\"https://shop.example.com/cart\",\"violated-directive\":\"script-src\","
        + "\"blocked-uri\":\"https://evil.example\"}}");
    String chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    assertThat(security(csp, "203.0.113.9", chrome, "sentry_key=k")).isInstanceOf(Verdict.Keep.class);
    assertThat(security(csp, "127.0.0.1", chrome, null)).isEqualTo(new Verdict.Drop(InboundFilter.LOCALHOST));
    assertThat(security(csp, "203.0.113.9", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", null))
        .isEqualTo(new Verdict.Drop(InboundFilter.WEB_CRAWLERS));
    assertThat(security(csp, "203.0.113.9", chrome, "sentry_key=k&sentry_release=bad-release%401"))
        .isEqualTo(new Verdict.Drop(InboundFilter.RELEASES));
    byte[] local = utf8("{\"csp-report\":{\"document-uri\":\"http://localhost:8080/\"}}");
    assertThat(security(local, "203.0.113.9", chrome, null)).isEqualTo(new Verdict.Drop(InboundFilter.LOCALHOST));
    byte[] reportingApi = utf8("[{\"type\":\"csp-violation\",\"url\":\"http://127.0.0.1/x\",\"body\":{\"documentURL\":\"http://127.0.0.1/x\"}}]");
    assertThat(security(reportingApi, "203.0.113.9", chrome, null)).isEqualTo(new Verdict.Drop(InboundFilter.LOCALHOST));
  }

  static Verdict security(byte[] body, String ip, String ua, String query) {
    return FILTERS.check(new InboundFilters.Request(EndpointKind.CSP_REPORT, body, null, "application/csp-report", ip, ua, query));
  }

  @Test
  void otherEndpointsAreNeverFiltered() {
    for (EndpointKind k : List.of(EndpointKind.MINIDUMP, EndpointKind.UNREAL, EndpointKind.ATTACHMENTS, EndpointKind.CRON, EndpointKind.NEL)) {
      assertThat(FILTERS.check(new InboundFilters.Request(k, utf8("{\"release\":\"bad-release@1\"}"), null, null, "127.0.0.1", null, null)))
          .as(k.name()).isInstanceOf(Verdict.Keep.class);
    }
  }

  // ---- real sentry-java 8.63.0 envelopes ----------------------------------------------------------

  static final SentryOptions OPTIONS = new SentryOptions();

  static {
    OPTIONS.setDsn("https://e12d836b15bb49d7bbf99e64295d995b@o1.ingest.sentry.io/42");
  }

  static byte[] javaSdkEnvelope(SentryEvent event, boolean withSessionAndAttachment) throws Exception {
    JsonSerializer serializer = new JsonSerializer(OPTIONS);
    List<SentryEnvelopeItem> items = new java.util.ArrayList<>();
    items.add(SentryEnvelopeItem.fromEvent(serializer, event));
    if (withSessionAndAttachment) {
      items.add(SentryEnvelopeItem.fromAttachment(serializer, NoOpLogger.getInstance(),
          new Attachment("thread dump".getBytes(StandardCharsets.UTF_8), "threads.txt"), 1 << 20));
      items.add(SentryEnvelopeItem.fromSession(serializer, new Session("user-1", null, "production", "shop@2.0")));
    }
    SentryEnvelope envelope = new SentryEnvelope(event.getEventId(), null, items);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    serializer.serialize(envelope, out);
    return ContentEncoding.gzip(out.toByteArray()); // sentry-java always gzips
  }

  /** As the SDK's MainEventProcessor does: the throwable becomes exception values with frames. */
  static SentryEvent withThrowable(Throwable t) {
    SentryEvent e = new SentryEvent(t);
    e.setExceptions(new io.sentry.SentryExceptionFactory(new io.sentry.SentryStackTraceFactory(OPTIONS)).getSentryExceptions(t));
    return e;
  }

  static SentryEvent javaEvent(String release) {
    SentryEvent e = withThrowable(new IllegalStateException("payment declined"));
    e.setEventId(new SentryId());
    e.setRelease(release);
    e.setEnvironment("production");
    return e;
  }

  @Test
  void realSentryJavaEvents() throws Exception {
    assertThat(envelope(javaSdkEnvelope(javaEvent("shop@2.0"), false), "gzip")).isInstanceOf(Verdict.Keep.class);
    assertThat(envelope(javaSdkEnvelope(javaEvent("bad-release@2.0"), false), "gzip")).isEqualTo(new Verdict.Drop(InboundFilter.RELEASES));

    SentryEvent crawled = javaEvent("shop@2.0"); // a server error triggered by a crawler's request
    Request request = new Request();
    request.setUrl("https://shop.example.com/product/1");
    request.setHeaders(Map.of("User-Agent", "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"));
    crawled.setRequest(request);
    Verdict v = envelope(javaSdkEnvelope(crawled, true), "gzip");
    assertThat(v).isInstanceOf(Verdict.Rewrite.class);
    Verdict.Rewrite r = (Verdict.Rewrite) v;
    assertThat(r.filter()).isEqualTo(InboundFilter.WEB_CRAWLERS);
    assertThat(Envelope.parse(uncheckedGunzip(r.body())).items().stream().map(Envelope.Item::type)).containsExactly("session");

    SentryEvent local = javaEvent("shop@2.0");
    User user = new User();
    user.setIpAddress("::1");
    local.setUser(user);
    assertThat(envelope(javaSdkEnvelope(local, false), "gzip")).isEqualTo(new Verdict.Drop(InboundFilter.LOCALHOST));

    SentryEvent chunk = withThrowable(new RuntimeException("ChunkLoadError: Loading chunk 3 failed."));
    assertThat(envelope(javaSdkEnvelope(chunk, false), "gzip")).isEqualTo(new Verdict.Drop(InboundFilter.ERROR_MESSAGES));

    SentryEvent staging = javaEvent("shop@2.0");
    staging.setEnvironment("staging");
    assertThat(envelope(javaSdkEnvelope(staging, false), "gzip")).isEqualTo(new Verdict.Drop(InboundFilter.ENVIRONMENTS));
  }

  // ---- @sentry/browser 11.x shaped events (as its envelope transport sends them) ------------------

  static String browserEvent(String ua, String url, String value, String absPath) {
    return "{\"event_id\":\"d2f6b5a1e0c44a4f9a1b2c3d4e5f6a7b\",\"sent_at\":\"2026-11-27T10:00:00.000Z\","
        + "\"sdk\":{\"name\":\"sentry.javascript.browser\",\"version\":\"11.12.0\"}}\n{\"type\":\"event\"}\n"
        + "{\"exception\":{\"values\":[{\"type\":\"TypeError\",\"value\":\"" + value + "\",\"stacktrace\":{\"frames\":["
        + "{\"filename\":\"" + absPath + "\",\"abs_path\":\"" + absPath + "\",\"function\":\"?\",\"in_app\":true,\"lineno\":1,\"colno\":2}]},"
        + "\"mechanism\":{\"type\":\"onerror\",\"handled\":false}}]},\"level\":\"error\",\"platform\":\"javascript\","
        + "\"request\":{\"url\":\"" + url + "\",\"headers\":{\"User-Agent\":\"" + ua + "\"}},"
        + "\"user\":{\"ip_address\":\"{{auto}}\"},\"event_id\":\"d2f6b5a1e0c44a4f9a1b2c3d4e5f6a7b\",\"timestamp\":1795000000.1,"
        + "\"environment\":\"production\",\"release\":\"shop-web@3.1.0\",\"breadcrumbs\":[{\"category\":\"ui.click\",\"message\":\"button\"}]}\n";
  }

  static final String CHROME_131 = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

  Verdict browser(String ua, String url, String value, String absPath, String clientIp) {
    return FILTERS.check(new InboundFilters.Request(EndpointKind.ENVELOPE, utf8(browserEvent(ua, url, value, absPath)), null,
        "text/plain;charset=UTF-8", clientIp, ua, "sentry_key=k"));
  }

  @Test
  void browserSdkEvents() {
    assertThat(browser(CHROME_131, "https://shop.example.com/", "x is undefined", "https://shop.example.com/app.js", "203.0.113.9"))
        .isInstanceOf(Verdict.Keep.class);
    assertThat(browser(CHROME_131, "https://shop.example.com/", "x is undefined", "https://shop.example.com/app.js", "127.0.0.1"))
        .as("{{auto}} resolves to the client IP").isEqualTo(new Verdict.Drop(InboundFilter.LOCALHOST));
    assertThat(browser(CHROME_131, "http://localhost:5173/", "x is undefined", "http://localhost:5173/app.js", "203.0.113.9"))
        .isEqualTo(new Verdict.Drop(InboundFilter.LOCALHOST));
    assertThat(browser(CHROME_131, "https://shop.example.com/", "x is undefined", "chrome-extension://abcdef/content.js", "203.0.113.9"))
        .isEqualTo(new Verdict.Drop(InboundFilter.BROWSER_EXTENSIONS));
    assertThat(browser(CHROME_131, "https://shop.example.com/", "Extension context invalidated.", "https://shop.example.com/app.js", "203.0.113.9"))
        .isEqualTo(new Verdict.Drop(InboundFilter.BROWSER_EXTENSIONS));
    assertThat(browser("Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko", "https://shop.example.com/", "x",
        "https://shop.example.com/app.js", "203.0.113.9")).isEqualTo(new Verdict.Drop(InboundFilter.LEGACY_BROWSERS));
    assertThat(browser("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
        + "Chrome/131.0.6778.204 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "https://shop.example.com/", "x", "https://shop.example.com/app.js", "203.0.113.9"))
        .isEqualTo(new Verdict.Drop(InboundFilter.WEB_CRAWLERS));
  }

  static byte[] uncheckedGunzip(byte[] gz) {
    try {
      return ContentEncoding.GZIP.decode(gz, 1 << 20);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
