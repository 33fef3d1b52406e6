package io.spillway.rules.filters;

import io.spillway.schemas.body.ContentEncoding;
import java.io.ByteArrayOutputStream;
import java.util.Base64;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The JSON of a legacy {@code /store/} body after its Content-Encoding is undone, as Relay's
 * store endpoint reads it: JSON as is when it starts with {@code {}} (after whitespace), else
 * base64, then zlib when the decoded bytes are zlib (raven-java, raven-node, old raven-python).
 */
final class StoreBody {
  private StoreBody() {}

  /** The event JSON, or null when the body is none of those forms. */
  static byte[] json(byte[] decoded, long limit) throws ContentEncoding.TooLarge {
    int i = 0;
    while (i < decoded.length && Character.isWhitespace(decoded[i])) i++;
    if (i < decoded.length && decoded[i] == '{') return decoded;
    byte[] raw;
    try {
      raw = Base64.getMimeDecoder().decode(decoded);
    } catch (IllegalArgumentException e) {
      return null;
    }
    if (raw.length >= 2 && (raw[0] & 0x0f) == 8 && (((raw[0] & 0xff) << 8) | (raw[1] & 0xff)) % 31 == 0) {
      return inflate(raw, limit);
    }
    return raw;
  }

  private static byte[] inflate(byte[] zlib, long limit) throws ContentEncoding.TooLarge {
    Inflater inf = new Inflater();
    try {
      inf.setInput(zlib);
      ByteArrayOutputStream out = new ByteArrayOutputStream(zlib.length * 4);
      byte[] buf = new byte[8192];
      while (!inf.finished()) {
        int n = inf.inflate(buf);
        if (n == 0 && (inf.needsInput() || inf.needsDictionary())) break;
        out.write(buf, 0, n);
        if (out.size() > limit) throw new ContentEncoding.TooLarge(limit);
      }
      return out.toByteArray();
    } catch (DataFormatException e) {
      return null;
    } finally {
      inf.end();
    }
  }
}
