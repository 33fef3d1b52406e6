package io.spillway.delivery;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
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
 * A small HTTP/1.1 client with keep-alive connections, two transports behind one {@link #send}:
 * plain {@code http} upstreams are served by one event-loop thread ({@link Http1Loop}: non-blocking
 * sockets, about 10 µs of CPU per request here); {@code https} upstreams by a pool of threads per
 * host that each own one blocking TLS connection (the JDK's {@code SSLSocket}) and run one request
 * at a time. Both read answers with {@link ResponseReader}. The stream thread only hands requests
 * over and gets a future. It exists because the JDK HttpClient costs ~190 µs of CPU per request
 * here, several times more than everything else delivery does per event.
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
  private final Http1Loop loop;
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
    this.loop = new Http1Loop(connectTimeout);
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
    boolean https = "https".equalsIgnoreCase(u.getScheme());
    int port = u.getPort() >= 0 ? u.getPort() : https ? 443 : 80;
    String hostHeader = u.getPort() >= 0 ? u.getHost() + ":" + port : u.getHost();
    if (!https) {
      loop.submit(u.getHost(), port, hostHeader, request, timeout, f);
      return f;
    }
    String key = u.getHost() + ":" + port;
    hosts.computeIfAbsent(key, k -> new Host(u.getHost(), port, hostHeader)).submit(new Task(request, timeout, f));
    return f;
  }

  @Override
  public void close() {
    closed = true;
    loop.close();
    hosts.values().forEach(Host::close);
  }

  private final class Host {
    final String host;
    final int port;
    final String hostHeader;
    final LinkedBlockingQueue<Task> queue = new LinkedBlockingQueue<>();
    final AtomicInteger threads = new AtomicInteger();
    final AtomicInteger idle = new AtomicInteger();

    Host(String host, int port, String hostHeader) {
      this.host = host;
      this.port = port;
      this.hostHeader = hostHeader;
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
        s.setSoTimeout((int) Math.max(1, timeout.toMillis())); // the handshake too
        SSLSocket ssl = (SSLSocket) tls.createSocket(s, host, port, true);
        SSLParameters p = ssl.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        ssl.setSSLParameters(p);
        ssl.startHandshake();
        return new Connection(ssl);
      } catch (IOException e) {
        s.close();
        throw e;
      }
    }

    private Connection exchange(Connection c, UpstreamRequest r, Task t) throws IOException {
      c.socket.setSoTimeout((int) Math.max(1, t.timeout.toMillis()));
      try {
        c.out.write(ResponseReader.head(r, hostHeader));
        if (ResponseReader.hasBody(r)) c.out.write(r.body());
        c.out.flush();
      } catch (IOException e) {
        throw new StaleConnection(e);
      }
      ResponseReader answer = new ResponseReader();
      boolean close = false;
      while (!answer.done()) {
        int n;
        try {
          n = c.in.read(c.buffer);
        } catch (SocketTimeoutException e) {
          throw e;
        } catch (IOException e) {
          if (!answer.started()) throw new StaleConnection(e);
          throw e;
        }
        if (n < 0) {
          if (!answer.started()) throw new StaleConnection(new EOFException("closed before the status line"));
          answer.eof();
        } else if (answer.feed(c.buffer, 0, n) < n) {
          close = true; // bytes after the answer: nothing we can pair with a request
        }
      }
      t.result.complete(answer.response());
      if (close || answer.close()) {
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
    final byte[] buffer = new byte[8192];

    Connection(Socket socket) throws IOException {
      this.socket = socket;
      this.in = socket.getInputStream();
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
}
