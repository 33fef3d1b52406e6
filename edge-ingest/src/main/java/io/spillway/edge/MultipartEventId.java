package io.spillway.edge;

import io.spillway.schemas.body.EventIds;
import io.spillway.schemas.body.StoreBody;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * The event id a multipart crash upload (minidump endpoint) carries, read as Relay reads it
 * ({@code event_id_from_formdata}): the form field {@code sentry} (event JSON) or
 * {@code sentry[event_id]}, whichever comes first. File parts are stepped over without being read.
 * Returns null when the upload names no id (Sentry then assigns one, and the edge's answer cannot
 * be the stored id: the body is delivered byte for byte and is not rewritten).
 */
final class MultipartEventId {
  private MultipartEventId() {}

  static String find(String contentType, List<byte[]> pieces) {
    String boundary = boundary(contentType);
    if (boundary == null) return null;
    byte[] body = IngestHandler.joined(pieces); // joined only to be read here: crash uploads in pieces are rare
    byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    int pos = indexOf(body, delimiter, 0);
    while (pos >= 0) {
      int headersStart = pos + delimiter.length;
      if (headersStart + 2 > body.length || body[headersStart] == '-' && body[headersStart + 1] == '-') return null; // closing delimiter
      int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), headersStart);
      if (headersEnd < 0) return null;
      String headers = new String(body, headersStart, headersEnd - headersStart, StandardCharsets.ISO_8859_1);
      int next = indexOf(body, ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1), headersEnd + 4);
      if (next < 0) return null;
      String name = partName(headers);
      if (name != null && !headers.toLowerCase(Locale.ROOT).contains("filename=")) {
        int valueStart = headersEnd + 4;
        int len = next - valueStart;
        if (len <= 1 << 20) {
          if (name.equals("sentry")) {
            try {
              return StoreBody.eventId(java.util.Arrays.copyOfRange(body, valueStart, next));
            } catch (StoreBody.Invalid e) {
              return null;
            }
          }
          if (name.equals("sentry[event_id]")) {
            return EventIds.normalize(new String(body, valueStart, len, StandardCharsets.UTF_8).trim());
          }
        }
      }
      pos = next + 2;
    }
    return null;
  }

  static String boundary(String contentType) {
    if (contentType == null) return null;
    for (String part : contentType.split(";")) {
      String p = part.trim();
      if (p.regionMatches(true, 0, "boundary=", 0, 9)) {
        String b = p.substring(9).trim();
        if (b.length() >= 2 && b.startsWith("\"") && b.endsWith("\"")) b = b.substring(1, b.length() - 1);
        return b.isEmpty() ? null : b;
      }
    }
    return null;
  }

  private static String partName(String headers) {
    for (String line : headers.split("\r\n")) {
      if (!line.regionMatches(true, 0, "content-disposition:", 0, 20)) continue;
      for (String attr : line.substring(20).split(";")) {
        String a = attr.trim();
        if (a.regionMatches(true, 0, "name=", 0, 5)) {
          String v = a.substring(5).trim();
          if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) v = v.substring(1, v.length() - 1);
          return v;
        }
      }
    }
    return null;
  }

  private static int indexOf(byte[] hay, byte[] needle, int from) {
    outer:
    for (int i = Math.max(0, from); i <= hay.length - needle.length; i++) {
      if (hay[i] != needle[0]) continue;
      for (int j = 1; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
      return i;
    }
    return -1;
  }
}
