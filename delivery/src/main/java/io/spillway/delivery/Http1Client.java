package io.spillway.delivery;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * A small HTTP/1.1 client: per upstream host, a pool of threads that each own one keep-alive
 * connection and run one request at a time (blocking I/O; the stream thread only enqueues and gets
 * a future). It exists because the JDK HttpClient costs ~190 µs of CPU per request here, several
 * times more than everything else delivery does per event.
 */
final class Http1Client implements AutoCloseable {
  record Response(int status, Map<String, String> headers) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /**
   * A request is built on the connection thread that sends it ({@code request} is called there):
   * rebuilding a request (auth, path, the {@code sent_at} gzip round trip) is the costliest part of
   * delivery's per-event work and would otherwise sit on the single stream thread.
   */
  private record Task(Supplier<UpstreamRequest> request, Duration timeout, CompletableFuture<Response> result) {}

  /** The request could not be built: it will never be sendable (the caller dead-letters it). */
  static final class Unbuildable extends IOException {
    Unbuildable(RuntimeException cause) {
      super(cause.getClass().getSimpleName() + ": " + cause.getMessage(), cause);
    }
  }

  private final Map<String, Host> hosts = new ConcurrentHashMap<>();
  private final Duration connectTimeout;
  private final SSLSocketFactory tls;
  private volatile boolean closed;

  Http1Client(Duration connectTimeout) {
    this(connectTimeout, (SSLSocketFactory) SSLSocketFactory.getDefault());
  }

  /** @param tls for https upstreams (the JVM's default trusts the JDK's CAs, or -Djavax.net.ssl.trustStore) */
  Http1Client(Duration connectTimeout, SSLSocketFactory tls) {
    this.connectTimeout = connectTimeout;
    this.tls = tls;
  }

  CompletableFuture<Response> send(UpstreamRequest request, Duration timeout) {
    return send(request.uri(), () -> request, timeout);
  }

  /**
   * Sends the request {@code request} builds, on a connection to {@code target}'s scheme, host and
   * port (the request's own URI must name the same). A {@link RuntimeException} from
   * {@code request} fails the future with {@link Unbuildable}.
   */
  CompletableFuture<Response> send(URI target, Supplier<UpstreamRequest> request, Duration timeout) {
    CompletableFuture<Response> f = new CompletableFuture<>();
    if (closed) {
      f.completeExceptionally(new IOException("client closed"));
      return f;
    }
    URI u = target;
    boolean tls = "https".equalsIgnoreCase(u.getScheme());
    int port = u.getPort() >= 0 ? u.getPort() : tls ? 443 : 80;
    String key = (tls ? "https://" : "http://") + u.getHost() + ":" + port;
    hosts.computeIfAbsent(key, k -> new Host(u.getHost(), port, tls, u.getPort() >= 0)).submit(new Task(request, timeout, f));
    return f;
  }

  @Override
  public void close() {
    closed = true;
    hosts.values().forEach(Host::close);
  }

  private final class Host {
    final String host;
    final int port;
    final boolean tls;
    final String hostHeader;
    final LinkedBlockingQueue<Task> queue = new LinkedBlockingQueue<>();
    final AtomicInteger threads = new AtomicInteger();
    final AtomicInteger idle = new AtomicInteger();

    Host(String host, int port, boolean tls, boolean explicitPort) {
      this.host = host;
      this.port = port;
      this.tls = tls;
      this.hostHeader = explicitPort ? host + ":" + port : host;
    }

    void submit(Task t) {
      queue.add(t);
      // One more worker whenever nobody is idle: concurrency follows demand (bounded by delivery's in-flight cap).
      if (idle.get() == 0) {
        threads.incrementAndGet();
        Thread w = new Thread(this::work, "spillway-http-" + host + ":" + port + "-" + threads.get());
        w.setDaemon(true);
        w.start();
      }
    }

    void close() {
      Task t;
      while ((t = queue.poll()) != null) t.result.completeExceptionally(new IOException("client closed"));
    }

    private void work() {
      Connection c = null;
      try {
        while (!closed) {
          idle.incrementAndGet();
          Task t;
          try {
            t = queue.poll(30, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            break;
          } finally {
            idle.decrementAndGet();
          }
          if (t == null) break; // idle for 30 s: let the thread (and its connection) go
          try {
            c = run(c, t);
          } catch (Throwable e) {
            if (c != null) c.close();
            c = null;
            t.result.completeExceptionally(e instanceof SocketTimeoutException
                ? new HttpTimeoutException("no answer within " + t.timeout.toMillis() + " ms") : e);
          }
        }
      } finally {
        threads.decrementAndGet();
        if (c != null) c.close();
      }
    }

    /** Runs one task; returns the connection to keep (null = closed). */
    private Connection run(Connection c, Task t) throws IOException {
      UpstreamRequest r;
      try {
        r = t.request.get();
      } catch (RuntimeException e) {
        t.result.completeExceptionally(new Unbuildable(e));
        return c;
      }
      boolean reused = c != null;
      if (c == null) c = connect(t.timeout);
      try {
        return exchange(c, r, t);
      } catch (StaleConnection e) {
        // The server closed an idle keep-alive connection before reading our request: try a fresh one once.
        c.close();
        if (!reused) throw new IOException("connection closed before an answer", e);
        return exchange(connect(t.timeout), r, t);
      }
    }

    private Connection connect(Duration timeout) throws IOException {
      Socket s = new Socket();
      try {
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(host, port), (int) connectTimeout.toMillis());
        if (tls) {
          SSLSocket ssl = (SSLSocket) Http1Client.this.tls.createSocket(s, host, port, true);
          SSLParameters p = ssl.getSSLParameters();
          p.setEndpointIdentificationAlgorithm("HTTPS");
          ssl.setSSLParameters(p);
          ssl.startHandshake();
          s = ssl;
        }
        return new Connection(s);
      } catch (IOException e) {
        s.close();
        throw e;
      }
    }

    private Connection exchange(Connection c, UpstreamRequest r, Task t) throws IOException {
      c.socket.setSoTimeout((int) Math.max(1, t.timeout.toMillis()));
      StringBuilder head = new StringBuilder(256);
      String target = r.uri().getRawPath() + (r.uri().getRawQuery() == null ? "" : "?" + r.uri().getRawQuery());
      head.append(r.method()).append(' ').append(target).append(" HTTP/1.1\r\nHost: ").append(hostHeader).append("\r\n");
      for (String[] h : r.headers()) head.append(h[0]).append(": ").append(h[1]).append("\r\n");
      boolean hasBody = r.body().length > 0 || !r.method().equals("GET");
      if (hasBody) head.append("Content-Length: ").append(r.body().length).append("\r\n");
      head.append("\r\n");
      try {
        c.out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (hasBody) c.out.write(r.body());
        c.out.flush();
      } catch (IOException e) {
        throw new StaleConnection(e);
      }
      int first;
      try {
        first = c.in.read();
      } catch (SocketTimeoutException e) {
        throw e;
      } catch (IOException e) {
        throw new StaleConnection(e);
      }
      if (first < 0) throw new StaleConnection(new EOFException("closed before the status line"));
      String status = (char) first + line(c.in);
      if (!status.startsWith("HTTP/1.") || status.length() < 12) throw new IOException("bad status line");
      int code = Integer.parseInt(status.substring(9, 12));
      Map<String, String> headers = new HashMap<>();
      for (String l; !(l = line(c.in)).isEmpty(); ) {
        int colon = l.indexOf(':');
        if (colon > 0) headers.putIfAbsent(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim());
      }
      boolean close = "close".equalsIgnoreCase(headers.get("connection")) || status.startsWith("HTTP/1.0");
      if (code == 204 || code == 304 || (code >= 100 && code < 200)) {
        // no body
      } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
        while (true) {
          String size = line(c.in);
          int semi = size.indexOf(';');
          int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
          if (n == 0) {
            while (!line(c.in).isEmpty()) { } // trailers
            break;
          }
          skip(c.in, n);
          line(c.in);
        }
      } else if (headers.containsKey("content-length")) {
        skip(c.in, Long.parseLong(headers.get("content-length")));
      } else {
        while (c.in.read() >= 0) { } // body until the server closes
        close = true;
      }
      t.result.complete(new Response(code, headers));
      if (close) {
        c.close();
        return null;
      }
      return c;
    }
  }

  private static final class StaleConnection extends IOException {
    StaleConnection(Throwable cause) {
      super(cause);
    }
  }

  private static final class Connection {
    final Socket socket;
    final InputStream in;
    final OutputStream out;

    Connection(Socket socket) throws IOException {
      this.socket = socket;
      this.in = new BufferedInputStream(socket.getInputStream(), 8192);
      this.out = new java.io.BufferedOutputStream(socket.getOutputStream(), 8192);
    }

    void close() {
      try {
        socket.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream(64);
    for (int c; ; ) {
      c = in.read();
      if (c < 0) throw new EOFException("connection closed mid-answer");
      if (c == '\n') break;
      if (c != '\r') b.write(c);
      if (b.size() > 65536) throw new IOException("header line too long");
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  private static void skip(InputStream in, long n) throws IOException {
    while (n > 0) {
      long k = in.skip(n);
      if (k <= 0) {
        if (in.read() < 0) throw new EOFException("connection closed mid-body");
        k = 1;
      }
      n -= k;
    }
  }
}
