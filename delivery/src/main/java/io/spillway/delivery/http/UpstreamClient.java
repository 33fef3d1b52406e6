package io.spillway.delivery.http;

import io.spillway.schemas.config.UpstreamConfig;
import java.net.URI;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Delivery's HTTP client to the Sentry upstreams, on Netty: one event-loop group for every
 * upstream; per upstream a pool on one loop thread, HTTP/2 over TLS when the server offers it by
 * ALPN ({@code http2: auto}; many streams per connection, as few connections as the server's
 * {@code SETTINGS_MAX_CONCURRENT_STREAMS} allows) and HTTP/1.1 keep-alive connections otherwise;
 * TLS with the upstream's CA and client certificate ({@code tls}), always checking the host name;
 * an HTTP proxy ({@code proxy}: CONNECT for https, absolute-form for http); asynchronous DNS.
 * The caller (the stream thread) only hands a request over and gets a future; nothing here waits.
 *
 * <p>Failures complete the future exceptionally: {@link UnbuildableRequest} when the request
 * cannot be built or carried; {@link java.net.http.HttpTimeoutException} when the answer does not
 * come in time; a {@link java.net.ConnectException} when no connection could be set up (TCP, proxy,
 * TLS) within {@link Options#connectTimeout}; another {@link java.io.IOException} for everything a
 * server can do wrong (a reset, a bad status line, too long a head, a GOAWAY or RST_STREAM before
 * the answer). See {@code delivery/README.md} for what is retried here and what is left to the caller.
 */
public interface UpstreamClient extends AutoCloseable {

  /** What to send. {@link #uri} must name the upstream's scheme, host and port; only its path and query are sent. */
  interface Request {
    String method();

    URI uri();

    /** Name/value pairs, in order; never log them (they may hold a key). */
    List<String[]> headers();

    byte[] body();
  }

  /**
   * Sends the request {@code request} builds to {@code upstream}. {@code request} runs on the client's
   * threads, not the caller's: on the upstream's loop thread, or (when {@code sizeHint} is above
   * {@link Options#BUILD_ELSEWHERE_BYTES}) on a separate build thread; a {@link RuntimeException}
   * from it fails the future with {@link UnbuildableRequest}. Futures complete on a loop thread: keep
   * their callbacks short.
   *
   * @param timeout  from sending the request to the answer's status and headers, and again to its end
   *                 (delivery gives large events more than {@code upstreams.<u>.timeout})
   * @param sizeHint the stored event's size in bytes
   */
  CompletableFuture<UpstreamResponse> send(UpstreamConfig upstream, Supplier<? extends Request> request, Duration timeout,
      int sizeHint);

  /** {@link #send(UpstreamConfig, Supplier, Duration, int)} with the upstream's {@code timeout}. */
  default CompletableFuture<UpstreamResponse> send(UpstreamConfig upstream, Supplier<? extends Request> request, int sizeHint) {
    return send(upstream, request, upstream.timeout(), sizeHint);
  }

  /** Connections open (or being opened) to {@code upstream} now. */
  int connections(String upstream);

  /**
   * Fails what has not been answered with an {@link java.io.IOException}, closes every connection
   * (TLS ones with {@code close_notify}) and stops the threads.
   */
  @Override
  void close();

  /** A client for these upstreams (others are accepted too, set up on first use). */
  static UpstreamClient create(Collection<UpstreamConfig> upstreams) {
    return create(upstreams, Options.DEFAULT);
  }

  /**
   * A client for these upstreams. Their TLS files are loaded here: an {@link IllegalArgumentException}
   * naming the key if one is unusable.
   */
  static UpstreamClient create(Collection<UpstreamConfig> upstreams, Options options) {
    return new NettyUpstreamClient(upstreams, options);
  }

  /**
   * @param connectTimeout  DNS, TCP, the proxy's CONNECT, the TLS handshake and (HTTP/2) the server's
   *                        first SETTINGS, together
   * @param idleTimeout     a connection without requests for this long is closed
   * @param maxAnswerBytes  more of an answer's body than this is not read: the status and headers
   *                        decide, the connection (HTTP/1.1) or stream (HTTP/2) is closed
   * @param ioThreads       event-loop threads (0: one per upstream, at most one per core)
   */
  record Options(Duration connectTimeout, Duration idleTimeout, int maxAnswerBytes, int ioThreads) {
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_ANSWER_BYTES = 64 * 1024;
    /**
     * Events stored bigger than this get their request built on a separate thread: their sent_at gzip
     * round trip (tens to hundreds of ms for replays and attachments) would stall every exchange of
     * the loop thread.
     */
    public static final int BUILD_ELSEWHERE_BYTES = 256 * 1024;
    public static final Options DEFAULT =
        new Options(DEFAULT_CONNECT_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_ANSWER_BYTES, 0);

    public Options {
      if (connectTimeout == null) throw new NullPointerException("connectTimeout == null");
      if (idleTimeout == null) throw new NullPointerException("idleTimeout == null");
      if (maxAnswerBytes < 0) throw new IllegalArgumentException("maxAnswerBytes < 0");
      if (ioThreads < 0) throw new IllegalArgumentException("ioThreads < 0");
    }

    public Options withConnectTimeout(Duration d) {
      return new Options(d, idleTimeout, maxAnswerBytes, ioThreads);
    }

    public Options withIdleTimeout(Duration d) {
      return new Options(connectTimeout, d, maxAnswerBytes, ioThreads);
    }

    public Options withIoThreads(int n) {
      return new Options(connectTimeout, idleTimeout, maxAnswerBytes, n);
    }
  }
}
