package io.spillway.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A private PKI for TLS tests, made once per JVM with the JDK's own {@code keytool} (no other tool):
 * a test CA; a server certificate for the name {@code localhost} only (no IP address in it) signed
 * by that CA; a client certificate signed by it (for servers that require one); and a second,
 * unrelated CA that trusts none of them. Each is also written as PEM ({@link #caPem} …), the form
 * delivery's {@code upstreams.<u>.tls} reads.
 */
public final class TestCertificate {
  /** The password of every key store here. */
  public static final String PASSWORD = "spillway-test";
  private static final char[] PASSWORD_CHARS = PASSWORD.toCharArray();
  private static TestCertificate instance;

  private final Path dir;
  private final X509Certificate ca;
  private final X509Certificate server;
  private final PrivateKey serverKey;
  private final X509Certificate client;
  private final PrivateKey clientKey;
  private final X509Certificate otherCa;

  private TestCertificate(Path dir, X509Certificate ca, X509Certificate server, PrivateKey serverKey, X509Certificate client,
      PrivateKey clientKey, X509Certificate otherCa) {
    this.dir = dir;
    this.ca = ca;
    this.server = server;
    this.serverKey = serverKey;
    this.client = client;
    this.clientKey = clientKey;
    this.otherCa = otherCa;
  }

  public static synchronized TestCertificate get() {
    if (instance == null) instance = generate();
    return instance;
  }

  /** The server's key and certificate chain ({@code localhost}, then the CA), key password {@link #PASSWORD}. */
  public KeyStore serverKeyStore() {
    try {
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("server", serverKey, PASSWORD_CHARS, new Certificate[] {server, ca});
      return keys;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** For the server: presents the {@code localhost} certificate (and the CA); trusts client certificates the CA signed. */
  public SSLContext serverContext() {
    try {
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(serverKeyStore(), PASSWORD_CHARS);
      SSLContext c = SSLContext.getInstance("TLS");
      c.init(kmf.getKeyManagers(), trusting(ca).getTrustManagers(), null);
      return c;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The test CA's certificate (PEM): what a client must trust. */
  public Path caPem() {
    return dir.resolve("ca.pem");
  }

  /** Another CA's certificate (PEM): trusting it, a client must refuse the server. */
  public Path otherCaPem() {
    return dir.resolve("other-ca.pem");
  }

  /** The client certificate (PEM), signed by the test CA. */
  public Path clientCertPem() {
    return dir.resolve("client.pem");
  }

  /** The client certificate's private key (PEM, PKCS#8). */
  public Path clientKeyPem() {
    return dir.resolve("client-key.pem");
  }

  private static TrustManagerFactory trusting(X509Certificate cert) throws GeneralSecurityException, IOException {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", cert);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    return tmf;
  }

  private static TestCertificate generate() {
    try {
      Path dir = Files.createTempDirectory("spillway-tls-");
      dir.toFile().deleteOnExit();
      // Four key pairs, each in its own store so that the keytools can run at once.
      parallel(
          keytool(dir, "-genkeypair", "-alias", "ca", "-keystore", "ca.p12", "-dname", "CN=Spillway Test CA", "-ext", "bc:c"),
          keytool(dir, "-genkeypair", "-alias", "server", "-keystore", "server.p12", "-dname", "CN=localhost"),
          keytool(dir, "-genkeypair", "-alias", "client", "-keystore", "client.p12", "-dname", "CN=spillway-delivery"),
          keytool(dir, "-genkeypair", "-alias", "other", "-keystore", "other.p12", "-dname", "CN=Another CA", "-ext", "bc:c"));
      parallel(
          keytool(dir, "-certreq", "-alias", "server", "-keystore", "server.p12", "-file", "server.csr"),
          keytool(dir, "-certreq", "-alias", "client", "-keystore", "client.p12", "-file", "client.csr"));
      parallel(
          keytool(dir, "-gencert", "-alias", "ca", "-keystore", "ca.p12", "-infile", "server.csr", "-outfile", "server.crt",
              "-rfc", "-ext", "SAN=dns:localhost", "-ext", "EKU=serverAuth"),
          keytool(dir, "-gencert", "-alias", "ca", "-keystore", "ca.p12", "-infile", "client.csr", "-outfile", "client.crt",
              "-rfc", "-ext", "EKU=clientAuth"));
      KeyStore caStore = load(dir.resolve("ca.p12"));
      X509Certificate ca = (X509Certificate) caStore.getCertificate("ca");
      X509Certificate server = readCert(dir.resolve("server.crt"));
      X509Certificate client = readCert(dir.resolve("client.crt"));
      PrivateKey serverKey = (PrivateKey) key(load(dir.resolve("server.p12")), "server");
      PrivateKey clientKey = (PrivateKey) key(load(dir.resolve("client.p12")), "client");
      X509Certificate other = (X509Certificate) load(dir.resolve("other.p12")).getCertificate("other");
      Files.writeString(dir.resolve("ca.pem"), pem("CERTIFICATE", ca.getEncoded()));
      Files.writeString(dir.resolve("other-ca.pem"), pem("CERTIFICATE", other.getEncoded()));
      Files.writeString(dir.resolve("client.pem"), pem("CERTIFICATE", client.getEncoded()));
      Files.writeString(dir.resolve("client-key.pem"), pem("PRIVATE KEY", clientKey.getEncoded()));
      for (String f : List.of("ca.p12", "server.p12", "client.p12", "other.p12", "server.csr", "client.csr", "server.crt", "client.crt")) {
        Files.delete(dir.resolve(f));
      }
      for (String f : List.of("ca.pem", "other-ca.pem", "client.pem", "client-key.pem")) {
        dir.resolve(f).toFile().deleteOnExit();
      }
      return new TestCertificate(dir, ca, server, serverKey, client, clientKey, other);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static ProcessBuilder keytool(Path dir, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    if (args[0].equals("-genkeypair")) {
      cmd.addAll(List.of("-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2", "-storetype", "PKCS12", "-keypass", PASSWORD));
    }
    if (args[0].equals("-gencert")) cmd.addAll(List.of("-validity", "2"));
    cmd.addAll(List.of("-storepass", PASSWORD));
    return new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
  }

  private static void parallel(ProcessBuilder... steps) throws IOException, InterruptedException {
    List<Process> running = new ArrayList<>();
    for (ProcessBuilder b : steps) running.add(b.start());
    for (int i = 0; i < running.size(); i++) {
      Process p = running.get(i);
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("keytool " + String.join(" ", steps[i].command().subList(1, 3)) + " failed: " + out);
      }
    }
  }

  private static KeyStore load(Path file) throws IOException, GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(file)) {
      ks.load(in, PASSWORD_CHARS);
    }
    return ks;
  }

  private static Key key(KeyStore ks, String alias) throws GeneralSecurityException {
    return ks.getKey(alias, PASSWORD_CHARS);
  }

  private static X509Certificate readCert(Path file) throws IOException, GeneralSecurityException {
    try (InputStream in = Files.newInputStream(file)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
