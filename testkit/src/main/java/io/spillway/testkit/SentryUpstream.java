package io.spillway.testkit;

import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * A loopback HTTP server that behaves like a Sentry ingestion endpoint (sentry-protocol.md), for
 * delivery and pipeline tests. It checks auth like Relay (one auth payload: header, Authorization,
 * query or key path segment; the real key and, when configured, the secret; the project id of
 * the key), decodes bodies (gzip, deflate, base64(zlib) store bodies, envelopes with their items)
 * and records every request with its arrival time, headers, decoded body and event id. It can be
 * told at runtime to answer 429 with {@code Retry-After} / {@code X-Sentry-Rate-Limits} for a
 * window, to answer another status for some or all requests, to answer late (without holding a
 * thread), to drop connections, or to go down (connection refused) and come back on the same port.
 * Otherwise it answers {@code 200 {"id":"…"}} like Sentry.
 */
public final class SentryUpstream implements AutoCloseable {
  private static final Pattern EVENT_ID = Pattern.compile("\"event_id\"\\s*:\\s*\"([0-9a-fA-F-]{32,36})\"");
  private static final Pattern SENT_AT = Pattern.compile("\"sent_at\"\\s*:\\s*\"([^\"]*)\"");
  private static final Pattern TYPE = Pattern.compile("\"type\"\\s*:\\s*\"([^\"]*)\"");
  private static final Pattern LENGTH = Pattern.compile("\"length\"\\s*:\\s*(\\d+)");

  /** A project the upstream knows. {@code secret} null = not checked. */
  public record Project(long id, String key, String secret) {
    @Override
    public String toString() {
      return "Project{id=" + id + "}";
    }
  }

  /**
   * One request as it arrived and how it was answered.
   *
   * @param arrivedAt   epoch ms when the whole body had been read
   * @param headers     lower-case names
   * @param body        the raw body
   * @param decoded     the body without Content-Encoding (and base64/zlib for store), or null if undecodable
   * @param eventId     the event id (envelope header, event item, or store JSON), or null
   * @param sentAt      the envelope header's sent_at, or null
   * @param itemTypes   envelope item types (empty for other bodies)
   * @param key         the sentry_key the request authenticated with, or null
   * @param status      the status it was answered with (0 = connection dropped)
   * @param error       the X-Sentry-Error sent, or null
   * @param bodySha256  SHA-256 of the raw body, hex (kept even when bodies are not)
   * @param protocol    {@code HTTP/1.1} or {@code HTTP/2.0}
   * @param peer        the client's address and port: one per connection
   */
  public record Received(long arrivedAt, String method, String path, String query, Map<String, String> headers,
      byte[] body, byte[] decoded, String eventId, String sentAt, List<String> itemTypes, String key, String secret,
      int status, String error, String bodySha256, String protocol, String peer) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    public boolean accepted() {
      return status >= 200 && status < 300;
    }

    public String decodedText() {
      return decoded == null ? null : new String(decoded, StandardCharsets.UTF_8);
    }
  }

  /** SHA-256 of {@code b} as lower-case hex. */
  public static String sha256(byte[] b) {
    try {
      return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b == null ? new byte[0] : b));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A scripted answer: while active (until {@code untilMillis}) and matching, it replaces the normal one. */
  private record Rule(Predicate<Received> when, int status, Map<String, String> headers, String error,
      long untilMillis, boolean drop) {}

  private final int port;
  private final Map<String, Project> projectsByKey = new ConcurrentHashMap<>();
  /**
   * Guarded by itself. Not a CopyOnWriteArrayList: every add would copy the whole list, and a long
   * fault-suite run records a million requests (at the end each answer cost ~200 ms).
   */
  private final List<Received> received = new ArrayList<>();
  private volatile boolean keepBodies = true;
  /** At most about this many recorded requests are kept (the oldest are forgotten); guarded by {@link #received}. */
  private int keepLast = Integer.MAX_VALUE / 2;
  /** Requests recorded and forgotten since (by {@link #keepLast}), guarded by {@link #received}. */
  private long forgotten;
  private final List<Rule> rules = new CopyOnWriteArrayList<>();
  private volatile long delayMillis;
  private Undertow server;
  /** Non-null: serve HTTPS with this context (see {@link #startTls}). */
  private final javax.net.ssl.SSLContext tls;
  private final boolean http2;
  private final boolean requireClientCertificate;

  /** HTTP/2's SETTINGS_MAX_CONCURRENT_STREAMS when serving it: a client with more requests in flight needs more connections. */
  public static final int HTTP2_MAX_CONCURRENT_STREAMS = 100;

  private SentryUpstream(int port) {
    this(port, null, false, false);
  }

  private SentryUpstream(int port, javax.net.ssl.SSLContext tls, boolean http2, boolean requireClientCertificate) {
    this.port = port;
    this.tls = tls;
    this.http2 = http2;
    this.requireClientCertificate = requireClientCertificate;
  }

  /** Starts on a free loopback port. */
  public static SentryUpstream start() {
    SentryUpstream u = new SentryUpstream(RedisServer.freePort());
    u.up();
    return u;
  }

  /**
   * Starts an HTTPS upstream on a free loopback port with {@link TestCertificate}'s certificate
   * (valid for the name {@code localhost} only); {@link #url} then names {@code https://localhost}.
   */
  public static SentryUpstream startTls() {
    return startTls(false, false);
  }

  /**
   * Like {@link #startTls()}; with {@code http2}, HTTP/2 is offered by ALPN (HTTP/1.1 still served),
   * at most {@link #HTTP2_MAX_CONCURRENT_STREAMS} streams per connection; with
   * {@code requireClientCertificate}, the handshake fails unless the client presents a certificate
   * signed by {@link TestCertificate}'s CA.
   */
  public static SentryUpstream startTls(boolean http2, boolean requireClientCertificate) {
    SentryUpstream u = new SentryUpstream(RedisServer.freePort(), TestCertificate.get().serverContext(), http2, requireClientCertificate);
    u.up();
    return u;
  }

  /** Starts on a given loopback port (the {@code spillway up} inspector). */
  public static SentryUpstream startOn(int port) {
    SentryUpstream u = new SentryUpstream(port);
    u.up();
    return u;
  }

  /** Accepts this project (real id, key and optional secret). */
  public SentryUpstream project(long id, String key, String secret) {
    projectsByKey.put(key, new Project(id, key, secret));
    return this;
  }

  public int port() {
    return port;
  }

  /** {@code http://127.0.0.1:PORT} (or {@code https://localhost:PORT}) — what goes into an upstream's {@code url}. */
  public String url() {
    return tls == null ? "http://127.0.0.1:" + port : "https://localhost:" + port;
  }

  // ---- behaviour ------------------------------------------------------------------------------

  /** 429 with {@code Retry-After} (and {@code X-Sentry-Rate-Limits} if not null) to every request for {@code window}. */
  public SentryUpstream rateLimit(Duration window, String retryAfter, String sentryRateLimits) {
    Map<String, String> h = new LinkedHashMap<>();
    if (retryAfter != null) h.put("Retry-After", retryAfter);
    if (sentryRateLimits != null) h.put("X-Sentry-Rate-Limits", sentryRateLimits);
    rules.add(new Rule(r -> true, 429, h, "rate limited", System.currentTimeMillis() + window.toMillis(), false));
    return this;
  }

  /** Like {@link #rateLimit} but only for requests matching {@code when} (e.g. one item type). */
  public SentryUpstream rateLimitWhen(Predicate<Received> when, Duration window, String retryAfter, String sentryRateLimits) {
    Map<String, String> h = new LinkedHashMap<>();
    if (retryAfter != null) h.put("Retry-After", retryAfter);
    if (sentryRateLimits != null) h.put("X-Sentry-Rate-Limits", sentryRateLimits);
    rules.add(new Rule(when, 429, h, "rate limited", System.currentTimeMillis() + window.toMillis(), false));
    return this;
  }

  /** Answers {@code status} (with {@code X-Sentry-Error: error}) to every request for {@code window}. */
  public SentryUpstream fail(int status, String error, Duration window) {
    rules.add(new Rule(r -> true, status, Map.of(), error, System.currentTimeMillis() + window.toMillis(), false));
    return this;
  }

  /** Answers {@code status} to requests matching {@code when} (e.g. by event id), until {@link #reset()}. */
  public SentryUpstream failWhen(Predicate<Received> when, int status, String error) {
    rules.add(new Rule(when, status, Map.of(), error, Long.MAX_VALUE, false));
    return this;
  }

  /** Closes connections without an answer for {@code window}. */
  public SentryUpstream dropConnections(Duration window) {
    rules.add(new Rule(r -> true, 0, Map.of(), null, System.currentTimeMillis() + window.toMillis(), true));
    return this;
  }

  /** Answers every request after {@code delay} (no thread is held meanwhile). */
  public SentryUpstream delay(Duration delay) {
    delayMillis = delay.toMillis();
    return this;
  }

  /** Back to normal answers (recorded requests are kept). */
  public SentryUpstream reset() {
    rules.clear();
    delayMillis = 0;
    return this;
  }

  /**
   * The requests recorded since the last call, forgotten at once (none is lost in between): for
   * runs of millions of requests, which tally as they go instead of keeping every record.
   */
  public List<Received> take() {
    synchronized (received) {
      List<Received> out = new ArrayList<>(received);
      received.clear();
      return out;
    }
  }

  /** Forgets the recorded requests (answers and projects stay as they are). */
  public SentryUpstream clear() {
    synchronized (received) {
      received.clear();
    }
    return this;
  }

  /** Stops listening: connections are refused until {@link #up()}. */
  public synchronized void down() {
    if (server != null) {
      server.stop();
      server = null;
    }
  }

  /** (Re)starts listening on the same port. */
  public synchronized void up() {
    if (server != null) return;
    Undertow.Builder b = Undertow.builder();
    if (tls == null) b.addHttpListener(port, "127.0.0.1");
    else b.addHttpsListener(port, "127.0.0.1", tls);
    if (http2) {
      b.setServerOption(io.undertow.UndertowOptions.ENABLE_HTTP2, true);
      b.setServerOption(io.undertow.UndertowOptions.HTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, HTTP2_MAX_CONCURRENT_STREAMS);
    }
    if (requireClientCertificate) b.setSocketOption(org.xnio.Options.SSL_CLIENT_AUTH_MODE, org.xnio.SslClientAuthMode.REQUIRED);
    Undertow s = b
        .setIoThreads(2)
        .setWorkerThreads(4)
        // like Relay: envelopes and crash uploads up to 200 MiB (Undertow's own default cuts at 10 MiB)
        .setServerOption(io.undertow.UndertowOptions.MAX_ENTITY_SIZE, 200L << 20)
        .setHandler(this::handle)
        .build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        s.start();
        break;
      } catch (RuntimeException e) { // port in TIME_WAIT / not released yet after down()
        if (System.nanoTime() > deadline) throw e;
        try {
          Thread.sleep(50);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
    server = s;
  }

  // ---- what arrived ---------------------------------------------------------------------------

  /** Every request, in arrival order. */
  public List<Received> requests() {
    return List.copyOf(snapshot());
  }

  /**
   * false: record requests without their bodies (raw and decoded are null in {@link Received});
   * event ids, statuses and times are still recorded. For long load runs, where a million bodies
   * would fill the test JVM's heap.
   */
  public SentryUpstream keepBodies(boolean keep) {
    this.keepBodies = keep;
    return this;
  }

  /**
   * Keeps only about the last {@code n} requests (between n and 2n), for a long-running upstream such as
   * {@code spillway up}'s inspector, whose memory must not grow with what it received. {@link #receivedCount()}
   * still counts every request.
   */
  public SentryUpstream keepLast(int n) {
    if (n < 1) throw new IllegalArgumentException("n < 1: " + n);
    synchronized (received) {
      keepLast = n;
    }
    return this;
  }

  /** Every request recorded since start, including those {@link #keepLast} forgot. */
  public long receivedCount() {
    synchronized (received) {
      return forgotten + received.size();
    }
  }

  private List<Received> snapshot() {
    synchronized (received) {
      return new ArrayList<>(received);
    }
  }

  /** Requests answered 2xx. */
  public List<Received> accepted() {
    List<Received> out = new ArrayList<>();
    for (Received r : snapshot()) if (r.accepted()) out.add(r);
    return out;
  }

  /** Event ids of the accepted requests, with repeats (a duplicate delivery appears twice). */
  public List<String> acceptedEventIds() {
    List<String> out = new ArrayList<>();
    for (Received r : snapshot()) if (r.accepted() && r.eventId() != null) out.add(r.eventId());
    return out;
  }

  public int acceptedCount() {
    int n = 0;
    for (Received r : snapshot()) if (r.accepted()) n++;
    return n;
  }

  @Override
  public synchronized void close() {
    down();
  }

  // ---- the server -----------------------------------------------------------------------------

  private void handle(HttpServerExchange ex) {
    ex.getRequestReceiver().receiveFullBytes((e, body) -> answer(e, body), (e, err) -> e.endExchange());
  }

  private void answer(HttpServerExchange ex, byte[] body) {
    long now = System.currentTimeMillis();
    Map<String, String> headers = new TreeMap<>();
    for (HeaderValues hv : ex.getRequestHeaders()) {
      headers.put(hv.getHeaderName().toString().toLowerCase(Locale.ROOT), hv.getFirst());
    }
    String path = ex.getRequestPath();
    String query = ex.getQueryString() == null || ex.getQueryString().isEmpty() ? null : ex.getQueryString();
    byte[] decoded = decode(body, headers.get("content-encoding"), path);
    boolean envelope = path.endsWith("/envelope/")
        || String.valueOf(headers.get("content-type")).startsWith("application/x-sentry-envelope");
    String eventId = null;
    String sentAt = null;
    List<String> types = List.of();
    if (decoded != null) {
      String text = new String(decoded, StandardCharsets.UTF_8);
      if (envelope) {
        int nl = text.indexOf('\n');
        String header = nl < 0 ? text : text.substring(0, nl);
        Matcher m = EVENT_ID.matcher(header);
        if (m.find()) eventId = m.group(1);
        Matcher s = SENT_AT.matcher(header);
        if (s.find()) sentAt = s.group(1);
        types = itemTypes(decoded);
      } else {
        Matcher m = EVENT_ID.matcher(text);
        if (m.find()) eventId = m.group(1);
      }
    }
    if (eventId != null) eventId = eventId.replace("-", "").toLowerCase(Locale.ROOT);

    // Auth, as Relay reads it (sentry-protocol.md §2): exactly one payload.
    List<Map<String, String>> auths = new ArrayList<>();
    String xsa = headers.get("x-sentry-auth");
    if (xsa != null && xsa.regionMatches(true, 0, "sentry ", 0, 7)) auths.add(pairs(xsa.substring(7), ","));
    String authz = headers.get("authorization");
    if (authz != null && authz.regionMatches(true, 0, "sentry ", 0, 7)) auths.add(pairs(authz.substring(7), ","));
    if (authz != null && authz.regionMatches(true, 0, "basic ", 0, 6)) {
      String user = new String(Base64.getDecoder().decode(authz.substring(6).trim()), StandardCharsets.UTF_8);
      auths.add(Map.of("sentry_key", user.contains(":") ? user.substring(0, user.indexOf(':')) : user));
    }
    if (query != null && query.contains("sentry_")) auths.add(pairs(query, "&"));
    Matcher unreal = Pattern.compile("^/api/\\d+/unreal/([^/]+)/?$").matcher(path);
    if (unreal.matches()) auths.add(Map.of("sentry_key", unreal.group(1)));
    Matcher cron = Pattern.compile("^/api/\\d+/cron/[^/]+/([^/]+)/?$").matcher(path);
    if (cron.matches()) auths.add(Map.of("sentry_key", cron.group(1)));

    int status;
    String error = null;
    Map<String, String> extra = new LinkedHashMap<>();
    String key = null;
    String secret = null;
    boolean drop = false;
    Matcher pid = Pattern.compile("^/api/(\\d+)/").matcher(path);
    if (auths.size() > 1) {
      status = 401;
      error = "multiple authorization payloads detected";
    } else if (auths.isEmpty() || auths.get(0).get("sentry_key") == null) {
      status = 401;
      error = "missing authorization information";
    } else {
      key = auths.get(0).get("sentry_key");
      secret = auths.get(0).get("sentry_secret");
      Project p = projectsByKey.get(key);
      if (p == null) {
        status = 401;
        error = "unknown public key";
      } else if (p.secret() != null && !p.secret().equals(secret)) {
        status = 401;
        error = "invalid secret";
      } else if (!pid.find() || Long.parseLong(pid.group(1)) != p.id()) {
        status = 403;
        error = "project id mismatch";
      } else if (decoded == null) {
        status = 400;
        error = "invalid request body";
      } else {
        status = 200;
      }
    }
    String digest = sha256(body);
    String protocol = ex.getProtocol().toString();
    String peer = String.valueOf(ex.getSourceAddress());
    Received provisional = new Received(now, ex.getRequestMethod().toString(), path, query, Collections.unmodifiableMap(headers),
        body, decoded, eventId, sentAt, types, key, secret, status, error, digest, protocol, peer);
    if (status == 200) {
      for (Rule r : rules) {
        if (r.untilMillis() > now && r.when().test(provisional)) {
          drop = r.drop();
          status = r.status();
          error = r.error();
          extra.putAll(r.headers());
          break;
        }
      }
    }
    Received r = keepBodies
        ? new Received(now, provisional.method(), path, query, provisional.headers(), body, decoded, eventId,
            sentAt, types, key, secret, status, error, digest, protocol, peer)
        : new Received(now, provisional.method(), path, query, provisional.headers(), null, null, eventId,
            sentAt, types, key, secret, status, error, digest, protocol, peer);
    synchronized (received) {
      received.add(r);
      if (received.size() >= 2 * keepLast) { // trimmed in halves: each removal moves keepLast entries
        int excess = received.size() - keepLast;
        received.subList(0, excess).clear();
        forgotten += excess;
      }
    }

    if (drop) {
      // dispatch first: otherwise Undertow completes the exchange (an empty 200) when the handler returns
      ex.dispatch(io.undertow.util.SameThreadExecutor.INSTANCE, () -> closeQuietly(ex));
      return;
    }
    int finalStatus = status;
    String finalError = error;
    String id = eventId != null ? eventId : UUID.randomUUID().toString().replace("-", "");
    Runnable respond = () -> {
      ex.setStatusCode(finalStatus);
      extra.forEach((k, v) -> ex.getResponseHeaders().put(HttpString.tryFromString(k), v));
      ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
      if (finalError != null) {
        ex.getResponseHeaders().put(HttpString.tryFromString("X-Sentry-Error"), finalError);
        ex.getResponseSender().send("{\"detail\":\"" + finalError + "\"}");
      } else {
        ex.getResponseSender().send("{\"id\":\"" + id + "\"}");
      }
    };
    long delay = delayMillis;
    if (delay > 0) {
      ex.dispatch(io.undertow.util.SameThreadExecutor.INSTANCE, () ->
          io.undertow.util.WorkerUtils.executeAfter(ex.getIoThread(), respond, delay, TimeUnit.MILLISECONDS));
    } else {
      respond.run();
    }
  }

  private static void closeQuietly(HttpServerExchange ex) {
    try {
      ex.getConnection().close();
    } catch (IOException ignored) {
      // already gone
    }
  }

  private static Map<String, String> pairs(String text, String sep) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String part : text.split(sep)) {
      int eq = part.indexOf('=');
      if (eq <= 0) continue;
      String k = part.substring(0, eq).trim();
      String v = part.substring(eq + 1).trim();
      if (sep.equals("&")) v = URLDecoder.decode(v, StandardCharsets.UTF_8);
      m.put(k, v);
    }
    return m;
  }

  /** Content-Encoding, then (for store bodies) base64(zlib(JSON)) as Relay's decode_bytes. Null = undecodable. */
  static byte[] decode(byte[] body, String encoding, String path) {
    try {
      byte[] b = body;
      String e = encoding == null ? "" : encoding.trim().toLowerCase(Locale.ROOT);
      switch (e) {
        case "", "identity", "utf-8" -> { }
        case "gzip", "x-gzip" -> b = readAll(new GZIPInputStream(new ByteArrayInputStream(b)));
        case "deflate" -> b = inflate(b);
        default -> {
          return null;
        }
      }
      if (path.endsWith("/store/") && b.length > 0 && b[0] != '{') {
        b = inflate(Base64.getMimeDecoder().decode(b));
      }
      return b;
    } catch (IOException | IllegalArgumentException ex) {
      return null;
    }
  }

  private static byte[] inflate(byte[] b) throws IOException {
    boolean zlib = b.length >= 2 && ((b[0] & 0xff) << 8 | (b[1] & 0xff)) % 31 == 0;
    return readAll(new InflaterInputStream(new ByteArrayInputStream(b), new Inflater(!zlib)));
  }

  private static byte[] readAll(InputStream in) throws IOException {
    try (in) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    }
  }

  private static List<String> itemTypes(byte[] env) {
    List<String> out = new ArrayList<>();
    int pos = indexOf(env, 0);
    if (pos < 0) return out;
    pos++;
    while (pos < env.length) {
      int end = indexOf(env, pos);
      if (end < 0) end = env.length;
      String h = new String(env, pos, end - pos, StandardCharsets.UTF_8).trim();
      if (h.isEmpty()) {
        pos = end + 1;
        continue;
      }
      Matcher t = TYPE.matcher(h);
      out.add(t.find() ? t.group(1) : "?");
      Matcher l = LENGTH.matcher(h);
      if (l.find()) {
        pos = end + 1 + Integer.parseInt(l.group(1)) + 1;
      } else {
        int pe = indexOf(env, end + 1);
        pos = pe < 0 ? env.length : pe + 1;
      }
    }
    return out;
  }

  private static int indexOf(byte[] b, int from) {
    for (int i = from; i < b.length; i++) if (b[i] == '\n') return i;
    return -1;
  }

  @Override
  public String toString() {
    return "SentryUpstream{" + url() + ", received=" + snapshot().size() + "}";
  }

  /** How many client connections the recorded requests came over (distinct client address and port). */
  public int connectionsSeen() {
    java.util.Set<String> peers = new java.util.HashSet<>();
    for (Received r : snapshot()) peers.add(r.peer());
    return peers.size();
  }

  /** For diagnostics in assertion messages: status counts. */
  public Map<Integer, Integer> statusCounts() {
    Map<Integer, Integer> m = new TreeMap<>();
    for (Received r : snapshot()) m.merge(r.status(), 1, Integer::sum);
    return m;
  }

  /** Last recorded arrival times of accepted requests (epoch ms), ascending. */
  public List<Long> acceptedArrivals() {
    List<Long> out = new ArrayList<>();
    for (Received r : snapshot()) if (r.accepted()) out.add(r.arrivedAt());
    Collections.sort(out);
    return out;
  }
}
