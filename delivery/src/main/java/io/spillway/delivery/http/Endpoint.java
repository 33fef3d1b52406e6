package io.spillway.delivery.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.proxy.HttpProxyHandler;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.NoopAddressResolverGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.spillway.schemas.config.PemFiles;
import io.spillway.schemas.config.UpstreamConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One upstream's connections and the requests waiting for one, all on one loop thread (so none of
 * this is locked). A request goes to an HTTP/2 connection with a free stream (the first in the list:
 * streams are packed onto as few connections as the server's {@code SETTINGS_MAX_CONCURRENT_STREAMS}
 * allows), else to an idle HTTP/1.1 connection (the most recently used), else it waits while
 * connections are opened: one at first, until the first connection tells (by ALPN) which protocol
 * the server speaks; then, for HTTP/1.1, one per waiting request, for HTTP/2 one per
 * {@code SETTINGS_MAX_CONCURRENT_STREAMS} waiting requests.
 */
final class Endpoint {
  private static final Logger log = LoggerFactory.getLogger(Endpoint.class);
  /** HTTP/1.1 answers: the status line and the whole head are bounded; body chunks are only counted. */
  static final int MAX_STATUS_LINE = 8 * 1024;
  static final int MAX_HEAD = 64 * 1024;
  private static final long FAILURE_LOG_NANOS = TimeUnit.SECONDS.toNanos(30);
  /** Request headers HTTP/2 forbids (connection-specific) or carries as pseudo-headers. */
  private static final Set<String> NOT_IN_HTTP2 = Set.of("connection", "keep-alive", "proxy-connection", "transfer-encoding",
      "upgrade", "host", "te", "content-length");

  enum Protocol { HTTP_1_1, HTTP_2 }

  final UpstreamConfig config;
  final EventLoop loop;
  final UpstreamClient.Options options;
  /** The TLS context (with ALPN offering h2 and http/1.1 when {@code http2: auto}); null for http. */
  final SslContext tls;
  final String host;
  final int port;
  /** The Host header and :authority: the URL's host, with its port when the URL names one. */
  final String authority;
  /** "http://host:port" before each request target when talking to an HTTP proxy in absolute form; else null. */
  final String absoluteFormPrefix;
  /** "Basic …" for requests in absolute form through a proxy with credentials; else null. Never logged. */
  final String proxyAuthorization;
  private final Bootstrap bootstrap;
  private final AddressResolverGroup<InetSocketAddress> resolver;
  private final ChannelGroup channels;
  private final AtomicInteger connectionCount = new AtomicInteger();

  // Loop thread only:
  private final ArrayDeque<Exchange> waiting = new ArrayDeque<>();
  private final ArrayDeque<Http1Connection> idle = new ArrayDeque<>();
  private final List<Http2Connection> multiplexed = new ArrayList<>();
  private int opening;
  /** What the server spoke on the last connection set up; null until one was (HTTP/1.1 from the start where h2 is not offered). */
  private Protocol learned;
  /** The last SETTINGS_MAX_CONCURRENT_STREAMS heard: how many waiting requests one new HTTP/2 connection is expected to take. */
  private int streamsPerConnection = 100;
  private boolean closed;
  private long lastFailureLog;
  private int failuresSinceLog;

  Endpoint(UpstreamConfig config, EventLoop loop, AddressResolverGroup<InetSocketAddress> resolver, UpstreamClient.Options options) {
    this.config = config;
    this.loop = loop;
    this.options = options;
    this.resolver = resolver;
    boolean https = "https".equalsIgnoreCase(config.url().getScheme());
    String h = config.url().getHost();
    this.host = h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    this.port = config.url().getPort() >= 0 ? config.url().getPort() : https ? 443 : 80;
    this.authority = config.url().getPort() >= 0 ? h + ":" + port : h;
    this.tls = https ? tlsContext(config) : null;
    // Nothing to learn where HTTP/2 is not offered: a connection per waiting request from the start.
    if (!https || config.http2() == UpstreamConfig.Http2.OFF) learned = Protocol.HTTP_1_1;
    UpstreamConfig.Proxy proxy = config.proxy();
    this.absoluteFormPrefix = proxy != null && !https ? "http://" + authority : null;
    this.proxyAuthorization = absoluteFormPrefix != null && proxy.username() != null ? basic(proxy) : null;
    this.bootstrap = new Bootstrap().group(loop).channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.SO_KEEPALIVE, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis()))
        // Through a proxy the proxy resolves the upstream's name; ours is resolved before connecting.
        .resolver(proxy != null ? NoopAddressResolverGroup.INSTANCE : resolver);
    this.channels = new DefaultChannelGroup("upstream-" + config.name(), loop);
  }

  /** The upstream's TLS: its CA (or the JVM's trust store), its client certificate, ALPN, host-name verification. */
  private static SslContext tlsContext(UpstreamConfig u) {
    String key = "upstreams." + u.name() + ".tls";
    SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).endpointIdentificationAlgorithm("HTTPS");
    if (u.tls().caFile() != null) {
      try {
        b.trustManager(PemFiles.certificates(u.tls().caFile()));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(key + ".ca_file: " + e.getMessage(), e);
      }
    }
    if (u.tls().clientCertFile() != null) {
      java.security.PrivateKey k;
      List<java.security.cert.X509Certificate> chain;
      try {
        chain = PemFiles.certificates(u.tls().clientCertFile());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(key + ".client_cert_file: " + e.getMessage(), e);
      }
      try {
        k = PemFiles.privateKey(u.tls().clientKeyFile());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(key + ".client_key_file: " + e.getMessage(), e);
      }
      b.keyManager(k, chain);
    }
    if (u.http2() == UpstreamConfig.Http2.AUTO) {
      b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
          ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
          ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
          ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1));
    }
    try {
      return b.build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
    }
  }

  private static String basic(UpstreamConfig.Proxy p) {
    String pair = p.username() + ":" + (p.password() == null ? "" : p.password());
    return "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8));
  }

  int connectionCount() {
    return connectionCount.get();
  }

  boolean closed() {
    return closed;
  }

  // ---- requests ------------------------------------------------------------------------------

  /** Builds {@code x} (unless built already) and queues it; any thread. */
  void submit(Exchange x) {
    try {
      loop.execute(() -> {
        if (x.request == null && !x.build()) return;
        if (closed) {
          x.fail(new IOException("client closed"));
          return;
        }
        enqueue(x, false);
      });
    } catch (RejectedExecutionException e) {
      x.fail(new IOException("client closed"));
    }
  }

  private void enqueue(Exchange x, boolean first) {
    if (first) waiting.addFirst(x);
    else waiting.addLast(x);
    long limit = options.connectTimeout().toNanos() + x.timeoutNanos;
    x.deadline(limit, () -> {
      if (waiting.remove(x)) {
        x.fail(new HttpTimeoutException("no connection to upstream " + config.name() + " within "
            + TimeUnit.NANOSECONDS.toMillis(limit) + " ms"));
      }
    });
    drain();
  }

  /**
   * {@code x} failed where it surely was not processed (a kept-alive connection closed before any
   * byte of the answer, a stream refused or above a GOAWAY's last stream): once, it goes again, on a
   * fresh HTTP/1.1 connection or the next HTTP/2 stream; a second time it fails with {@code error}.
   */
  void retryOrFail(Exchange x, Throwable error, boolean freshConnection) {
    if (x.done()) return;
    if (x.retried || closed) {
      x.fail(closed ? new IOException("client closed") : error);
      return;
    }
    x.retried = true;
    if (freshConnection) {
      x.deadline(options.connectTimeout().toNanos() + x.timeoutNanos, () -> x.fail(new HttpTimeoutException(
          "no connection to upstream " + config.name() + " within " + options.connectTimeout().toMillis() + " ms")));
      open(x);
    } else {
      enqueue(x, true);
    }
  }

  /** Hands waiting requests to connections with room, then opens what the rest need. */
  void drain() {
    while (!waiting.isEmpty()) {
      Exchange x = waiting.peekFirst();
      if (x.done()) {
        waiting.pollFirst();
        continue;
      }
      Connection c = usable();
      if (c == null) break;
      waiting.pollFirst();
      c.start(x);
    }
    openAsNeeded();
  }

  private Connection usable() {
    for (Http2Connection h : multiplexed) {
      if (h.hasRoom()) return h;
    }
    for (Http1Connection c; (c = idle.pollFirst()) != null; ) {
      if (c.usable()) return c;
    }
    return null;
  }

  private void openAsNeeded() {
    if (closed || waiting.isEmpty()) return;
    if (learned == null) { // which protocol? one connection tells
      if (opening == 0) open(null);
      return;
    }
    long perConnection = learned == Protocol.HTTP_2 ? Math.max(1, streamsPerConnection) : 1;
    while (opening * perConnection < waiting.size()) open(null);
  }

  // ---- connections ---------------------------------------------------------------------------

  /** Starts setting up a connection; {@code reserved}, if any, is its first request. */
  private void open(Exchange reserved) {
    opening++;
    connectionCount.incrementAndGet();
    ChannelSetup setup = new ChannelSetup(this, reserved);
    UpstreamConfig.Proxy proxy = config.proxy();
    if (proxy == null) {
      connect(setup, InetSocketAddress.createUnresolved(host, port), null);
      return;
    }
    Future<InetSocketAddress> proxyAddress = resolver.getResolver(loop).resolve(InetSocketAddress.createUnresolved(proxy.host(), proxy.port()));
    proxyAddress.addListener(f -> {
      if (!f.isSuccess()) {
        setup.fail(new java.net.ConnectException("cannot resolve the proxy " + proxy.redacted() + ": " + f.cause()));
      } else if (tls != null) { // https: a CONNECT tunnel to the upstream, TLS inside it
        HttpProxyHandler handler = proxy.username() == null
            ? new HttpProxyHandler(proxyAddress.getNow())
            : new HttpProxyHandler(proxyAddress.getNow(), proxy.username(), proxy.password() == null ? "" : proxy.password());
        handler.setConnectTimeoutMillis(options.connectTimeout().toMillis());
        connect(setup, InetSocketAddress.createUnresolved(host, port), handler);
      } else { // http: requests in absolute form to the proxy itself
        connect(setup, proxyAddress.getNow(), null);
      }
    });
  }

  private void connect(ChannelSetup setup, SocketAddress remote, HttpProxyHandler proxyHandler) {
    if (setup.finished()) return; // timed out while the proxy's name was resolved
    ChannelFuture cf = bootstrap.clone().handler(new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        if (proxyHandler != null) p.addLast("proxy", proxyHandler);
        if (tls != null) {
          SslHandler ssl = tls.newHandler(ch.alloc(), host, port); // SNI and the name the certificate must carry
          ssl.setHandshakeTimeoutMillis(options.connectTimeout().toMillis());
          p.addLast("tls", ssl);
        }
        p.addLast("idle", new IdleStateHandler(0, 0, options.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
        p.addLast("setup", setup);
      }
    }).connect(remote);
    channels.add(cf.channel());
    setup.connecting(cf);
  }

  /** A connection is ready for requests ({@code reserved}, if any, first). */
  void ready(Connection c, Exchange reserved) {
    opening--;
    if (closed) {
      c.close();
      if (reserved != null) reserved.fail(new IOException("client closed"));
      return;
    }
    if (c instanceof Http2Connection h) {
      learned = Protocol.HTTP_2;
      streamsPerConnection = h.maxStreams();
      multiplexed.add(h);
    } else {
      if (learned == null) learned = Protocol.HTTP_1_1;
      idle.addFirst((Http1Connection) c);
    }
    if (reserved != null && !reserved.done()) waiting.addFirst(reserved);
    drain();
  }

  /**
   * A connection could not be set up. Its reserved request fails; when no other connection is on
   * its way, so does every waiting request (the upstream cannot be reached now: delivery's backoff
   * takes over); otherwise, for HTTP/1.1 (a connection per request), the oldest waiting one.
   */
  void setupFailed(Exchange reserved, Throwable cause) {
    opening--;
    connectionCount.decrementAndGet();
    logFailure(cause);
    if (reserved != null && !reserved.done()) reserved.fail(cause);
    if (opening == 0) {
      failWaiting(cause);
    } else if (learned == Protocol.HTTP_1_1) {
      for (Exchange x; (x = waiting.pollFirst()) != null; ) {
        if (!x.done()) {
          x.fail(cause);
          break;
        }
      }
    }
    drain();
  }

  /** An HTTP/1.1 connection finished its exchange and can take another. */
  void released(Http1Connection c) {
    if (closed) {
      c.close();
      return;
    }
    idle.addFirst(c);
    drain();
  }

  /** A ready connection closed (whatever it was doing has been failed or retried by it). */
  void connectionClosed(Connection c) {
    connectionCount.decrementAndGet();
    if (c instanceof Http2Connection h) multiplexed.remove(h);
    else idle.remove(c);
    drain();
  }

  private void failWaiting(Throwable cause) {
    for (Exchange x; (x = waiting.pollFirst()) != null; ) x.fail(cause);
  }

  private void logFailure(Throwable cause) {
    long now = System.nanoTime();
    if (lastFailureLog != 0 && now - lastFailureLog < FAILURE_LOG_NANOS) {
      failuresSinceLog++;
      return;
    }
    log.warn("upstream {}: cannot set up a connection to {}{}: {}{}", config.name(), authority,
        config.proxy() == null ? "" : " through the proxy " + config.proxy().redacted(), describe(cause),
        failuresSinceLog == 0 ? "" : " (" + failuresSinceLog + " more failures in the last " + (now - lastFailureLog) / 1_000_000_000 + " s)");
    lastFailureLog = now;
    failuresSinceLog = 0;
  }

  static String describe(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root && (root.getMessage() == null || root instanceof io.netty.handler.codec.DecoderException)) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
  }

  /** Fails what waits and closes every channel (TLS ones with close_notify); the returned future ends when they are closed. */
  Future<?> close() {
    Promise<Void> done = loop.newPromise();
    try {
      loop.execute(() -> {
        closed = true;
        failWaiting(new IOException("client closed"));
        channels.close().addListener(f -> done.trySuccess(null));
      });
    } catch (RejectedExecutionException e) {
      done.trySuccess(null);
    }
    return done;
  }

  // ---- the request as HTTP/1.1 and HTTP/2 messages --------------------------------------------

  FullHttpRequest http1(Exchange x) {
    UpstreamClient.Request r = x.request;
    String target = absoluteFormPrefix == null ? x.target() : absoluteFormPrefix + x.target();
    FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(r.method()), target,
        x.hasBody() ? Unpooled.wrappedBuffer(r.body()) : Unpooled.EMPTY_BUFFER);
    req.headers().set(HttpHeaderNames.HOST, authority);
    for (String[] h : r.headers()) req.headers().add(h[0], latin1(h[1]));
    if (x.hasBody()) req.headers().set(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
    if (proxyAuthorization != null) req.headers().set(HttpHeaderNames.PROXY_AUTHORIZATION, proxyAuthorization);
    return req;
  }

  Http2Headers http2(Exchange x) {
    UpstreamClient.Request r = x.request;
    Http2Headers h = new DefaultHttp2Headers().method(r.method()).scheme("https").authority(authority).path(x.target());
    for (String[] kv : r.headers()) {
      String name = kv[0].toLowerCase(Locale.ROOT);
      if (!NOT_IN_HTTP2.contains(name)) h.add(name, latin1(kv[1]));
    }
    if (x.hasBody()) h.setInt("content-length", r.body().length);
    return h;
  }

  /** Header values go out as ISO-8859-1 bytes: other characters become '?', as the JDK's encoder would make them. */
  private static String latin1(String v) {
    for (int i = 0; i < v.length(); i++) {
      if (v.charAt(i) > 0xff) {
        StringBuilder b = new StringBuilder(v.length());
        for (int j = 0; j < v.length(); j++) b.append(v.charAt(j) > 0xff ? '?' : v.charAt(j));
        return b.toString();
      }
    }
    return v;
  }

  @Override
  public String toString() {
    return "Endpoint{" + config.name() + " " + authority + "}";
  }
}
