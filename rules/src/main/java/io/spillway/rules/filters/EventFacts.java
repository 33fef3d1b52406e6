package io.spillway.rules.filters;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the inbound filters look at in one event (error, transaction, replay or security report),
 * read in one streaming pass that skips everything else, with the few normalizations Relay applies
 * before it filters: legacy field names ({@code sentry.interfaces.*}, a {@code message} string),
 * log messages formatted from {@code params}, and the user IP taken from the client IP where Relay does ({@code {{auto}}}, {@code REMOTE_ADDR},
 * browser/Apple platforms without an IP).
 */
final class EventFacts {
  static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(256).build())
      .build();

  /** An exception of {@code exception.values}, in order. */
  record Exception(String type, String value) {}

  String type;
  String platform;
  String release;
  String environment;
  /** {@code logentry.formatted} after normalization (or its {@code message}), null when none. */
  String logMessage;
  final List<Exception> exceptions = new ArrayList<>(2);
  /** {@code abs_path} of each frame of the first exception, innermost last; null entries for frames without one. */
  List<String> firstExceptionPaths;
  String url;
  /** The request headers the filters read, by lower-case name. */
  final Map<String, String> headers = new HashMap<>(4);
  /** {@code user.ip_address} after Relay's backfilling. */
  String userIp;

  boolean isTransaction() {
    return "transaction".equals(type);
  }

  String header(String lowerCaseName) {
    return headers.get(lowerCaseName);
  }

  String userAgent() {
    return headers.get("user-agent");
  }

  // ---- reading -----------------------------------------------------------------------------------

  /** Raw pieces, resolved by {@link #finish}: a field and its legacy alias may both be present. */
  private static final class Raw {
    LogEntry logentry, legacyMessage, messageField;
    boolean exceptionSeen, legacyExceptionSeen;
    List<Exception> legacyExceptions;
    List<String> legacyPaths;
    Request request, legacyRequest;
    String userIp, legacyUserIp;
    boolean userSeen;
  }

  private static final class LogEntry {
    String formatted, message;
    Object params; // List<String> or Map<String, String>
  }

  private static final class Request {
    String url, remoteAddr;
    final Map<String, String> headers = new HashMap<>(4);
  }

  /** The request headers any filter reads (localhost and the user-agent filters). */
  private static boolean wanted(String lowerCaseHeader) {
    return switch (lowerCaseHeader) {
      case "user-agent", "host", "x-forwarded-for", "x-forwarded-host" -> true;
      default -> false;
    };
  }

  /**
   * Reads an event payload (a JSON object); {@code clientIp} is the address the request came from.
   * Throws {@link IOException} when it is not a JSON object (the filters then leave it alone).
   */
  static EventFacts read(byte[] json, int offset, int length, String clientIp) throws IOException {
    EventFacts f = new EventFacts();
    Raw raw = new Raw();
    try (JsonParser p = JSON.createParser(json, offset, length)) {
      if (p.nextToken() != JsonToken.START_OBJECT) throw new IOException("an event must be a JSON object");
      String name;
      while ((name = p.nextFieldName()) != null) {
        JsonToken t = p.nextToken();
        switch (name) {
          case "type" -> f.type = scalar(p, t);
          case "platform" -> f.platform = scalar(p, t);
          case "release" -> f.release = scalar(p, t);
          case "environment" -> f.environment = scalar(p, t);
          case "logentry" -> raw.logentry = logEntry(p, t);
          case "sentry.interfaces.Message" -> raw.legacyMessage = logEntry(p, t);
          case "message" -> raw.messageField = logEntry(p, t);
          case "exception" -> {
            raw.exceptionSeen = true;
            f.firstExceptionPaths = exceptions(p, t, f.exceptions);
          }
          case "sentry.interfaces.Exception" -> {
            raw.legacyExceptionSeen = true;
            raw.legacyExceptions = new ArrayList<>(2);
            raw.legacyPaths = exceptions(p, t, raw.legacyExceptions);
          }
          case "request" -> raw.request = request(p, t);
          case "sentry.interfaces.Http" -> raw.legacyRequest = request(p, t);
          case "user" -> {
            raw.userSeen = true;
            raw.userIp = userIp(p, t);
          }
          case "sentry.interfaces.User" -> raw.legacyUserIp = userIp(p, t);
          default -> p.skipChildren();
        }
      }
    }
    f.finish(raw, clientIp);
    return f;
  }

  private void finish(Raw raw, String clientIp) {
    LogEntry log = raw.logentry != null ? raw.logentry : raw.legacyMessage != null ? raw.legacyMessage : raw.messageField;
    if (log != null) logMessage = normalizedMessage(log);
    if (!raw.exceptionSeen && raw.legacyExceptionSeen) {
      exceptions.addAll(raw.legacyExceptions);
      firstExceptionPaths = raw.legacyPaths;
    }
    Request req = raw.request != null ? raw.request : raw.legacyRequest;
    String remoteAddr = null;
    if (req != null) {
      url = req.url;
      headers.putAll(req.headers);
      remoteAddr = req.remoteAddr;
    }
    String ip = raw.userSeen ? raw.userIp : raw.legacyUserIp;
    // relay-event-normalization normalize_ip_addresses: {{auto}} → the client IP; REMOTE_ADDR backfills
    // a missing user IP; else browser and Apple platforms get the client IP.
    if (clientIp != null) {
      if ("{{auto}}".equals(remoteAddr)) remoteAddr = clientIp;
      if ("{{auto}}".equals(ip)) ip = clientIp;
    }
    if (ip != null && !IpLiterals.isIp(ip)) ip = null; // Relay drops an invalid user.ip_address
    if (remoteAddr != null && IpLiterals.isIp(remoteAddr)) {
      if (ip == null) ip = remoteAddr;
    } else if (clientIp != null && ip == null
        && ("javascript".equals(platform) || "cocoa".equals(platform) || "objc".equals(platform))) {
      ip = clientIp;
    }
    userIp = ip;
  }

  /** A scalar as text (Relay's lenient strings take numbers and booleans too); null for null or a structure. */
  private static String scalar(JsonParser p, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_STRING) return p.getText();
    if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) return p.getText();
    if (t == JsonToken.VALUE_TRUE) return "true";
    if (t == JsonToken.VALUE_FALSE) return "false";
    p.skipChildren();
    return null;
  }

  /** A string only (Relay's plain string fields). */
  private static String string(JsonParser p, JsonToken t) throws IOException {
    if (t == JsonToken.VALUE_STRING) return p.getText();
    p.skipChildren();
    return null;
  }

  /** {@code logentry}: an object, or (legacy {@code message}) a plain string. */
  private static LogEntry logEntry(JsonParser p, JsonToken t) throws IOException {
    LogEntry e = new LogEntry();
    if (t == JsonToken.VALUE_STRING) {
      e.formatted = p.getText();
      return e;
    }
    if (t != JsonToken.START_OBJECT) {
      p.skipChildren();
      return null;
    }
    String name;
    while ((name = p.nextFieldName()) != null) {
      JsonToken v = p.nextToken();
      switch (name) {
        case "formatted" -> e.formatted = scalar(p, v);
        case "message" -> e.message = scalar(p, v);
        case "params" -> e.params = params(p, v);
        default -> p.skipChildren();
      }
    }
    return e;
  }

  private static Object params(JsonParser p, JsonToken t) throws IOException {
    if (t == JsonToken.START_ARRAY) {
      List<String> out = new ArrayList<>();
      for (JsonToken v = p.nextToken(); v != JsonToken.END_ARRAY; v = p.nextToken()) out.add(paramText(p, v));
      return out;
    }
    if (t == JsonToken.START_OBJECT) {
      Map<String, String> out = new HashMap<>();
      String name;
      while ((name = p.nextFieldName()) != null) out.put(name, paramText(p, p.nextToken()));
      return out;
    }
    p.skipChildren();
    return null;
  }

  private static String paramText(JsonParser p, JsonToken v) throws IOException {
    if (v == JsonToken.VALUE_NULL) return "None";
    String s = scalar(p, v);
    return s == null ? "" : s;
  }

  /** relay-event-normalization normalize_logentry: formatted, else message formatted with params, else message. */
  private static String normalizedMessage(LogEntry e) {
    if (e.formatted != null) return e.formatted;
    if (e.message == null) return null;
    if (e.params != null) {
      String f = MessageFormat.format(e.message, e.params);
      if (f != null) return f;
    }
    return e.message;
  }

  /** {@code exception}: {@code {"values": [...]}}, a bare list, or a single exception. Returns the first one's frame paths. */
  private static List<String> exceptions(JsonParser p, JsonToken t, List<Exception> out) throws IOException {
    if (t == JsonToken.START_ARRAY) return exceptionList(p, out);
    if (t != JsonToken.START_OBJECT) {
      p.skipChildren();
      return null;
    }
    // Either {"values": [...]} or one exception object: read its fields, decide at the end.
    List<String> paths = null;
    String type = null, value = null;
    boolean single = false;
    String name;
    while ((name = p.nextFieldName()) != null) {
      JsonToken v = p.nextToken();
      switch (name) {
        case "values" -> {
          if (v == JsonToken.START_ARRAY) paths = exceptionList(p, out);
          else p.skipChildren();
        }
        case "type" -> {
          single = true;
          type = string(p, v);
        }
        case "value" -> {
          single = true;
          value = lenient(p, v);
        }
        case "stacktrace" -> {
          single = true;
          List<String> ps = frames(p, v);
          if (paths == null) paths = ps;
        }
        default -> p.skipChildren();
      }
    }
    if (single && out.isEmpty()) out.add(normalized(type, value));
    return paths;
  }

  private static List<String> exceptionList(JsonParser p, List<Exception> out) throws IOException {
    List<String> firstPaths = null;
    for (JsonToken v = p.nextToken(); v != JsonToken.END_ARRAY; v = p.nextToken()) {
      if (v != JsonToken.START_OBJECT) {
        p.skipChildren();
        continue;
      }
      String type = null, value = null;
      List<String> paths = null;
      String name;
      while ((name = p.nextFieldName()) != null) {
        JsonToken f = p.nextToken();
        switch (name) {
          case "type" -> type = string(p, f);
          case "value" -> value = lenient(p, f);
          case "stacktrace" -> {
            if (out.isEmpty()) paths = frames(p, f);
            else p.skipChildren();
          }
          default -> p.skipChildren();
        }
      }
      if (out.isEmpty()) firstPaths = paths;
      out.add(normalized(type, value));
    }
    return firstPaths;
  }

  /** An exception's value is a lenient string: a structure becomes its JSON text in Relay; here it is ignored. */
  private static String lenient(JsonParser p, JsonToken t) throws IOException {
    return scalar(p, t);
  }

  /**
   * Type and value as sent. (Relay's normalization would split a typeless {@code "TypeError: x"}
   * value; its filter tests run on unnormalized events and expect, e.g., a value
   * {@code "http://tt.epicplay.com/…"} to stay whole, so neither is split here.)
   */
  static Exception normalized(String type, String value) {
    return new Exception(type, value);
  }

  private static List<String> frames(JsonParser p, JsonToken t) throws IOException {
    if (t != JsonToken.START_OBJECT) {
      p.skipChildren();
      return null;
    }
    List<String> paths = null;
    String name;
    while ((name = p.nextFieldName()) != null) {
      JsonToken v = p.nextToken();
      if (name.equals("frames") && v == JsonToken.START_ARRAY) {
        paths = new ArrayList<>();
        for (JsonToken fr = p.nextToken(); fr != JsonToken.END_ARRAY; fr = p.nextToken()) {
          if (fr != JsonToken.START_OBJECT) {
            p.skipChildren();
            paths.add(null);
            continue;
          }
          String abs = null;
          String fn;
          while ((fn = p.nextFieldName()) != null) {
            JsonToken fv = p.nextToken();
            if (fn.equals("abs_path")) abs = string(p, fv);
            else p.skipChildren();
          }
          paths.add(abs);
        }
      } else {
        p.skipChildren();
      }
    }
    return paths;
  }

  private static Request request(JsonParser p, JsonToken t) throws IOException {
    if (t != JsonToken.START_OBJECT) {
      p.skipChildren();
      return null;
    }
    Request r = new Request();
    String name;
    while ((name = p.nextFieldName()) != null) {
      JsonToken v = p.nextToken();
      switch (name) {
        case "url" -> r.url = string(p, v);
        case "headers" -> headers(p, v, r.headers);
        case "env" -> {
          if (v != JsonToken.START_OBJECT) {
            p.skipChildren();
            break;
          }
          String en;
          while ((en = p.nextFieldName()) != null) {
            JsonToken ev = p.nextToken();
            if (en.equals("REMOTE_ADDR")) r.remoteAddr = string(p, ev);
            else p.skipChildren();
          }
        }
        default -> p.skipChildren();
      }
    }
    return r;
  }

  /** Headers as an object or as a list of {@code [name, value]} pairs; the first value of a name wins. */
  private static void headers(JsonParser p, JsonToken t, Map<String, String> out) throws IOException {
    if (t == JsonToken.START_OBJECT) {
      String name;
      while ((name = p.nextFieldName()) != null) {
        JsonToken v = p.nextToken();
        String lower = name.toLowerCase(Locale.ROOT);
        if (wanted(lower) && v == JsonToken.VALUE_STRING) out.putIfAbsent(lower, p.getText());
        else p.skipChildren();
      }
    } else if (t == JsonToken.START_ARRAY) {
      for (JsonToken pair = p.nextToken(); pair != JsonToken.END_ARRAY; pair = p.nextToken()) {
        if (pair != JsonToken.START_ARRAY) {
          p.skipChildren();
          continue;
        }
        String name = null, value = null;
        int i = 0;
        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken(), i++) {
          if (i == 0 && e == JsonToken.VALUE_STRING) name = p.getText();
          else if (i == 1 && e == JsonToken.VALUE_STRING) value = p.getText();
          else p.skipChildren();
        }
        if (name != null && value != null) {
          String lower = name.toLowerCase(Locale.ROOT);
          if (wanted(lower)) out.putIfAbsent(lower, value);
        }
      }
    } else {
      p.skipChildren();
    }
  }

  private static String userIp(JsonParser p, JsonToken t) throws IOException {
    if (t != JsonToken.START_OBJECT) {
      p.skipChildren();
      return null;
    }
    String ip = null;
    String name;
    while ((name = p.nextFieldName()) != null) {
      JsonToken v = p.nextToken();
      if (name.equals("ip_address")) ip = string(p, v);
      else p.skipChildren();
    }
    return ip;
  }
}
