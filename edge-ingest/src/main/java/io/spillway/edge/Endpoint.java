package io.spillway.edge;

import io.spillway.schemas.EndpointKind;

/**
 * Where a request came in (sentry-protocol.md §1): the endpoint kind, the project id of the path
 * (numeric, but not trusted: the key selects the route), a key carried in the path (unreal, cron),
 * and the path as the record stores it, with that key removed. Trailing slashes are optional
 * everywhere (Relay normalizes paths too).
 *
 * @param kind        the endpoint
 * @param storedPath  request path without the key segment
 * @param pathKey     sentry key from the path, or null
 * @param pathEventId event id from the attachments path (32 hex), or null
 * @param tunnel      the browser tunnel ({@code edge.tunnel_path}): an envelope authenticated by its dsn
 *                    header only; its stored path is derived from that dsn
 */
record Endpoint(EndpointKind kind, String storedPath, String pathKey, String pathEventId, boolean tunnel) {

  Endpoint(EndpointKind kind, String storedPath, String pathKey, String pathEventId) {
    this(kind, storedPath, pathKey, pathEventId, false);
  }

  /** The tunnel endpoint: an envelope, POST only. */
  static Endpoint forTunnel() {
    return new Endpoint(EndpointKind.ENVELOPE, null, null, null, true);
  }

  /** The endpoint of {@code path}, null if no Sentry endpoint lives there (404). */
  static Endpoint parse(String path) {
    if (path == null || !path.startsWith("/api/") || path.length() < 7) return null;
    boolean slash = path.endsWith("/");
    String[] s = path.substring(5, slash ? path.length() - 1 : path.length()).split("/", -1);
    for (String seg : s) if (seg.isEmpty()) return null;
    if (s.length == 1) return s[0].equals("store") ? new Endpoint(EndpointKind.STORE, path, null, null) : null;
    String pid = s[0];
    EndpointKind kind = switch (s.length) {
      case 2 -> switch (s[1]) {
        case "envelope" -> EndpointKind.ENVELOPE;
        case "store" -> EndpointKind.STORE;
        case "minidump" -> EndpointKind.MINIDUMP;
        case "security" -> EndpointKind.SECURITY;
        case "csp-report" -> EndpointKind.CSP_REPORT;
        case "nel" -> EndpointKind.NEL;
        case "cron" -> null;
        default -> null;
      };
      case 3 -> switch (s[1]) {
        case "unreal" -> EndpointKind.UNREAL;
        case "cron" -> EndpointKind.CRON;
        default -> null;
      };
      case 4 -> s[1].equals("events") && s[3].equals("attachments") ? EndpointKind.ATTACHMENTS
          : s[1].equals("cron") ? EndpointKind.CRON : null;
      default -> null;
    };
    if (kind == null) return null;
    if (!isProjectId(pid)) throw ProtocolException.badRequest("bad project path parameter");
    String tail = slash ? "/" : "";
    return switch (kind) {
      case UNREAL -> new Endpoint(kind, "/api/" + pid + "/unreal/", s[2], null);
      case CRON -> s.length == 4
          ? new Endpoint(kind, "/api/" + pid + "/cron/" + s[2] + tail, s[3], null)
          : new Endpoint(kind, path, null, null);
      case ATTACHMENTS -> {
        String eid = io.spillway.schemas.body.EventIds.normalize(s[2]);
        if (eid == null) throw ProtocolException.badRequest("invalid event id");
        yield new Endpoint(kind, path, null, eid);
      }
      default -> new Endpoint(kind, path, null, null);
    };
  }

  /** Sentry project ids are positive integers (Relay: {@code ProjectId}, 400 otherwise). */
  static boolean isProjectId(String s) {
    if (s.isEmpty() || s.length() > 18) return false;
    for (int i = 0; i < s.length(); i++) if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
    return true;
  }

  /** Which methods Relay routes here. */
  boolean allows(String method) {
    return switch (kind) {
      case STORE, CRON -> method.equals("POST") || method.equals("GET");
      default -> method.equals("POST");
    };
  }

  String allowHeader() {
    return kind == EndpointKind.STORE || kind == EndpointKind.CRON ? "GET, POST, OPTIONS" : "POST, OPTIONS";
  }

  /** Large kinds share the envelope limit; single events the event limit (Relay's split). */
  boolean large() {
    return switch (kind) {
      case ENVELOPE, MINIDUMP, UNREAL, ATTACHMENTS -> true;
      default -> false;
    };
  }

  /** Relay never answers 429 on these: clients retry crash uploads, and check-ins / NEL ignore limits. */
  boolean quotaApplies() {
    return switch (kind) {
      case CRON, NEL, MINIDUMP, UNREAL -> false;
      default -> true;
    };
  }
}
