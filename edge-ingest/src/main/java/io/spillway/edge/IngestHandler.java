package io.spillway.edge;

import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.spillway.runtime.Json;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.Route;
import io.spillway.schemas.SpillwayId;
import io.spillway.schemas.config.EdgeConfig;
import io.spillway.schemas.config.RouteTable;
import io.undertow.server.HttpHandler;
import io.undertow.io.Receiver;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.SameThreadExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;

/**
 * One request, end to end, without blocking a thread: route and auth from the request line and
 * headers (cheap refusals happen before the body is read), the body through Undertow's receiver
 * (size limit enforced while it streams in), just enough decoding to answer, one XADD, and the
 * answer from the XADD's completion — 200 only once Redis confirmed the entry.
 */
final class IngestHandler implements HttpHandler {
  private static final Logger LOG = LoggerFactory.getLogger(IngestHandler.class);
  static final HttpString X_SENTRY_AUTH = new HttpString("X-Sentry-Auth");
  static final HttpString X_SENTRY_ERROR = new HttpString("X-Sentry-Error");
  static final HttpString X_SENTRY_RATE_LIMITS = new HttpString("X-Sentry-Rate-Limits");
  static final HttpString X_FORWARDED_FOR = new HttpString("X-Forwarded-For");
  static final HttpString ACCESS_CONTROL_ALLOW_ORIGIN = new HttpString("Access-Control-Allow-Origin");
  static final HttpString ACCESS_CONTROL_EXPOSE_HEADERS = new HttpString("Access-Control-Expose-Headers");
  static final HttpString ACCESS_CONTROL_ALLOW_METHODS = new HttpString("Access-Control-Allow-Methods");
  static final HttpString ACCESS_CONTROL_ALLOW_HEADERS = new HttpString("Access-Control-Allow-Headers");
  static final HttpString ACCESS_CONTROL_MAX_AGE = new HttpString("Access-Control-Max-Age");
  static final String CORS_ALLOW_HEADERS = "x-sentry-auth, x-requested-with, x-forwarded-for, origin, referer, "
      + "accept, content-type, authentication, authorization, content-encoding, transfer-encoding";
  static final String CORS_EXPOSE_HEADERS = "x-sentry-error, x-sentry-rate-limits, retry-after";
  /** 1×1 transparent GIF: the answer to the legacy {@code GET /store/} beacon. */
  static final byte[] PIXEL = Base64.getDecoder().decode("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==");
  /** Retry-After when Redis is unreachable or slow (it usually comes back within seconds). */
  static final String RETRY_AFTER_UNAVAILABLE = "1";
  /** Retry-After when the buffer is full: the bridge needs time to drain it. */
  static final String RETRY_AFTER_FULL = "10";

  private final EdgeConfig edge;
  private final RouteTable routes;
  private final RedisBuffer redis;
  private final RouteQuota quota;
  private final EdgeMetrics metrics;
  private final SpillwayId ids = new SpillwayId();

  IngestHandler(EdgeConfig edge, RouteTable routes, RedisBuffer redis, RouteQuota quota, EdgeMetrics metrics) {
    if (edge == null) throw new NullPointerException("edge == null");
    if (routes == null) throw new NullPointerException("routes == null");
    if (redis == null) throw new NullPointerException("redis == null");
    if (quota == null) throw new NullPointerException("quota == null");
    if (metrics == null) throw new NullPointerException("metrics == null");
    this.edge = edge;
    this.routes = routes;
    this.redis = redis;
    this.quota = quota;
    this.metrics = metrics;
  }

  /** What the handler knows about a request so far. */
  private static final class Ingest {
    final HttpServerExchange ex;
    final long start;
    final Endpoint endpoint;
    final String method;
    final QueryString query;
    SentryAuth auth;
    Route route;
    BodyDecoder.Encoding encoding;
    int bodyBytes;
    boolean bodyRead;

    Ingest(HttpServerExchange ex, long start, Endpoint endpoint, String method, QueryString query) {
      this.ex = ex;
      this.start = start;
      this.endpoint = endpoint;
      this.method = method;
      this.query = query;
    }

    String routeLabel() {
      return route == null ? EdgeMetrics.UNKNOWN_ROUTE : route.toString();
    }

    String kindLabel() {
      return endpoint.kind().wireName();
    }
  }

  @Override
  public void handleRequest(HttpServerExchange ex) {
    long start = System.nanoTime();
    String method = ex.getRequestMethod().toString();
    Endpoint endpoint;
    try {
      endpoint = Endpoint.parse(ex.getRequestPath());
    } catch (ProtocolException e) {
      error(ex, start, EdgeMetrics.UNKNOWN_ROUTE, "none", e.status(), e.detail(), reason(e.status()));
      return;
    }
    if (endpoint == null) {
      error(ex, start, EdgeMetrics.UNKNOWN_ROUTE, "none", 404, "not found", "not_found");
      return;
    }
    if (method.equals("OPTIONS")) {
      preflight(ex);
      return;
    }
    Ingest in = new Ingest(ex, start, endpoint, method, QueryString.parse(ex.getQueryString()));
    if (!endpoint.allows(method)) {
      ex.getResponseHeaders().put(Headers.ALLOW, endpoint.allowHeader());
      error(in, 405, "method not allowed", "method_not_allowed");
      return;
    }
    try {
      in.auth = headerAuth(ex, in);
      long limit = endpoint.large() ? edge.maxEnvelopeBytes() : edge.maxEventBytes();
      if (ex.getRequestContentLength() > limit) {
        throw new ProtocolException(413, "request body exceeds the size limit (" + limit + " bytes)");
      }
      in.encoding = BodyDecoder.Encoding.of(ex.getRequestHeaders().getFirst(Headers.CONTENT_ENCODING));
      if (endpoint.kind() == EndpointKind.NEL) checkNelContentType(ex);
      if (in.auth != null) {
        resolve(in);
      } else if (endpoint.kind() != EndpointKind.ENVELOPE && endpoint.kind() != EndpointKind.STORE) {
        throw ProtocolException.unauthorized("missing authorization information");
      }
      refuseIfRedisUnavailable(in);
      if (method.equals("GET")) {
        onBody(in, new byte[0]);
        return;
      }
      ex.setMaxEntitySize(limit);
      ex.getRequestReceiver().receivePartialBytes(new BodyCollector(in, limit), (e, failure) -> onReadFailure(in, failure));
    } catch (ProtocolException e) {
      refuse(in, e);
    }
  }

  /**
   * The one auth form in the request line and headers (Relay's precedence), null if none. More than
   * one form is refused, as Relay does: two keys would make the route ambiguous.
   */
  private static SentryAuth headerAuth(HttpServerExchange ex, Ingest in) {
    SentryAuth found = null;
    int forms = 0;
    HeaderMap h = ex.getRequestHeaders();
    String xsa = h.getFirst(X_SENTRY_AUTH);
    if (xsa != null && SentryAuth.hasSentryPrefix(xsa.trim())) {
      found = SentryAuth.parseHeader(xsa);
      forms++;
    }
    String authz = h.getFirst(Headers.AUTHORIZATION);
    if (authz != null) {
      String a = authz.trim();
      if (SentryAuth.hasSentryPrefix(a)) {
        forms++;
        if (found == null) found = SentryAuth.parseHeader(a);
      } else if (a.regionMatches(true, 0, "basic ", 0, 6)) {
        forms++;
        if (found == null) found = SentryAuth.parseBasic(a);
      }
    }
    if (in.query.has("sentry_key")) {
      forms++;
      if (found == null) found = SentryAuth.fromQuery(in.query);
    }
    if (in.endpoint.pathKey() != null) {
      forms++;
      if (found == null) {
        found = SentryAuth.of(in.endpoint.pathKey(), null, in.query.first("sentry_client"),
            in.query.first("sentry_version"), "bad sentry key in path");
      }
    }
    if (forms > 1) throw ProtocolException.unauthorized("multiple authorization payloads detected");
    return found;
  }

  /** DSN swap: the key selects the route; then the route's quota. */
  private void resolve(Ingest in) {
    Optional<Route> route = routes.resolve(in.auth.key(), in.auth.secret());
    if (route.isEmpty()) throw ProtocolException.unauthorized("unknown sentry key");
    in.route = route.get();
    if (in.endpoint.quotaApplies()) {
      long retryAfter = quota.acquire(in.route, System.nanoTime());
      if (retryAfter > 0) {
        String secs = Long.toString(retryAfter);
        in.ex.getResponseHeaders().put(Headers.RETRY_AFTER, secs);
        in.ex.getResponseHeaders().put(X_SENTRY_RATE_LIMITS, secs + "::key:spillway_quota");
        throw new ProtocolException(429, "event rate limit exceeded for this key");
      }
    }
  }

  private void refuseIfRedisUnavailable(Ingest in) {
    switch (redis.refusal()) {
      case NONE -> { }
      case DISCONNECTED -> {
        in.ex.getResponseHeaders().put(Headers.RETRY_AFTER, RETRY_AFTER_UNAVAILABLE);
        throw new ProtocolException(503, "buffer unavailable: redis unreachable");
      }
      case FULL -> {
        in.ex.getResponseHeaders().put(Headers.RETRY_AFTER, RETRY_AFTER_FULL);
        throw new ProtocolException(503, "buffer full");
      }
    }
  }

  private static void checkNelContentType(HttpServerExchange ex) {
    String ct = ex.getRequestHeaders().getFirst(Headers.CONTENT_TYPE);
    String base = ct == null ? "" : ct.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    if (!base.equals("application/json") && !base.equals("application/reports+json")) {
      throw new ProtocolException(415, "unsupported media type: expected application/json or application/reports+json");
    }
  }

  /** The whole body is here (IO thread): read what the answer needs, then write it to Redis. */
  private void onBody(Ingest in, byte[] body) {
    in.bodyRead = true;
    try {
      accept(in, body);
    } catch (RuntimeException e) {
      // A bug, not bad input (parsers only throw ProtocolException): answer 500 rather than drop the client.
      LOG.error("unexpected failure handling a {} request", in.kindLabel(), e);
      error(in, 500, "internal error", "internal_error");
    }
  }

  private void accept(Ingest in, byte[] body) {
    long receivedAt = System.currentTimeMillis();
    in.bodyBytes = body.length;
    HttpServerExchange ex = in.ex;
    String eventId = null; // read from the request: goes into the record
    String answerId = null; // what the SDK is told
    String contentType = ex.getRequestHeaders().getFirst(Headers.CONTENT_TYPE);
    try {
      switch (in.endpoint.kind()) {
        case ENVELOPE -> {
          eventId = envelope(in, body);
          answerId = eventId;
        }
        case STORE -> {
          if (in.method.equals("GET")) {
            if (in.auth == null) throw ProtocolException.unauthorized("missing authorization information");
            if (!in.query.has("sentry_data")) throw ProtocolException.badRequest("missing sentry_data");
          } else if (contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("application/x-sentry-envelope")) {
            eventId = envelope(in, body);
          } else {
            if (in.auth == null) throw ProtocolException.unauthorized("missing authorization information");
            eventId = BodyDecoder.storeEventId(BodyDecoder.storeJson(in.encoding, body, edge.maxEventBytes()));
          }
          answerId = eventId != null ? eventId : EventId.random();
        }
        case MINIDUMP -> {
          if (body.length == 0) throw ProtocolException.badRequest("empty minidump");
          boolean multipart = contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data");
          if (!multipart) {
            String magic = new String(BodyDecoder.prefix(in.encoding, body, 4), StandardCharsets.ISO_8859_1);
            if (!magic.equals("MDMP") && !magic.equals("PMDM")) throw ProtocolException.badRequest("invalid minidump");
          }
          answerId = EventId.random();
        }
        case UNREAL -> {
          if (body.length == 0) throw ProtocolException.badRequest("empty unreal crash report");
          answerId = EventId.random();
        }
        case ATTACHMENTS -> {
          if (body.length == 0) throw ProtocolException.badRequest("empty attachments upload");
          eventId = in.endpoint.pathEventId();
        }
        case SECURITY, CSP_REPORT, NEL -> {
          if (body.length == 0) throw ProtocolException.badRequest("empty report");
        }
        case CRON -> { }
      }
    } catch (ProtocolException e) {
      refuse(in, e);
      return;
    }
    BufferedEvent event = BufferedEvent.builder()
        .id(ids.next(receivedAt))
        .receivedAt(receivedAt)
        .edge(edge.instance())
        .datacenter(edge.datacenter())
        .route(in.route)
        .kind(in.endpoint.kind())
        .method(in.method)
        .path(in.endpoint.storedPath())
        .query(in.query.withoutCredentials())
        .contentType(emptyToNull(contentType))
        .contentEncoding(emptyToNull(ex.getRequestHeaders().getFirst(Headers.CONTENT_ENCODING)))
        .userAgent(emptyToNull(ex.getRequestHeaders().getFirst(Headers.USER_AGENT)))
        .sentryClient(in.auth.client())
        .sentryVersion(in.auth.version())
        .clientIp(clientIp(ex))
        .eventId(eventId)
        .body(body)
        .build();
    String answer = answerId;
    // Keep the exchange open past this call: the answer comes from the XADD's completion.
    ex.dispatch(SameThreadExecutor.INSTANCE, () -> write(in, event, answer));
  }

  /**
   * Collects the body as it streams in and counts it: Undertow applies its entity limit to chunked
   * bodies only from the listener-wide maximum, so the per-endpoint limit is enforced here. An
   * oversized body is refused at the chunk that crosses the limit; it is never held whole.
   */
  private final class BodyCollector implements Receiver.PartialBytesCallback {
    private final Ingest in;
    private final long limit;
    private byte[] buf;
    private int size;
    private boolean done;

    BodyCollector(Ingest in, long limit) {
      this.in = in;
      this.limit = limit;
      long declared = in.ex.getRequestContentLength();
      // Trust a declared length only up to 1 MiB: a client must not reserve 200 MiB by saying so.
      this.buf = new byte[(int) Math.min(declared >= 0 ? declared : 16 * 1024, 1 << 20)];
    }

    @Override
    public void handle(HttpServerExchange ex, byte[] chunk, boolean last) {
      if (done) return;
      if (size + (long) chunk.length > limit) {
        done = true;
        ex.getRequestReceiver().pause();
        refuse(in, new ProtocolException(413, "request body exceeds the size limit (" + limit + " bytes)"));
        return;
      }
      if (size + chunk.length > buf.length) {
        buf = Arrays.copyOf(buf, (int) Math.min(limit, Math.max(buf.length * 2L, size + (long) chunk.length)));
      }
      System.arraycopy(chunk, 0, buf, size, chunk.length);
      size += chunk.length;
      if (last) {
        done = true;
        onBody(in, size == buf.length ? buf : Arrays.copyOf(buf, size));
      }
    }
  }

  /** The envelope's header: event id, and the {@code dsn} auth when the request had no other. */
  private String envelope(Ingest in, byte[] body) {
    EnvelopeHeader header = BodyDecoder.envelopeHeader(in.encoding, body);
    if (header.dsn() != null) {
      SentryAuth fromDsn = Dsn.parse(header.dsn()).auth();
      if (in.auth == null) {
        in.auth = fromDsn;
        resolve(in);
      } else if (!fromDsn.key().equals(in.auth.key())) {
        throw ProtocolException.unauthorized("multiple authorization payloads detected");
      }
    }
    if (in.auth == null) throw ProtocolException.unauthorized("missing authorization information");
    return header.eventId();
  }

  private void write(Ingest in, BufferedEvent event, String answerId) {
    long sent = System.nanoTime();
    metrics.inFlight.incrementAndGet();
    redis.append(event).whenComplete((entryId, failure) -> {
      metrics.inFlight.decrementAndGet();
      metrics.redisWrite(System.nanoTime() - sent);
      // Lettuce completes on its own event loop: answer on the connection's IO thread.
      in.ex.getIoThread().execute(() -> {
        if (failure == null) {
          succeed(in, answerId);
        } else {
          writeFailed(in, failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure);
        }
      });
    });
  }

  private void writeFailed(Ingest in, Throwable failure) {
    String msg = failure.getMessage() == null ? "" : failure.getMessage();
    String reason;
    String detail;
    String retryAfter = RETRY_AFTER_UNAVAILABLE;
    if (msg.startsWith("OOM")) {
      reason = "buffer_full";
      detail = "buffer full";
      retryAfter = RETRY_AFTER_FULL;
    } else if (failure instanceof RedisCommandTimeoutException) {
      reason = "redis_timeout";
      detail = "buffer unavailable: redis write timed out";
    } else if (failure instanceof RedisException || failure instanceof IllegalStateException) {
      reason = "redis_unavailable";
      detail = "buffer unavailable: redis unreachable";
    } else {
      reason = "redis_error";
      detail = "buffer unavailable";
    }
    in.ex.getResponseHeaders().put(Headers.RETRY_AFTER, retryAfter);
    error(in, 503, detail, reason);
  }

  private void succeed(Ingest in, String answerId) {
    HttpServerExchange ex = in.ex;
    cors(ex);
    int status = switch (in.endpoint.kind()) {
      case ATTACHMENTS -> 201;
      case CRON -> 202;
      default -> 200;
    };
    metrics.answered(in.routeLabel(), in.kindLabel(), status, null, in.start, in.bodyBytes);
    switch (in.endpoint.kind()) {
      case ENVELOPE, STORE -> {
        if (in.method.equals("GET")) {
          ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "image/gif");
          ex.setStatusCode(200);
          ex.getResponseSender().send(ByteBuffer.wrap(PIXEL));
          return;
        }
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        ex.setStatusCode(200);
        ex.getResponseSender().send(answerId == null ? "{}" : "{\"id\":\"" + answerId + "\"}");
      }
      case MINIDUMP, UNREAL -> {
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; charset=utf-8");
        ex.setStatusCode(200);
        ex.getResponseSender().send(EventId.hyphenated(answerId));
      }
      case ATTACHMENTS -> {
        ex.setStatusCode(201);
        ex.endExchange();
      }
      case CRON -> {
        ex.setStatusCode(202);
        ex.endExchange();
      }
      case SECURITY, CSP_REPORT, NEL -> {
        ex.setStatusCode(200);
        ex.endExchange();
      }
    }
  }

  private void onReadFailure(Ingest in, IOException failure) {
    if (failure instanceof RequestTooBigException) {
      refuse(in, new ProtocolException(413, "request body exceeds the size limit"));
      return;
    }
    // Slow (read timeout) or vanished client: nobody is left to answer. Count it and drop the connection.
    metrics.rejected(in.routeLabel(), in.kindLabel(), "read_failed");
    IoUtils.safeClose(in.ex.getConnection());
  }

  /** Bodies up to this size are drained to keep an early-refused keep-alive connection; larger ones close it. */
  static final long DRAIN_LIMIT = 64 * 1024;

  private void refuse(Ingest in, ProtocolException e) {
    HttpServerExchange ex = in.ex;
    boolean bodyUnread = !in.bodyRead && !in.method.equals("GET");
    if (e.status() == 413 || bodyUnread && (ex.getRequestContentLength() < 0 || ex.getRequestContentLength() > DRAIN_LIMIT)) {
      ex.setPersistent(false); // do not read (and throw away) a large body we already refused
    }
    String reason = e.status() != 503 ? reason(e.status())
        : e.detail().equals("buffer full") ? "buffer_full" : "redis_unavailable";
    error(in, e.status(), e.detail(), reason);
  }

  private void error(Ingest in, int status, String detail, String reason) {
    error(in.ex, in.start, in.routeLabel(), in.kindLabel(), status, detail, reason);
  }

  private void error(HttpServerExchange ex, long start, String route, String kind, int status, String detail, String reason) {
    if (ex.isResponseStarted()) {
      IoUtils.safeClose(ex.getConnection());
      return;
    }
    metrics.answered(route, kind, status, reason, start, 0); // counted before the client can see the answer
    cors(ex);
    ex.setStatusCode(status);
    ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
    ex.getResponseHeaders().put(X_SENTRY_ERROR, detail);
    ex.getResponseSender().send("{\"detail\":" + Json.quote(detail) + "}");
  }

  private static void cors(HttpServerExchange ex) {
    if (ex.getRequestHeaders().contains(Headers.ORIGIN)) {
      ex.getResponseHeaders().put(ACCESS_CONTROL_ALLOW_ORIGIN, "*");
      ex.getResponseHeaders().put(ACCESS_CONTROL_EXPOSE_HEADERS, CORS_EXPOSE_HEADERS);
    }
  }

  /** Browser preflight, answered as Relay's CORS layer does (sentry-protocol.md §1). */
  private static void preflight(HttpServerExchange ex) {
    ex.setStatusCode(200);
    ex.getResponseHeaders().put(ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    ex.getResponseHeaders().put(ACCESS_CONTROL_ALLOW_METHODS, "POST");
    ex.getResponseHeaders().put(ACCESS_CONTROL_ALLOW_HEADERS, CORS_ALLOW_HEADERS);
    ex.getResponseHeaders().put(ACCESS_CONTROL_EXPOSE_HEADERS, CORS_EXPOSE_HEADERS);
    ex.getResponseHeaders().put(ACCESS_CONTROL_MAX_AGE, "3600");
    ex.getResponseHeaders().put(Headers.CONTENT_LENGTH, "0");
    ex.endExchange();
  }

  private String clientIp(HttpServerExchange ex) {
    if (edge.trustForwardedFor()) {
      String xff = ex.getRequestHeaders().getFirst(X_FORWARDED_FOR);
      if (xff != null) {
        String first = xff.split(",", 2)[0].trim();
        if (!first.isEmpty()) return first;
      }
    }
    InetSocketAddress peer = ex.getSourceAddress();
    return peer == null || peer.getAddress() == null ? null : peer.getAddress().getHostAddress();
  }

  static String reason(int status) {
    return switch (status) {
      case 400 -> "bad_request";
      case 401 -> "unauthorized";
      case 404 -> "not_found";
      case 405 -> "method_not_allowed";
      case 413 -> "too_large";
      case 415 -> "unsupported_media_type";
      case 429 -> "rate_limited";
      case 503 -> "unavailable";
      default -> "status_" + status;
    };
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
