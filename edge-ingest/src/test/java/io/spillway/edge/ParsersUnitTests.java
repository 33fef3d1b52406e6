package io.spillway.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The auth-header, DSN and envelope-header parsers: examples from real clients, and properties
 * that no input — random text, mutations of real headers, random bytes — makes them throw
 * anything but {@link ProtocolException}.
 */
class ParsersUnitTests {

  // ---- examples from real clients (sentry-protocol.md §7.1) ----

  @Example
  void sentryJava8Header() {
    SentryAuth a = SentryAuth.parseHeader("Sentry sentry_version=7,sentry_client=sentry.java/8.63.0,sentry_key=abc");
    assertThat(a).isEqualTo(new SentryAuth("abc", null, "sentry.java/8.63.0", "7"));
  }

  @Example
  void ravenNodeHeaderWithSpacesTimestampAndSecret() {
    SentryAuth a = SentryAuth.parseHeader("Sentry sentry_version=5, sentry_timestamp=1732690800123, "
        + "sentry_client=raven-node/2.6.4, sentry_key=wow, sentry_secret=vod_be");
    assertThat(a).isEqualTo(new SentryAuth("wow", "vod_be", "raven-node/2.6.4", "5"));
  }

  @Example
  void ravenJavaNullSecretIsNoSecret() {
    assertThat(SentryAuth.parseHeader("Sentry sentry_version=6,sentry_client=raven-java/8.0.3,sentry_key=k,sentry_secret=null").secret()).isNull();
  }

  @Example
  void prefixIsCaseInsensitiveAndVersionMayHaveAMinor() {
    assertThat(SentryAuth.parseHeader("sentry sentry_key=k, sentry_version=7.1").version()).isEqualTo("7.1");
    assertThat(SentryAuth.parseHeader("SENTRY sentry_key=k").key()).isEqualTo("k");
  }

  @Example
  void refusals() {
    assertStatus(() -> SentryAuth.parseHeader("Sentry sentry_version=7"), 401, "missing public key in auth header");
    assertStatus(() -> SentryAuth.parseHeader("Bearer x"), 401, "bad x-sentry-auth header");
    assertStatus(() -> SentryAuth.parseHeader("Sentry sentry_key=k, sentry_version=8"), 400, "unsupported protocol version");
    assertStatus(() -> SentryAuth.parseHeader("Sentry sentry_key=k, sentry_version=x"), 401, "bad x-sentry-auth header");
    assertStatus(() -> SentryAuth.parseBasic("Basic !!!"), 401, "bad authorization header");
  }

  @Example
  void basic() {
    String b = Base64.getEncoder().encodeToString("pubkey:whatever".getBytes(StandardCharsets.UTF_8));
    assertThat(SentryAuth.parseBasic("Basic " + b).key()).isEqualTo("pubkey");
  }

  @Example
  void queryAuth() {
    QueryString q = QueryString.parse("sentry_version=7&sentry_key=k%31&sentry_secret=s&x=1");
    assertThat(SentryAuth.fromQuery(q)).isEqualTo(new SentryAuth("k1", "s", null, "7"));
    assertThat(q.withoutCredentials()).isEqualTo("sentry_version=7&x=1");
    assertThat(QueryString.parse("sentry_key=k").withoutCredentials()).isNull();
  }

  @Example
  void dsnExamples() {
    assertThat(Dsn.parse("https://e12d836b15bb49d7bbf99e64295d995b:@sentry.io/42"))
        .isEqualTo(new Dsn("e12d836b15bb49d7bbf99e64295d995b", null, "sentry.io", "42"));
    assertThat(Dsn.parse("http://wow:vod_be@spillway.internal:9000/sub/path/20/"))
        .isEqualTo(new Dsn("wow", "vod_be", "spillway.internal:9000", "20"));
    assertThat(Dsn.parse("https://pub@o1.ingest.sentry.io/7").key()).isEqualTo("pub");
    assertStatus(() -> Dsn.parse("https://sentry.io/42"), 401, "bad dsn in envelope header");
    assertStatus(() -> Dsn.parse("ftp://k@h/1"), 401, "bad dsn in envelope header");
    assertStatus(() -> Dsn.parse("https://k@h/"), 401, "bad dsn in envelope header");
  }

  @Example
  void multipartEventIds() {
    String ct = "multipart/form-data; boundary=\"XyZ\"";
    String body = "--XyZ\r\nContent-Disposition: form-data; name=\"upload_file_minidump\"; filename=\"m.dmp\"\r\n\r\nMDMP sentry[event_id]\r\n"
        + "--XyZ\r\nContent-Disposition: form-data; name=\"sentry[event_id]\"\r\n\r\n9EC79C33-EC99-42AB-8353-589FCB2E04DC\r\n--XyZ--\r\n";
    assertThat(MultipartEventId.find(ct, java.util.List.of(body.getBytes(StandardCharsets.ISO_8859_1))))
        .isEqualTo("9ec79c33ec9942ab8353589fcb2e04dc");
    String json = "--b\r\nContent-Disposition: form-data; name=\"sentry\"\r\n\r\n{\"event_id\":\"0123456789abcdef0123456789abcdef\"}\r\n--b--";
    assertThat(MultipartEventId.find("multipart/form-data; boundary=b", java.util.List.of(json.getBytes(StandardCharsets.UTF_8))))
        .isEqualTo("0123456789abcdef0123456789abcdef");
    String none = "--b\r\nContent-Disposition: form-data; name=\"upload_file_minidump\"; filename=\"m\"\r\n\r\nMDMP\r\n--b--";
    assertThat(MultipartEventId.find("multipart/form-data; boundary=b", java.util.List.of(none.getBytes(StandardCharsets.UTF_8)))).isNull();
    assertThat(MultipartEventId.find("multipart/form-data", java.util.List.of(none.getBytes(StandardCharsets.UTF_8)))).isNull();
  }

  @Example
  void endpoints() {
    assertThat(Endpoint.parse("/api/20/envelope/").kind().wireName()).isEqualTo("envelope");
    assertThat(Endpoint.parse("/api/20/cron/slug/key").storedPath()).isEqualTo("/api/20/cron/slug");
    assertThat(Endpoint.parse("/api/20/cron/slug/key/").pathKey()).isEqualTo("key");
    assertThat(Endpoint.parse("/api/20/cron/slug/").pathKey()).isNull();
    assertThat(Endpoint.parse("/api/20/unreal/key/").storedPath()).isEqualTo("/api/20/unreal/");
    assertThat(Endpoint.parse("/api/20/nothing/")).isNull();
    assertThat(Endpoint.parse("/healthz")).isNull();
    assertStatus(() -> Endpoint.parse("/api/x1/store/"), 400, "bad project path parameter");
    assertStatus(() -> Endpoint.parse("/api/1/events/zz/attachments/"), 400, "invalid event id");
  }

  // ---- properties ----

  @Property
  void authHeaderParserOnlyThrowsItsOwnError(@ForAll("authHeaders") String header) {
    onlyProtocolException(() -> SentryAuth.parseHeader(header));
    onlyProtocolException(() -> SentryAuth.parseBasic(header));
  }

  @Property
  void queryAuthOnlyThrowsItsOwnError(@ForAll("queries") String query) {
    onlyProtocolException(() -> SentryAuth.fromQuery(QueryString.parse(query)));
    onlyProtocolException(() -> QueryString.parse(query).withoutCredentials());
  }

  @Property
  void dsnParserOnlyThrowsItsOwnError(@ForAll("dsns") String dsn) {
    onlyProtocolException(() -> Dsn.parse(dsn).auth());
  }

  @Property
  void multipartReaderNeverThrows(@ForAll byte[] bytes, @ForAll("boundaries") String boundary) {
    MultipartEventId.find("multipart/form-data; boundary=" + boundary, java.util.List.of(bytes));
  }

  @Provide
  Arbitrary<String> boundaries() {
    return Arbitraries.of("b", "XyZ", "--", "\"q\"", "");
  }

  @Property
  void endpointParserOnlyThrowsItsOwnError(@ForAll("paths") String path) {
    onlyProtocolException(() -> Endpoint.parse(path));
  }

  @Property
  void parsedKeysRoundTrip(@ForAll("names") String key, @ForAll("names") String secret) {
    SentryAuth a = SentryAuth.parseHeader("Sentry sentry_key=" + key + ", sentry_secret=" + secret + ", sentry_version=7");
    assertThat(a.key()).isEqualTo(key);
    assertThat(Dsn.parse("https://" + key + ":" + secret + "@host/1").key()).isEqualTo(key);
  }

  @Provide
  Arbitrary<String> names() {
    return Arbitraries.strings().withCharRange('a', 'z').numeric().withChars('_', '-', '.').ofMinLength(1).ofMaxLength(40)
        .filter(s -> !s.equals("null"));
  }

  /** Real header shapes, mutated: random pairs, separators, versions, junk. */
  @Provide
  Arbitrary<String> authHeaders() {
    Arbitrary<String> junk = Arbitraries.strings().ofMaxLength(60);
    Arbitrary<String> pair = Arbitraries.oneOf(
        Arbitraries.of("sentry_key", "sentry_secret", "sentry_version", "sentry_client", "sentry_timestamp", "x", "")
            .flatMap(k -> junk.map(v -> k + "=" + v)),
        junk);
    Arbitrary<String> prefix = Arbitraries.of("Sentry ", "sentry ", "SENTRY\t", "Sentry", "Basic ", "", "Bearer ");
    return Arbitraries.oneOf(
        prefix.flatMap(p -> pair.list().ofMaxSize(6).map(ps -> p + String.join(Arbitraries.of(",", ", ", ",,").sample(), ps))),
        junk,
        Arbitraries.strings().withCharRange('A', 'z').ofMaxLength(40).map(s -> "Basic " + s),
        Arbitraries.strings().ofMaxLength(30).map(s -> "Basic " + Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8))));
  }

  @Provide
  Arbitrary<String> queries() {
    Arbitrary<String> v = Arbitraries.strings().ofMaxLength(20);
    return Arbitraries.oneOf(
        Arbitraries.of("sentry_key", "sentry_secret", "sentry_version", "sentry_client", "%", "%zz", "", "=")
            .flatMap(k -> v.map(x -> k + "=" + x)).list().ofMaxSize(5).map(l -> String.join("&", l)),
        Arbitraries.strings().ofMaxLength(80));
  }

  @Provide
  Arbitrary<String> dsns() {
    Arbitrary<String> part = Arbitraries.strings().ofMaxLength(15);
    Arbitrary<String> scheme = Arbitraries.of("http://", "https://", "ftp://", "", "://", "https:/");
    return Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(80),
        scheme.flatMap(s -> part.list().ofSize(4).map(p -> s + p.get(0) + ":" + p.get(1) + "@" + p.get(2) + "/" + p.get(3))),
        scheme.flatMap(s -> part.list().ofSize(3).map(p -> s + p.get(0) + "@" + p.get(1) + p.get(2))));
  }

  @Provide
  Arbitrary<String> envelopeHeaders() {
    Arbitrary<String> value = Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(40).map(s -> "\"" + s.replace("\\", "").replace("\"", "") + "\""),
        Arbitraries.of("null", "1", "true", "[]", "{}", "{\"a\":[1,{\"b\":null}]}", "\"9ec79c33ec9942ab8353589fcb2e04dc\"", "1e999999", "-"),
        Arbitraries.strings().ofMaxLength(10));
    Arbitrary<String> field = Arbitraries.of("event_id", "dsn", "sent_at", "sdk", "trace", "x")
        .flatMap(k -> value.map(v -> "\"" + k + "\":" + v));
    return Arbitraries.oneOf(
        field.list().ofMaxSize(5).map(fs -> "{" + String.join(",", fs) + "}"),
        Arbitraries.strings().ofMaxLength(80),
        Arbitraries.strings().withChars("{}[]\":,\\ ").ofMaxLength(40),
        Arbitraries.integers().between(1, 2000).map(n -> "[".repeat(n)));
  }

  @Provide
  Arbitrary<String> paths() {
    Arbitrary<String> seg = Arbitraries.oneOf(Arbitraries.of("api", "20", "envelope", "store", "cron", "unreal", "events",
        "attachments", "minidump", "nel", "", "x", "9ec79c33ec9942ab8353589fcb2e04dc"), Arbitraries.strings().ofMaxLength(8));
    return Arbitraries.oneOf(seg.list().ofMaxSize(7).map(l -> "/" + String.join("/", l)), Arbitraries.strings().ofMaxLength(40));
  }

  // ---- helpers ----

  private static void onlyProtocolException(Runnable r) {
    try {
      r.run();
    } catch (ProtocolException e) {
      assertThat(e.status()).isIn(400, 401, 413, 415);
      assertThat(e.detail()).isNotBlank();
    }
  }

  private static void assertStatus(Runnable r, int status, String detail) {
    assertThatThrownBy(r::run).isInstanceOfSatisfying(ProtocolException.class, e -> {
      assertThat(e.status()).isEqualTo(status);
      assertThat(e.detail()).isEqualTo(detail);
    });
  }
}
