package io.spillway.rules.privacy;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The {@code hash} redaction: HMAC-SHA1 of the UTF-8 text, upper-case hex (Relay's output), keyed with {@code vars.hashKey}. */
final class Hmac {
  private final ThreadLocal<Mac> macs;

  Hmac(String key) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    this.macs = ThreadLocal.withInitial(() -> {
      try {
        Mac mac = Mac.getInstance("HmacSHA1");
        // An empty key is valid HMAC (RFC 2104 pads it); SecretKeySpec only refuses an empty array.
        mac.init(new SecretKeySpec(k.length == 0 ? new byte[1] : k, "HmacSHA1"));
        return mac;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA1 unavailable", e);
      }
    });
  }

  String hex(String text) {
    Mac mac = macs.get();
    byte[] d = mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
    char[] out = new char[d.length * 2];
    for (int i = 0; i < d.length; i++) {
      out[2 * i] = HEX[(d[i] >> 4) & 0xf];
      out[2 * i + 1] = HEX[d[i] & 0xf];
    }
    return new String(out);
  }

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();
}
