package io.spillway.rules.fingerprint;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.body.ContentEncoding;
import io.spillway.schemas.body.Envelope;
import io.spillway.schemas.body.StoreBody;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * "The same issue", as the quota guard counts it, for an error event:
 * <ol>
 *   <li>the SDK's {@code fingerprint} when it sends one, each {@code {{ default }}} entry (any
 *       spacing, any case, as Sentry reads it) replaced by the default key below;
 *   <li>else, the default key: the last (outermost, most recent) exception's type, the first line
 *       of its value and its innermost in-app frame ({@code module} or {@code filename}, then
 *       {@code function});
 *   <li>else the log message (the template {@code logentry.message} when there is one, so
 *       {@code "order %s failed"} with any parameter is one issue; else {@code formatted}).
 * </ol>
 * An event with none of these (and transactions, which are not issues) has no key: the guard lets
 * it through. The key is a 64-bit hash; {@link #title} is a short human label for the status page.
 */
public record IssueKey(long hash, String title) {
  private static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(256).build())
      .build();
  private static final Pattern DEFAULT = Pattern.compile("\\{\\{\\s*default\\s*}}", Pattern.CASE_INSENSITIVE);
  /** Longest title kept (it goes on the status page). */
  public static final int MAX_TITLE = 80;
  /** Bound on what a body may decode to here. */
  static final long MAX_DECODED = 256L << 20;

  /**
   * The issue of a stored request body (store event, or the {@code event} item of an envelope), or
   * null when it carries no error event or cannot be read.
   */
  public static IssueKey of(EndpointKind kind, byte[] body, String contentEncoding, String contentType) {
    try {
      ContentEncoding encoding = ContentEncoding.of(contentEncoding);
      if (isEnvelope(kind, contentType)) {
        for (Envelope.Item item : Envelope.parse(encoding.decode(body, MAX_DECODED)).items()) {
          if (item.type().equals("event")) return ofEvent(item.payload());
        }
        return null;
      }
      if (kind == EndpointKind.STORE) return ofEvent(StoreBody.json(encoding, body, MAX_DECODED));
      return null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * The issue of an envelope from its first bytes only (the first piece of a large event: SDKs put
   * the event item before the attachments and minidumps that make an envelope large), or null when
   * the body is not an envelope or its {@code event} item does not end within {@code bodyStart}.
   */
  public static IssueKey ofStart(EndpointKind kind, byte[] bodyStart, String contentEncoding, String contentType) {
    if (!isEnvelope(kind, contentType)) return null;
    try (InputStream decoded = ContentEncoding.of(contentEncoding).decoder(bodyStart)) {
      byte[] event = Envelope.firstPayload(decoded, "event", MAX_EVENT_ITEM);
      return event == null ? null : ofEvent(event);
    } catch (IOException | RuntimeException e) { // cut off before the event item ended, or unreadable
      return null;
    }
  }

  private static boolean isEnvelope(EndpointKind kind, String contentType) {
    return kind == EndpointKind.ENVELOPE || kind == EndpointKind.STORE && contentType != null
        && contentType.toLowerCase(Locale.ROOT).startsWith("application/x-sentry-envelope");
  }

  /** Longest event item {@link #ofStart} reads (Sentry's own limit for an event is 1 MiB). */
  static final int MAX_EVENT_ITEM = 1 << 20;

  /** The issue of an event payload (JSON), or null. */
  public static IssueKey ofEvent(byte[] json) throws IOException {
    Facts f = Facts.read(json);
    if ("transaction".equals(f.type)) return null;
    String[] dflt = defaultKey(f);
    if (f.fingerprint != null && !f.fingerprint.isEmpty()) {
      StringBuilder key = new StringBuilder("fingerprint");
      for (String part : f.fingerprint) {
        key.append('\0');
        if (DEFAULT.matcher(part.strip()).matches()) key.append(dflt == null ? "" : dflt[0]);
        else key.append(part);
      }
      String title = dflt != null ? dflt[1] : String.join(" ", f.fingerprint);
      return new IssueKey(hashOf(key.toString()), shorten(title));
    }
    return dflt == null ? null : new IssueKey(hashOf(dflt[0]), shorten(dflt[1]));
  }

  /** {key, title} of the default grouping, or null. */
  private static String[] defaultKey(Facts f) {
    if (f.excType != null || f.excValue != null) {
      String firstLine = f.excValue == null ? "" : firstLine(f.excValue);
      String type = f.excType == null ? "" : f.excType;
      String frame = f.frame == null ? "" : f.frame;
      String title = type.isEmpty() ? firstLine : firstLine.isEmpty() ? type : type + ": " + firstLine;
      return new String[] {"exception\0" + type + "\0" + firstLine + "\0" + frame, title};
    }
    String message = f.logTemplate != null ? f.logTemplate : f.logFormatted;
    if (message != null && !message.isEmpty()) return new String[] {"message\0" + message, message};
    return null;
  }

  static String firstLine(String s) {
    int nl = s.indexOf('\n');
    String line = nl < 0 ? s : s.substring(0, nl);
    return line.strip();
  }

  private static String shorten(String s) {
    String one = s.replaceAll("\\s+", " ").strip();
    return one.length() <= MAX_TITLE ? one : one.substring(0, MAX_TITLE - 1) + "…";
  }

  /** A 64-bit hash of a string (the first 8 bytes of its SHA-256). */
  public static long hashOf(String key) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      long h = 0;
      for (int i = 0; i < 8; i++) h = (h << 8) | (d[i] & 0xff);
      return h;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The fields the key needs, read in one streaming pass. */
  private static final class Facts {
    String type;
    List<String> fingerprint;
    String excType, excValue, frame;
    String logTemplate, logFormatted;

    static Facts read(byte[] json) throws IOException {
      Facts f = new Facts();
      boolean exceptionSeen = false;
      try (JsonParser p = JSON.createParser(json)) {
        if (p.nextToken() != JsonToken.START_OBJECT) throw new IOException("an event must be a JSON object");
        String name;
        while ((name = p.nextFieldName()) != null) {
          JsonToken t = p.nextToken();
          switch (name) {
            case "type" -> f.type = t == JsonToken.VALUE_STRING ? p.getText() : skip(p);
            case "fingerprint" -> f.fingerprint = strings(p, t);
            case "exception" -> {
              exceptionSeen = true;
              f.exceptions(p, t);
            }
            case "sentry.interfaces.Exception" -> {
              if (!exceptionSeen) f.exceptions(p, t);
              else p.skipChildren();
            }
            case "logentry", "sentry.interfaces.Message", "message" -> f.log(p, t, name.equals("message"));
            default -> p.skipChildren();
          }
        }
      }
      return f;
    }

    private static String skip(JsonParser p) throws IOException {
      p.skipChildren();
      return null;
    }

    private static List<String> strings(JsonParser p, JsonToken t) throws IOException {
      if (t != JsonToken.START_ARRAY) {
        p.skipChildren();
        return null;
      }
      List<String> out = new ArrayList<>();
      for (JsonToken v = p.nextToken(); v != JsonToken.END_ARRAY; v = p.nextToken()) {
        if (v.isScalarValue() && v != JsonToken.VALUE_NULL) out.add(p.getText());
        else p.skipChildren();
      }
      return out;
    }

    /** logentry / legacy message; a {@code message} field only counts when no logentry was seen. */
    private void log(JsonParser p, JsonToken t, boolean legacy) throws IOException {
      if (legacy && (logTemplate != null || logFormatted != null)) {
        p.skipChildren();
        return;
      }
      if (t == JsonToken.VALUE_STRING) {
        logFormatted = p.getText();
        return;
      }
      if (t != JsonToken.START_OBJECT) {
        p.skipChildren();
        return;
      }
      String name;
      while ((name = p.nextFieldName()) != null) {
        JsonToken v = p.nextToken();
        if (name.equals("message") && v == JsonToken.VALUE_STRING) logTemplate = p.getText();
        else if (name.equals("formatted") && v == JsonToken.VALUE_STRING) logFormatted = p.getText();
        else p.skipChildren();
      }
    }

    private void exceptions(JsonParser p, JsonToken t) throws IOException {
      if (t == JsonToken.START_ARRAY) {
        list(p);
      } else if (t == JsonToken.START_OBJECT) {
        String name;
        boolean single = false;
        String type = null, value = null, frame = null;
        while ((name = p.nextFieldName()) != null) {
          JsonToken v = p.nextToken();
          switch (name) {
            case "values" -> {
              if (v == JsonToken.START_ARRAY) list(p);
              else p.skipChildren();
            }
            case "type" -> {
              single = true;
              type = v.isScalarValue() && v != JsonToken.VALUE_NULL ? p.getText() : skip(p);
            }
            case "value" -> {
              single = true;
              value = v.isScalarValue() && v != JsonToken.VALUE_NULL ? p.getText() : skip(p);
            }
            case "stacktrace" -> {
              single = true;
              frame = topInAppFrame(p, v);
            }
            default -> p.skipChildren();
          }
        }
        if (single && excType == null && excValue == null) {
          excType = type;
          excValue = value;
          this.frame = frame;
        }
      } else {
        p.skipChildren();
      }
    }

    /** Every exception of the list; the last one (the outermost) wins. */
    private void list(JsonParser p) throws IOException {
      for (JsonToken v = p.nextToken(); v != JsonToken.END_ARRAY; v = p.nextToken()) {
        if (v != JsonToken.START_OBJECT) {
          p.skipChildren();
          continue;
        }
        String type = null, value = null, frame = null;
        String name;
        while ((name = p.nextFieldName()) != null) {
          JsonToken f = p.nextToken();
          switch (name) {
            case "type" -> type = f.isScalarValue() && f != JsonToken.VALUE_NULL ? p.getText() : skip(p);
            case "value" -> value = f.isScalarValue() && f != JsonToken.VALUE_NULL ? p.getText() : skip(p);
            case "stacktrace" -> frame = topInAppFrame(p, f);
            default -> p.skipChildren();
          }
        }
        if (type != null || value != null) {
          excType = type;
          excValue = value;
          this.frame = frame;
        }
      }
    }

    /** The innermost (last) frame with {@code in_app: true}, as {@code module-or-filename.function}; null when none. */
    private static String topInAppFrame(JsonParser p, JsonToken t) throws IOException {
      if (t != JsonToken.START_OBJECT) {
        p.skipChildren();
        return null;
      }
      String top = null;
      String name;
      while ((name = p.nextFieldName()) != null) {
        JsonToken v = p.nextToken();
        if (!name.equals("frames") || v != JsonToken.START_ARRAY) {
          p.skipChildren();
          continue;
        }
        for (JsonToken fr = p.nextToken(); fr != JsonToken.END_ARRAY; fr = p.nextToken()) {
          if (fr != JsonToken.START_OBJECT) {
            p.skipChildren();
            continue;
          }
          boolean inApp = false;
          String module = null, filename = null, function = null;
          String fn;
          while ((fn = p.nextFieldName()) != null) {
            JsonToken fv = p.nextToken();
            switch (fn) {
              case "in_app" -> inApp = fv == JsonToken.VALUE_TRUE;
              case "module" -> module = fv == JsonToken.VALUE_STRING ? p.getText() : skip(p);
              case "filename" -> filename = fv == JsonToken.VALUE_STRING ? p.getText() : skip(p);
              case "function" -> function = fv == JsonToken.VALUE_STRING ? p.getText() : skip(p);
              default -> p.skipChildren();
            }
          }
          if (inApp) top = (module != null ? module : filename != null ? filename : "") + "." + (function == null ? "" : function);
        }
      }
      return top;
    }
  }
}
