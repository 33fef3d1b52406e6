package io.spillway.schemas.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code upstreams.<u>.tls}, {@code .proxy}, {@code .http2}: parsing, the key named in each problem, the PEM file checks. */
class UpstreamTransportConfigUnitTests {
  @TempDir static Path dir;
  static Path cert;
  static Path key;
  static Path otherKey;

  /** A self-signed certificate and its PKCS#8 key, and a second key, made with the JDK's keytool. */
  @BeforeAll
  static void pemFiles() throws Exception {
    cert = dir.resolve("client.pem");
    key = dir.resolve("client-key.pem");
    otherKey = dir.resolve("other-key.pem");
    KeyStore a = keytool("a");
    KeyStore b = keytool("b");
    Files.writeString(cert, pem("CERTIFICATE", a.getCertificate("a").getEncoded()));
    Files.writeString(key, pem("PRIVATE KEY", a.getKey("a", "changeit".toCharArray()).getEncoded()));
    Files.writeString(otherKey, pem("PRIVATE KEY", b.getKey("b", "changeit".toCharArray()).getEncoded()));
  }

  static KeyStore keytool(String alias) throws Exception {
    Path file = dir.resolve(alias + ".p12");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
        "-alias", alias, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + alias, "-validity", "2",
        "-storetype", "PKCS12", "-keystore", file.toString(), "-storepass", "changeit", "-keypass", "changeit")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as(out).isTrue();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(file)) {
      ks.load(in, "changeit".toCharArray());
    }
    return ks;
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  static SpillwayConfig parse(String upstreamExtra) {
    return SpillwayConfig.parse("""
        upstreams:
          wow:
            url: "https://wow.example"
            projects: { p: { id: 1, key: k } }
        %s""".formatted(upstreamExtra.indent(4)), Map.of("PROXY_PASSWORD", "hunter2"), "t", dir);
  }

  static List<String> problems(String upstreamExtra) {
    try {
      parse(upstreamExtra);
      return List.of();
    } catch (ConfigException e) {
      return e.problems();
    }
  }

  @Test
  void defaultsAreTheJvmTrustStoreNoProxyAndHttp2WhenOffered() {
    UpstreamConfig u = parse("").upstreams().get("wow");
    assertThat(u.tls()).isEqualTo(UpstreamConfig.Tls.DEFAULT);
    assertThat(u.proxy()).isNull();
    assertThat(u.http2()).isEqualTo(UpstreamConfig.Http2.AUTO);
  }

  @Test
  void readsTlsFilesRelativeToTheConfigFile() {
    UpstreamConfig u = parse("""
        tls: { ca_file: "ca.pem", client_cert_file: "client.pem", client_key_file: "/etc/k.pem" }
        http2: off
        """).upstreams().get("wow");
    assertThat(u.tls()).isEqualTo(new UpstreamConfig.Tls(dir.resolve("ca.pem"), dir.resolve("client.pem"), Path.of("/etc/k.pem")));
    assertThat(u.http2()).isEqualTo(UpstreamConfig.Http2.OFF);
  }

  @Test
  void readsTheProxyAndNeverShowsItsCredentials() {
    SpillwayConfig c = parse("proxy: \"http://svc-spillway:${PROXY_PASSWORD}@proxy.dc1:3128\"");
    UpstreamConfig.Proxy p = c.upstreams().get("wow").proxy();
    assertThat(p).isEqualTo(new UpstreamConfig.Proxy("proxy.dc1", 3128, "svc-spillway", "hunter2"));
    assertThat(p.redacted()).isEqualTo("http://***@proxy.dc1:3128");
    assertThat(c.toString()).contains("http://***@proxy.dc1:3128").doesNotContain("hunter2").doesNotContain("svc-spillway");
    assertThat(parse("proxy: \"http://proxy.dc1:3128\"").upstreams().get("wow").proxy())
        .isEqualTo(new UpstreamConfig.Proxy("proxy.dc1", 3128, null, null));
    // %-escapes in the user info, '+' kept as it is
    assertThat(parse("proxy: \"http://dom%5Cuser:p%40ss+w:rd@10.0.0.1:8080/\"").upstreams().get("wow").proxy())
        .isEqualTo(new UpstreamConfig.Proxy("10.0.0.1", 8080, "dom\\user", "p@ss+w:rd"));
  }

  @Test
  void problemsNameTheKeyAndNeverRepeatTheProxyPassword() {
    assertThat(problems("proxy: \"https://u:hunter2@proxy:3128\"")).singleElement().asString()
        .startsWith("upstreams.wow.proxy: expected http://[user:password@]host:port (only HTTP proxies").doesNotContain("hunter2");
    assertThat(problems("proxy: \"http://u:hunter2@proxy\"")).singleElement().asString()
        .isEqualTo("upstreams.wow.proxy: expected http://[user:password@]host:port (the host and the port are required)");
    assertThat(problems("proxy: \"http://u:hun ter2@proxy:3128\"")).singleElement().asString()
        .startsWith("upstreams.wow.proxy: expected http://[user:password@]host:port (not a URL: ").doesNotContain("hun ter2");
    assertThat(problems("proxy: \"http://proxy:3128/path\"")).containsExactly(
        "upstreams.wow.proxy: expected http://[user:password@]host:port (no path, query or fragment)");
    assertThat(problems("http2: always")).containsExactly("upstreams.wow.http2: expected auto or off, got \"always\"");
    assertThat(problems("tls: { client_cert_file: c.pem }")).containsExactly("upstreams.wow.tls.client_key_file: is required with client_cert_file");
    assertThat(problems("tls: { client_key_file: k.pem }")).containsExactly("upstreams.wow.tls.client_cert_file: is required with client_key_file");
    assertThat(problems("tls: { ca_flie: ca.pem }")).singleElement().asString().startsWith("upstreams.wow.tls.ca_flie: unknown key");
    assertThat(problems("tls: { ca_file: \"\" }")).containsExactly("upstreams.wow.tls.ca_file: must not be empty");
    assertThatThrownBy(() -> SpillwayConfig.parse("""
        upstreams: { plain: { url: "http://x", tls: { ca_file: ca.pem }, projects: { p: { id: 1, key: k } } } }
        """, Map.of(), "t")).hasMessageContaining("upstreams.plain.tls: applies to https:// urls only");
  }

  @Test
  void fileProblemsNameTheKey() throws Exception {
    assertThat(parse("tls: { ca_file: client.pem, client_cert_file: client.pem, client_key_file: client-key.pem }").fileProblems()).isEmpty();
    assertThat(parse("").fileProblems()).isEmpty();

    assertThat(parse("tls: { ca_file: missing.pem }").fileProblems())
        .containsExactly("upstreams.wow.tls.ca_file: no such file: " + dir.resolve("missing.pem"));
    Path notPem = dir.resolve("not.pem");
    Files.writeString(notPem, "hello\n");
    assertThat(parse("tls: { ca_file: not.pem }").fileProblems()).singleElement().asString()
        .startsWith("upstreams.wow.tls.ca_file: ").contains(notPem.toString());
    assertThat(parse("tls: { client_cert_file: client.pem, client_key_file: client.pem }").fileProblems())
        .containsExactly("upstreams.wow.tls.client_key_file: no private key in " + cert
            + " (expected PEM: -----BEGIN PRIVATE KEY-----)");
    assertThat(parse("tls: { client_cert_file: client.pem, client_key_file: other-key.pem }").fileProblems())
        .containsExactly("upstreams.wow.tls.client_key_file: does not match client_cert_file: the key does not belong to the certificate");
    Path pkcs1 = dir.resolve("rsa.pem");
    Files.writeString(pkcs1, "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK==\n-----END RSA PRIVATE KEY-----\n", StandardCharsets.US_ASCII);
    assertThat(parse("tls: { client_cert_file: client.pem, client_key_file: rsa.pem }").fileProblems()).singleElement().asString()
        .startsWith("upstreams.wow.tls.client_key_file: the key in " + pkcs1 + " is RSA PRIVATE KEY (PKCS#1/SEC1); give it as PKCS#8");
    // both files wrong: both reported at once
    assertThat(parse("tls: { client_cert_file: nope.pem, client_key_file: nope-key.pem }").fileProblems()).containsExactly(
        "upstreams.wow.tls.client_cert_file: no such file: " + dir.resolve("nope.pem"),
        "upstreams.wow.tls.client_key_file: no such file: " + dir.resolve("nope-key.pem"));
  }
}
