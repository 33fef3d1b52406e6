package io.spillway.schemas.config;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the PEM files of {@code upstreams.<u>.tls} with the JDK alone: the one place that parses
 * them, for {@code check-config} (which names the key of a bad file) and for delivery's HTTP client
 * (which loads what was checked). Each failure is an {@link IllegalArgumentException} whose message
 * can follow the key: {@code "upstreams.wow.tls.ca_file: <message>"}.
 */
public final class PemFiles {
  private static final Pattern KEY = Pattern.compile(
      "-----BEGIN ([A-Z ]*)PRIVATE KEY-----([A-Za-z0-9+/=\\s]*)-----END \\1PRIVATE KEY-----");
  /** Key algorithms a PKCS#8 key may be in, tried in turn (the encoding names its own). */
  private static final List<String> KEY_ALGORITHMS = List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "DSA");

  private PemFiles() {}

  /** Every certificate in a PEM file (a CA bundle, or a certificate followed by its chain). */
  public static List<X509Certificate> certificates(Path file) {
    byte[] bytes = read(file);
    if (!new String(bytes, StandardCharsets.US_ASCII).contains("-----BEGIN CERTIFICATE-----")) {
      throw new IllegalArgumentException("no certificate in " + file + " (expected PEM: -----BEGIN CERTIFICATE-----)");
    }
    try {
      List<X509Certificate> out = new ArrayList<>();
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes))) {
        if (c instanceof X509Certificate x) out.add(x);
      }
      if (out.isEmpty()) throw new IllegalArgumentException("no certificate in " + file + " (expected PEM: -----BEGIN CERTIFICATE-----)");
      return out;
    } catch (CertificateException e) {
      throw new IllegalArgumentException("a certificate in " + file + " is not valid (" + e.getMessage() + ")");
    }
  }

  /** The private key of a PEM file in PKCS#8 ({@code -----BEGIN PRIVATE KEY-----}), unencrypted. */
  public static PrivateKey privateKey(Path file) {
    String text = new String(read(file), StandardCharsets.US_ASCII);
    Matcher m = KEY.matcher(text);
    if (!m.find()) throw new IllegalArgumentException("no private key in " + file + " (expected PEM: -----BEGIN PRIVATE KEY-----)");
    String kind = m.group(1).trim();
    if (kind.equals("ENCRYPTED")) {
      throw new IllegalArgumentException("the key in " + file + " is encrypted; give an unencrypted PKCS#8 key"
          + " (openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8) and protect the file instead");
    }
    if (!kind.isEmpty()) {
      throw new IllegalArgumentException("the key in " + file + " is " + kind + " PRIVATE KEY (PKCS#1/SEC1); give it as PKCS#8:"
          + " openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8");
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(m.group(2));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the key in " + file + " is not valid base64");
    }
    for (String algorithm : KEY_ALGORITHMS) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException | IllegalArgumentException e) {
        // not this algorithm: try the next
      }
    }
    throw new IllegalArgumentException("the key in " + file + " is not a PKCS#8 key this JVM can read");
  }

  /**
   * Checks that {@code key} belongs to the first certificate of {@code chain} (signs a challenge and
   * verifies it); null when it does or when the algorithm is not one this check knows, else what is wrong.
   */
  public static String mismatch(PrivateKey key, List<X509Certificate> chain) {
    String sigAlg = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "Ed448", "EdDSA" -> key.getAlgorithm();
      default -> null;
    };
    if (sigAlg == null) return null;
    if (!chain.get(0).getPublicKey().getAlgorithm().equals(key.getAlgorithm())
        && !(key.getAlgorithm().startsWith("Ed") && chain.get(0).getPublicKey().getAlgorithm().startsWith("Ed"))) {
      return "a " + key.getAlgorithm() + " key for a " + chain.get(0).getPublicKey().getAlgorithm() + " certificate";
    }
    try {
      byte[] challenge = "spillway: does this key match its certificate".getBytes(StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance(sigAlg);
      s.initSign(key);
      s.update(challenge);
      byte[] signature = s.sign();
      Signature v = Signature.getInstance(sigAlg);
      v.initVerify(chain.get(0).getPublicKey());
      v.update(challenge);
      return v.verify(signature) ? null : "the key does not belong to the certificate";
    } catch (GeneralSecurityException e) {
      return "the key does not belong to the certificate (" + e.getMessage() + ")";
    }
  }

  /** Problems with one upstream's TLS files, each prefixed with its key ({@code prefix} = {@code upstreams.<u>.tls}). */
  static List<String> check(String prefix, UpstreamConfig.Tls tls, Date now) {
    List<String> problems = new ArrayList<>();
    if (tls.caFile() != null) {
      try {
        certificates(tls.caFile());
      } catch (IllegalArgumentException e) {
        problems.add(prefix + ".ca_file: " + e.getMessage());
      }
    }
    if (tls.clientCertFile() == null) return problems;
    List<X509Certificate> chain = null;
    PrivateKey key = null;
    try {
      chain = certificates(tls.clientCertFile());
      if (chain.get(0).getNotAfter().before(now)) {
        problems.add(prefix + ".client_cert_file: the certificate in " + tls.clientCertFile() + " expired on "
            + chain.get(0).getNotAfter().toInstant());
      }
    } catch (IllegalArgumentException e) {
      problems.add(prefix + ".client_cert_file: " + e.getMessage());
    }
    try {
      key = privateKey(tls.clientKeyFile());
    } catch (IllegalArgumentException e) {
      problems.add(prefix + ".client_key_file: " + e.getMessage());
    }
    if (chain != null && key != null) {
      String wrong = mismatch(key, chain);
      if (wrong != null) problems.add(prefix + ".client_key_file: does not match client_cert_file: " + wrong);
    }
    return problems;
  }

  private static byte[] read(Path file) {
    try {
      return Files.readAllBytes(file);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IllegalArgumentException("no such file: " + file);
    } catch (java.nio.file.AccessDeniedException e) {
      throw new IllegalArgumentException("cannot read " + file + ": permission denied");
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
    }
  }
}
