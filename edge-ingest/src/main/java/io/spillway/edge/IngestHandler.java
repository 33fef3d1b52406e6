package io.spillway.edge;

import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.spillway.schemas.BufferedEvent;
import io.spillway.schemas.Chunks;
import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.Json;
import io.spillway.schemas.Route;
import io.spillway.schemas.SpillwayId;
import io.spillway.schemas.body.ContentEncoding;
import io.spillway.schemas.body.Envelope;
import io.spillway.schemas.body.EnvelopeException;
import io.spillway.schemas.body.EventIds;
import io.spillway.schemas.body.StoreBody;
import io.spillway.schemas.config.EdgeConfig;
import io.spillway.schemas.config.RouteTable;
import io.undertow.io.Receiver;
import io.undertow.server.HttpHandler;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;

/**
 * One request, end to end, without blocking a thread: route and auth from the request line and
 * headers (cheap refusals happen before the body is read), the body through Undertow's receiver
 * into 512 KiB pieces (size limit and deadline enforced while it streams in), the checks Sentry
 * would make (envelope framing, event ids), the {@link EventStage}s, then one atomic Redis write
 * — and the answer from its completion: 200 only once Redis confirmed the entry (or entries).
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
  /** Retry-After when the edge holds as many large bodies as it may. */
  static final String RETRY_AFTER_BUSY = "5";
  /** Bodies above this are checked (decompressed, walked) on a worker thread, not on the IO thread. */
  static final int INLINE_LIMIT = 64 * 1024;

  private final EdgeConfig edge;
  private final RouteTable routes;
  private final RedisBuffer redis;
  private final RouteQuota quota;
  private final EdgeMetrics metrics;
  private final List<EventStage> stages;
  private final Executor workers;
  /** Body bytes held by requests (received, being checked or written): bounded by {@link #maxHeldBytes}. */
  private final AtomicLong heldBytes = new AtomicLong();
  private final long maxHeldBytes;
  private final SpillwayId ids = new SpillwayId();

  IngestHandler(EdgeConfig edge, RouteTable routes, RedisBuffer redis, RouteQuota quota, EdgeMetrics metrics,
      List<EventStage> stages, Executor workers, long maxHeldBytes) {
    if (edge == null) throw new NullPointerException("edge == null");
    if (routes == null) throw new NullPointerException("routes == null");
    if (redis == null) throw new NullPointerException("redis == null");
    if (quota == null) throw new NullPointerException("quota == null");
    if (metrics == null) throw new NullPointerException("metrics == null");
    if (stages == null) throw new NullPointerException("stages == null");
    if (workers == null) throw new NullPointerException("workers == null");
    this.edge = edge;
    this.routes = routes;
    this.redis = redis;
    this.quota = quota;
    this.metrics = metrics;
    this.stages = List.copyOf(stages);
    this.workers = workers;
    this.maxHeldBytes = maxHeldBytes;
  }

  /** Body bytes held right now (a gauge). */
  long heldBytes() {
    return heldBytes.get();
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
    String storedPath;
    ContentEncoding encoding;
    String contentEncoding;
    String contentType;
    volatile long bodyBytes;
    long held;
    volatile boolean bodyRead;
    volatile boolean answered;
    /** The request deadline's timer, once the body did not come in one read; removed when it has. */
    org.xnio.XnioExecutor.Key deadline;

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
      return endpoint.tunnel() ? "tunnel" : endpoint.kind().wireName();
    }
  }

  /** A checked request, ready for the stages and the write. */
  private record Checked(EventStage.Input input, String answerId) {}

  @Override
  public void handleRequest(HttpServerExchange ex) {
    long start = System.nanoTime();
    String method = ex.getRequestMethod().toString();
    Endpoint endpoint;
    try {
      endpoint = ex.getRequestPath().equals(edge.tunnelPath()) ? Endpoint.forTunnel() : Endpoint.parse(ex.getRequestPath());
    } catch (ProtocolException e) {
      error(ex, start, EdgeMetrics.UNKNOWN_ROUTE, "none", e.status(), e.detail(), reason(e.status()));
      return;
    }
    if (endpoint == null) {
      error(ex, start, EdgeMetrics.UNKNOWN_ROUTE, "none", 404, "not found", "not_found");
      return;
    }
    String origin = ex.getRequestHeaders().getFirst(Headers.ORIGIN);
    if (method.equals("OPTIONS")) {
      preflight(ex, origin);
      return;
    }
    Ingest in = new Ingest(ex, start, endpoint, method, QueryString.parse(ex.getQueryString()));
    if (!endpoint.allows(method)) {
      ex.getResponseHeaders().put(Headers.ALLOW, endpoint.allowHeader());
      error(in, 405, "method not allowed", "method_not_allowed");
      return;
    }
    try {
      if (origin != null && !edge.allowsOrigin(origin)) throw new ProtocolException(403, "origin not allowed");
      in.auth = endpoint.tunnel() ? null : headerAuth(ex, in);
      long limit = endpoint.large() ? edge.maxEnvelopeBytes() : edge.maxEventBytes();
      long declared = ex.getRequestContentLength();
      if (declared > limit) {
        throw new ProtocolException(413, "request body exceeds the size limit (" + limit + " bytes)");
      }
      in.contentEncoding = emptyToNull(ex.getRequestHeaders().getFirst(Headers.CONTENT_ENCODING));
      in.contentType = emptyToNull(ex.getRequestHeaders().getFirst(Headers.CONTENT_TYPE));
      try {
        in.encoding = ContentEncoding.of(in.contentEncoding);
      } catch (ContentEncoding.Unsupported e) {
        throw new ProtocolException(415, "unsupported content encoding");
      }
      if (endpoint.kind() == EndpointKind.NEL) checkNelContentType(in.contentType);
      if (in.auth != null) {
        resolve(in);
      } else if (endpoint.kind() != EndpointKind.ENVELOPE && endpoint.kind() != EndpointKind.STORE) {
        throw ProtocolException.unauthorized("missing authorization information");
      }
      refuseIfRedisUnavailable(in);
      if (method.equals("GET")) {
        onBody(in, List.of(new byte[0]));
        return;
      }
      if (declared > 0) reserve(in, declared);
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

  private static void checkNelContentType(String ct) {
    String base = ct == null ? "" : ct.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    if (!base.equals("application/json") && !base.equals("application/reports+json")) {
      throw new ProtocolException(415, "unsupported media type: expected application/json or application/reports+json");
    }
  }

  /** Counts {@code bytes} more against the edge's bound on held bodies; refuses (503) beyond it. */
  private void reserve(Ingest in, long bytes) {
    long now = heldBytes.addAndGet(bytes);
    in.held += bytes;
    if (now > maxHeldBytes && in.held > INLINE_LIMIT) {
      in.ex.getResponseHeaders().put(Headers.RETRY_AFTER, RETRY_AFTER_BUSY);
      throw new ProtocolException(503, "edge busy: too many large uploads in progress");
    }
  }

  private void release(Ingest in) {
    if (in.deadline != null && in.ex.isInIoThread()) {
      in.deadline.remove();
      in.deadline = null;
    }
    long h = in.held;
    in.held = 0;
    if (h != 0) heldBytes.addAndGet(-h);
  }

  /**
   * The whole request must arrive within {@code edge.request_timeout} (plus a second per MiB beyond
   * 10 MiB), counted from when the handler got the headers: a client that trickles its body is
   * answered 408 and disconnected, whatever its pace between reads. The request line and headers
   * are bounded by Undertow's parse timeout ({@code edge.read_timeout}).
   */
  private void scheduleDeadline(Ingest in) {
    long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - in.start);
    long allowed = edge.requestDeadline(Math.max(0, in.ex.getRequestContentLength())).toMillis();
    in.deadline = in.ex.getIoThread().executeAfter(() -> checkDeadline(in), Math.max(1, allowed - elapsed), TimeUnit.MILLISECONDS);
  }

  private void checkDeadline(Ingest in) {
    if (in.bodyRead || in.answered) return;
    long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - in.start);
    long allowed = edge.requestDeadline(Math.max(in.bodyBytes, in.ex.getRequestContentLength())).toMillis();
    if (elapsed < allowed) { // a large chunked body earned more time as it grew
      in.deadline = in.ex.getIoThread().executeAfter(() -> checkDeadline(in), allowed - elapsed, TimeUnit.MILLISECONDS);
      return;
    }
    in.ex.getRequestReceiver().pause();
    in.ex.setPersistent(false);
    release(in);
    error(in, 408, "request timeout: the request did not arrive within " + allowed / 1000 + " s", "slow_client");
    IoUtils.safeClose(in.ex.getConnection());
  }

  /**
   * Collects the body as it streams in, in pieces of {@link Chunks#CHUNK_BYTES} (a large body is
   * stored as chunks of exactly these pieces, so it is never copied into one array), and counts it:
   * Undertow applies its entity limit to chunked bodies only listener-wide, so the per-endpoint
   * limit is enforced here, at the chunk that crosses it.
   */
  private final class BodyCollector implements Receiver.PartialBytesCallback {
    private final Ingest in;
    private final long limit;
    private final List<byte[]> pieces = new ArrayList<>(1);
    private byte[] current;
    private int size; // bytes in current
    private boolean done;

    BodyCollector(Ingest in, long limit) {
      this.in = in;
      this.limit = limit;
      long declared = in.ex.getRequestContentLength();
      this.current = new byte[(int) Math.min(declared >= 0 ? declared : 16 * 1024, Chunks.CHUNK_BYTES)];
    }

    @Override
    public void handle(HttpServerExchange ex, byte[] chunk, boolean last) {
      if (done || in.answered) return;
      try {
        if (in.bodyBytes + chunk.length > limit) {
          throw new ProtocolException(413, "request body exceeds the size limit (" + limit + " bytes)");
        }
        if (in.bodyBytes + chunk.length > in.held) reserve(in, in.bodyBytes + chunk.length - in.held);
      } catch (ProtocolException e) {
        done = true;
        ex.getRequestReceiver().pause();
        refuse(in, e);
        return;
      }
      int off = 0;
      while (off < chunk.length) {
        if (size == current.length) {
          if (size < Chunks.CHUNK_BYTES) {
            current = Arrays.copyOf(current, (int) Math.min(Chunks.CHUNK_BYTES, Math.max(size * 2L, size + chunk.length - off)));
          } else {
            pieces.add(current);
            current = new byte[Chunks.CHUNK_BYTES];
            size = 0;
          }
        }
        int n = Math.min(chunk.length - off, current.length - size);
        System.arraycopy(chunk, off, current, size, n);
        size += n;
        off += n;
      }
      in.bodyBytes += chunk.length;
      if (last) {
        done = true;
        if (in.deadline != null) in.deadline.remove();
        pieces.add(size == current.length ? current : Arrays.copyOf(current, size));
        onBody(in, pieces);
      } else if (in.deadline == null) {
        // Most bodies arrive with their headers; only one that did not is put on the clock (timers are not free).
        scheduleDeadline(in);
      }
    }
  }

  /** The whole body is here (IO thread): small bodies are checked here, large ones on a worker. */
  private void onBody(Ingest in, List<byte[]> pieces) {
    in.bodyRead = true;
    if (in.bodyBytes <= INLINE_LIMIT) {
      process(in, pieces);
      return;
    }
    try {
      in.ex.dispatch(workers, () -> process(in, pieces));
    } catch (RejectedExecutionException e) {
      in.ex.getResponseHeaders().put(Headers.RETRY_AFTER, RETRY_AFTER_BUSY);
      answerOnIoThread(in, () -> {
        release(in);
        error(in, 503, "edge busy", "busy");
      });
    }
  }

  /** Checks, stages, write. Runs on the IO thread (small bodies) or a worker (large ones). */
  private void process(Ingest in, List<byte[]> pieces) {
    long receivedAt = System.currentTimeMillis();
    Checked checked;
    try {
      checked = check(in, pieces);
      EventStage.Input input = checked.input();
      for (EventStage stage : stages) {
        EventStage.Result r = stage.apply(input);
        if (r instanceof EventStage.Keep k) {
          input = k.input();
        } else if (r instanceof EventStage.Drop d) {
          String answer = checked.answerId();
          answerOnIoThread(in, () -> {
            release(in);
            metrics.dropped(in.routeLabel(), in.kindLabel(), d.reason());
            succeed(in, answer);
          });
          return;
        } else if (r instanceof EventStage.Refuse f) {
          answerOnIoThread(in, () -> {
            release(in);
            refuse(in, new ProtocolException(f.status(), f.detail()), f.reason());
          });
          return;
        }
      }
      checked = new Checked(input, checked.answerId());
    } catch (ProtocolException e) {
      answerOnIoThread(in, () -> {
        release(in);
        refuse(in, e);
      });
      return;
    } catch (RuntimeException e) {
      // A bug, not bad input (parsers only throw ProtocolException): answer 500 rather than drop the client.
      LOG.error("unexpected failure handling a {} request", in.kindLabel(), e);
      answerOnIoThread(in, () -> {
        release(in);
        error(in, 500, "internal error", "internal_error");
      });
      return;
    }
    List<BufferedEvent> records = records(in, checked.input(), receivedAt);
    String answer = checked.answerId();
    if (in.ex.isInIoThread()) {
      // Keep the exchange open past this call: the answer comes from the write's completion.
      in.ex.dispatch(SameThreadExecutor.INSTANCE, () -> write(in, records, answer));
    } else {
      write(in, records, answer);
    }
  }

  private void answerOnIoThread(Ingest in, Runnable answer) {
    if (in.ex.isInIoThread()) answer.run();
    else in.ex.getIoThread().execute(answer);
  }

  /**
   * What Sentry would check before accepting the request, and the id to answer with: the envelope's
   * framing (every item), the store event's JSON, a minidump's magic. When the body names no event
   * id but Sentry would give it one, the edge writes the id it answers into the body (store: the
   * {@code event_id} field; envelope: the header), so the upstream keeps that id.
   */
  private Checked check(Ingest in, List<byte[]> pieces) {
    String eventId = null; // goes into the record
    String answerId = null; // what the SDK is told
    List<byte[]> body = pieces;
    byte[] decoded = null; // the payload, when the checks decoded it (small bodies): the stages reuse it
    String contentEncoding = in.contentEncoding;
    String contentType = in.contentType;
    String path = in.endpoint.storedPath();
    switch (in.endpoint.kind()) {
      case ENVELOPE -> {
        if (in.bodyBytes <= INLINE_LIMIT) decoded = decodeAll(in, pieces, edge.maxEnvelopeBytes());
        Envelope.Scan scan = scanEnvelope(in, pieces, decoded);
        if (in.endpoint.tunnel()) path = "/api/" + tunnelProject(scan) + "/envelope/";
        eventId = scan.header().eventId();
        if (eventId == null && scan.needsEventId()) {
          eventId = EventIds.random();
          byte[] withId = Envelope.withEventId(decoded != null ? decoded : decodeAll(in, pieces, edge.maxEnvelopeBytes()), eventId);
          body = List.of(in.encoding.reencode(withId));
          contentEncoding = in.encoding.reencodedAs().token();
          decoded = withId;
        }
        answerId = eventId;
      }
      case STORE -> {
        if (in.method.equals("GET")) {
          if (in.auth == null) throw ProtocolException.unauthorized("missing authorization information");
          if (!in.query.has("sentry_data")) throw ProtocolException.badRequest("missing sentry_data");
        } else if (contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("application/x-sentry-envelope")) {
          if (in.bodyBytes <= INLINE_LIMIT) decoded = decodeAll(in, pieces, edge.maxEnvelopeBytes());
          Envelope.Scan scan = scanEnvelope(in, pieces, decoded);
          eventId = scan.header().eventId();
        } else {
          if (in.auth == null) throw ProtocolException.unauthorized("missing authorization information");
          byte[] json = storeJson(in, pieces);
          try {
            eventId = StoreBody.eventId(json);
          } catch (StoreBody.Invalid e) {
            throw ProtocolException.badRequest(e.getMessage());
          }
          decoded = json;
          if (eventId == null) {
            // Relay gives such an event an id; so does the edge, and stores it so Sentry keeps this one.
            eventId = EventIds.random();
            body = List.of(StoreBody.withEventId(json, eventId));
            contentEncoding = null;
            contentType = "application/json";
            decoded = body.get(0);
          }
        }
        answerId = eventId != null ? eventId : EventIds.random();
      }
      case MINIDUMP -> {
        if (in.bodyBytes == 0) throw ProtocolException.badRequest("empty minidump");
        boolean multipart = contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("multipart/form-data");
        if (multipart) {
          eventId = MultipartEventId.find(contentType, pieces);
        } else {
          String magic = new String(prefix(in, pieces, 4), StandardCharsets.ISO_8859_1);
          if (!magic.equals("MDMP") && !magic.equals("PMDM")) throw ProtocolException.badRequest("invalid minidump");
        }
        answerId = eventId != null ? eventId : EventIds.random();
      }
      case UNREAL -> {
        if (in.bodyBytes == 0) throw ProtocolException.badRequest("empty unreal crash report");
        answerId = EventIds.random();
      }
      case ATTACHMENTS -> {
        if (in.bodyBytes == 0) throw ProtocolException.badRequest("empty attachments upload");
        eventId = in.endpoint.pathEventId();
      }
      case SECURITY, CSP_REPORT, NEL -> {
        if (in.bodyBytes == 0) throw ProtocolException.badRequest("empty report");
      }
      case CRON -> { }
    }
    if (in.auth == null) throw ProtocolException.unauthorized("missing authorization information");
    HttpServerExchange ex = in.ex;
    in.storedPath = path;
    return new Checked(new EventStage.Input(in.route, in.endpoint.kind(), in.method, contentType, contentEncoding, body,
        emptyToNull(ex.getRequestHeaders().getFirst(Headers.USER_AGENT)), clientIp(ex), eventId, in.query.withoutCredentials(),
        decoded), answerId);
  }

  /**
   * Walks the envelope (the decoded array if there is one, else decompressing as a stream; payloads
   * are never parsed); takes the {@code dsn} auth if it is the only one.
   */
  private Envelope.Scan scanEnvelope(Ingest in, List<byte[]> pieces, byte[] decoded) {
    Envelope.Scan scan;
    try {
      scan = decoded != null ? Envelope.scan(decoded) : Envelope.scan(in.encoding.decoder(pieces), edge.maxEnvelopeBytes());
    } catch (EnvelopeException e) {
      throw ProtocolException.badRequest(in.bodyBytes == 0 ? "empty envelope" : e.getMessage());
    } catch (ContentEncoding.TooLarge e) {
      throw new ProtocolException(413, "envelope exceeds the size limit once decompressed (" + edge.maxEnvelopeBytes() + " bytes)");
    } catch (IOException | RuntimeException e) {
      throw ProtocolException.badRequest("invalid body encoding");
    }
    String dsn = scan.header().dsn();
    if (dsn != null) {
      SentryAuth fromDsn = Dsn.parse(dsn).auth();
      if (in.auth == null) {
        in.auth = fromDsn;
        resolve(in);
      } else if (!fromDsn.key().equals(in.auth.key())) {
        throw ProtocolException.unauthorized("multiple authorization payloads detected");
      }
    } else if (in.endpoint.tunnel()) {
      throw ProtocolException.unauthorized("missing authorization information: a tunnelled envelope needs its dsn header");
    }
    return scan;
  }

  /** The project id of a tunnelled envelope's DSN (delivery puts the real one in; this keeps the path well-formed). */
  private static String tunnelProject(Envelope.Scan scan) {
    String p = Dsn.parse(scan.header().dsn()).projectId();
    return Endpoint.isProjectId(p) ? p : "0";
  }

  private byte[] storeJson(Ingest in, List<byte[]> pieces) {
    try {
      return StoreBody.json(in.encoding, joined(pieces), edge.maxEventBytes());
    } catch (ContentEncoding.TooLarge e) {
      throw new ProtocolException(413, "event exceeds the size limit");
    } catch (StoreBody.Invalid e) {
      throw ProtocolException.badRequest(e.getMessage());
    } catch (IOException e) {
      throw ProtocolException.badRequest("invalid body encoding");
    }
  }

  private static byte[] decodeAll(Ingest in, List<byte[]> pieces, long limit) {
    try {
      return in.encoding.decode(joined(pieces), limit);
    } catch (ContentEncoding.TooLarge e) {
      throw new ProtocolException(413, "envelope exceeds the size limit once decompressed (" + limit + " bytes)");
    } catch (IOException e) {
      throw ProtocolException.badRequest("invalid body encoding");
    }
  }

  private static byte[] prefix(Ingest in, List<byte[]> pieces, int n) {
    try (var s = in.encoding.decoder(pieces)) {
      return s.readNBytes(n);
    } catch (IOException | RuntimeException e) {
      throw ProtocolException.badRequest("invalid body encoding");
    }
  }

  /** The body's pieces as one array (the piece itself when there is one). */
  static byte[] joined(List<byte[]> pieces) {
    if (pieces.size() == 1) return pieces.get(0);
    long total = 0;
    for (byte[] p : pieces) total += p.length;
    byte[] out = new byte[(int) total];
    int off = 0;
    for (byte[] p : pieces) {
      System.arraycopy(p, 0, out, off, p.length);
      off += p.length;
    }
    return out;
  }

  /** The record(s) to store: one, or the chunks of a body above 512 KiB. */
  private List<BufferedEvent> records(Ingest in, EventStage.Input input, long receivedAt) {
    BufferedEvent template = BufferedEvent.builder()
        .id(ids.next(receivedAt))
        .receivedAt(receivedAt)
        .edge(edge.instance())
        .datacenter(edge.datacenter())
        .route(in.route)
        .kind(in.endpoint.kind())
        .method(in.method)
        .path(in.storedPath)
        .query(in.query.withoutCredentials())
        .contentType(input.contentType())
        .contentEncoding(input.contentEncoding())
        .userAgent(input.userAgent())
        .sentryClient(in.auth.client())
        .sentryVersion(in.auth.version())
        .clientIp(input.clientIp())
        .eventId(input.eventId())
        .build();
    List<byte[]> body = input.body();
    boolean collectorPieces = body.size() > 1;
    for (int i = 0; i < body.size() - 1 && collectorPieces; i++) collectorPieces = body.get(i).length == Chunks.CHUNK_BYTES;
    return collectorPieces ? Chunks.of(template, body) : Chunks.split(template.toBuilder().body(joined(body)).build());
  }

  private void write(Ingest in, List<BufferedEvent> records, String answerId) {
    long sent = System.nanoTime();
    metrics.inFlight.incrementAndGet();
    redis.append(records).whenComplete((entryId, failure) -> {
      metrics.inFlight.decrementAndGet();
      metrics.redisWrite(System.nanoTime() - sent);
      // Lettuce completes on its own event loop: answer on the connection's IO thread.
      in.ex.getIoThread().execute(() -> {
        release(in);
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
    if (msg.startsWith("OOM") || msg.contains("OOM command not allowed")) {
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
    if (!markAnswered(in)) return;
    cors(ex);
    int status = switch (in.endpoint.kind()) {
      case ATTACHMENTS -> 201;
      case CRON -> 202;
      default -> 200;
    };
    metrics.answered(in.routeLabel(), in.kindLabel(), status, null, in.start, (int) Math.min(Integer.MAX_VALUE, in.bodyBytes));
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
        ex.getResponseSender().send(EventIds.hyphenated(answerId));
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
    release(in);
    if (failure instanceof RequestTooBigException) {
      refuse(in, new ProtocolException(413, "request body exceeds the size limit"));
      return;
    }
    if (in.answered) return; // cut by the request deadline
    // Slow (read timeout) or vanished client: nobody is left to answer. Count it and drop the connection.
    in.answered = true;
    metrics.rejected(in.routeLabel(), in.kindLabel(), failure instanceof java.net.SocketTimeoutException
        || String.valueOf(failure.getMessage()).toLowerCase(Locale.ROOT).contains("timed out") ? "slow_client" : "read_failed");
    IoUtils.safeClose(in.ex.getConnection());
  }

  /** Bodies up to this size are drained to keep an early-refused keep-alive connection; larger ones close it. */
  static final long DRAIN_LIMIT = 64 * 1024;

  private void refuse(Ingest in, ProtocolException e) {
    String reason = e.status() != 503 ? reason(e.status())
        : e.detail().equals("buffer full") ? "buffer_full" : e.detail().startsWith("edge busy") ? "busy" : "redis_unavailable";
    refuse(in, e, reason);
  }

  private void refuse(Ingest in, ProtocolException e, String reason) {
    HttpServerExchange ex = in.ex;
    release(in);
    boolean bodyUnread = !in.bodyRead && !in.method.equals("GET");
    if (e.status() == 413 || bodyUnread && (ex.getRequestContentLength() < 0 || ex.getRequestContentLength() > DRAIN_LIMIT)) {
      ex.setPersistent(false); // do not read (and throw away) a large body we already refused
    }
    error(in, e.status(), e.detail(), reason);
  }

  private boolean markAnswered(Ingest in) {
    if (in.answered) return false;
    in.answered = true;
    return true;
  }

  private void error(Ingest in, int status, String detail, String reason) {
    if (!markAnswered(in)) return;
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

  /** CORS headers on an answer to a browser ({@code Origin} present) whose origin is allowed. */
  private void cors(HttpServerExchange ex) {
    String origin = ex.getRequestHeaders().getFirst(Headers.ORIGIN);
    if (origin != null && edge.allowsOrigin(origin)) {
      ex.getResponseHeaders().put(ACCESS_CONTROL_ALLOW_ORIGIN, edge.allowedOrigins().contains("*") ? "*" : origin);
      if (!edge.allowedOrigins().contains("*")) ex.getResponseHeaders().put(Headers.VARY, "Origin");
      ex.getResponseHeaders().put(ACCESS_CONTROL_EXPOSE_HEADERS, CORS_EXPOSE_HEADERS);
    }
  }

  /** Browser preflight, answered as Relay's CORS layer does (sentry-protocol.md §1), for allowed origins. */
  private void preflight(HttpServerExchange ex, String origin) {
    if (origin != null && !edge.allowsOrigin(origin)) {
      ex.setStatusCode(403);
      ex.getResponseHeaders().put(Headers.CONTENT_LENGTH, "0");
      ex.endExchange();
      return;
    }
    ex.setStatusCode(200);
    boolean any = edge.allowedOrigins().contains("*");
    ex.getResponseHeaders().put(ACCESS_CONTROL_ALLOW_ORIGIN, any || origin == null ? "*" : origin);
    if (!any) ex.getResponseHeaders().put(Headers.VARY, "Origin");
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
      case 403 -> "forbidden";
      case 404 -> "not_found";
      case 405 -> "method_not_allowed";
      case 408 -> "slow_client";
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
