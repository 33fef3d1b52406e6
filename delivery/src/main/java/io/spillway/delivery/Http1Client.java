package io.spillway.delivery;

import java.io.IOException;
import java.net.URI;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * A small HTTP/1.1 client for delivery: keep-alive connections, one request at a time each, http
 * and https, served by one event-loop thread ({@link Http1Loop}); the stream thread only hands a
 * request over and gets a future. It exists because the JDK HttpClient costs ~190 µs of CPU per
 * request here and a blocking thread per connection ~30 µs (mostly thread wake-ups); the loop
 * about 10 µs, several times less than everything else delivery does per event.
 */
final class Http1Client implements AutoCloseable {
  record Response(int status, Map<String, String> headers) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** The request could not be built: it will never be sendable (the caller dead-letters it). */
  static final class Unbuildable extends IOException {
    Unbuildable(RuntimeException cause) {
      super(cause.getClass().getSimpleName() + ": " + cause.getMessage(), cause);
    }
  }

  private final Http1Loop loop;

  /** https trusts the JVM's default trust store (the JDK's CAs, or -Djavax.net.ssl.trustStore). */
  Http1Client(Duration connectTimeout) {
    this(connectTimeout, defaultTls());
  }

  Http1Client(Duration connectTimeout, SSLContext tls) {
    this.loop = new Http1Loop(connectTimeout, tls);
  }

  CompletableFuture<Response> send(UpstreamRequest request, Duration timeout) {
    return send(request.uri(), () -> request, timeout);
  }

  /**
   * Sends the request {@code request} builds, on a connection to {@code target}'s scheme, host and
   * port (the request's own URI must name the same). {@code request} runs on the loop thread (the
   * sent_at gzip round trip would otherwise sit on the stream thread); a {@link RuntimeException}
   * from it fails the future with {@link Unbuildable}. {@code timeout} bounds each wait for
   * progress (writing, the answer, each part of it), as a socket timeout does.
   */
  CompletableFuture<Response> send(URI target, Supplier<UpstreamRequest> request, Duration timeout) {
    return send(target, request, timeout, 0);
  }

  /** @param sizeHint the stored event's size: large ones are built off the loop thread */
  CompletableFuture<Response> send(URI target, Supplier<UpstreamRequest> request, Duration timeout, int sizeHint) {
    CompletableFuture<Response> f = new CompletableFuture<>();
    boolean https = "https".equalsIgnoreCase(target.getScheme());
    int port = target.getPort() >= 0 ? target.getPort() : https ? 443 : 80;
    String hostHeader = target.getPort() >= 0 ? target.getHost() + ":" + port : target.getHost();
    loop.submit(target.getHost(), port, https, hostHeader, request, timeout, sizeHint, f);
    return f;
  }

  @Override
  public void close() {
    loop.close();
  }

  private static SSLContext defaultTls() {
    try {
      return SSLContext.getDefault();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
