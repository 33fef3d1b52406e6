package io.spillway.delivery;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Http1Client}'s transport: one thread, one selector, non-blocking keep-alive connections
 * (one request at a time each, no pipelining; a new connection whenever none is idle, so
 * concurrency follows delivery's in-flight cap), plain or TLS (an {@link SSLEngine} per connection
 * that checks the certificate against the host name). A request costs about 10 µs of CPU here
 * against ~30 µs with a blocking thread per connection, which is the thread wake-ups.
 *
 * <p>The thread builds each request (the supplier, with its sent_at gzip round trip; for large
 * events a separate thread does), writes it,
 * reads the answer with {@link ResponseReader}, and completes the future (so completion callbacks
 * run here: keep them short). Timeouts are checked every {@link #SWEEP_MILLIS}: {@code timeout}
 * bounds each wait for progress (connecting: the connect timeout; then the TLS handshake, writing
 * the request, waiting for the answer, reading it), as a socket timeout would. A kept-alive
 * connection that fails before any answer byte (the server closed it while idle) gets the request
 * again on a fresh connection, once. Host names are resolved on this thread (the JVM caches them
 * for 30 s); TLS handshake tasks run on it too.
 */
final class Http1Loop implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Http1Loop.class);
  static final long SWEEP_MILLIS = 20;
  /** Idle connections are closed after this long unused. */
  static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(30);
  /**
   * Events stored bigger than this are built on a separate thread: their sent_at gzip round trip
   * (tens to hundreds of ms for replays and attachments) would stall every exchange on the loop.
   */
  static final int BUILD_ELSEWHERE_BYTES = 256 * 1024;

  private final long connectTimeoutNanos;
  private final SSLContext tls;
  private final Selector selector;
  private final Thread thread;
  private final Queue<Exchange> submitted = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean woken = new AtomicBoolean();
  private volatile boolean closed;
  // Loop thread only:
  private final Map<String, ArrayDeque<Conn>> idle = new HashMap<>();
  private final Set<Conn> busy = new HashSet<>();
  private final ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);
  /** Builds the requests of large events (see {@link #BUILD_ELSEWHERE_BYTES}), one at a time. */
  private final java.util.concurrent.ExecutorService builder = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "spillway-http-build");
    t.setDaemon(true);
    return t;
  });
  private static final ByteBuffer[] EMPTY = {ByteBuffer.allocate(0)};

  Http1Loop(Duration connectTimeout, SSLContext tls) {
    this.connectTimeoutNanos = connectTimeout.toNanos();
    this.tls = tls;
    try {
      this.selector = Selector.open();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    this.thread = new Thread(this::run, "spillway-http-loop");
    thread.setDaemon(true);
    thread.start();
  }

  /** Queues an exchange; any thread. */
  void submit(String host, int port, boolean https, String hostHeader, Supplier<UpstreamRequest> request, Duration timeout,
      int sizeHint, CompletableFuture<Http1Client.Response> result) {
    if (closed) {
      result.completeExceptionally(new IOException("client closed"));
      return;
    }
    Exchange x = new Exchange(host, port, https, hostHeader, request, timeout, result);
    if (sizeHint > BUILD_ELSEWHERE_BYTES) {
      // Re-compressing a large envelope would hold up every other exchange on this thread.
      builder.execute(() -> {
        if (build(x)) enqueue(x);
      });
    } else {
      enqueue(x);
    }
  }

  private void enqueue(Exchange x) {
    submitted.add(x);
    if (closed) failSubmitted(); // close() may have drained the queue before the add
    else if (woken.compareAndSet(false, true)) selector.wakeup();
  }

  @Override
  public void close() {
    closed = true;
    builder.shutdown();
    selector.wakeup();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    failSubmitted();
  }

  private void run() {
    long nextSweep = System.nanoTime();
    while (!closed) {
      try {
        selector.select(SWEEP_MILLIS);
        woken.set(false); // before draining: a submit after this wakes the next select
        for (Exchange x; (x = submitted.poll()) != null; ) start(x, false);
        for (SelectionKey k : selector.selectedKeys()) handle(k);
        selector.selectedKeys().clear();
        long now = System.nanoTime();
        if (now - nextSweep >= 0) {
          sweep(now);
          nextSweep = now + TimeUnit.MILLISECONDS.toNanos(SWEEP_MILLIS);
        }
      } catch (Throwable e) { // never let the loop die: every exchange would wait forever
        log.error("HTTP loop iteration failed", e);
      }
    }
    for (Conn c : new ArrayList<>(busy)) fail(c, new IOException("client closed"));
    idle.values().forEach(q -> q.forEach(Conn::closeChannel));
    idle.clear();
    failSubmitted();
    try {
      selector.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  private void failSubmitted() {
    for (Exchange x; (x = submitted.poll()) != null; ) x.result.completeExceptionally(new IOException("client closed"));
  }

  /** Builds (first time) and sends {@code x} on an idle connection to its host, or a new one. */
  /** Builds {@code x}'s request bytes; false (and the future failed with Unbuildable) when the supplier throws. */
  private static boolean build(Exchange x) {
    UpstreamRequest r;
    try {
      r = x.request.get();
    } catch (RuntimeException e) {
      x.result.completeExceptionally(new Http1Client.Unbuildable(e));
      return false;
    }
    byte[] body = r.hasBody() ? r.body() : new byte[0];
    x.out = new ByteBuffer[] {ByteBuffer.wrap(r.head(x.hostHeader)), ByteBuffer.wrap(body)};
    return true;
  }

  private void start(Exchange x, boolean freshConnection) {
    if (x.out == null && !build(x)) return;
    Conn c = freshConnection ? null : takeIdle(x.key);
    if (c == null) {
      try {
        c = open(x);
      } catch (IOException | RuntimeException e) { // a RuntimeException too: an exchange left behind would wait forever
        x.result.completeExceptionally(e instanceof IOException ? e : new IOException(e));
        return;
      }
    }
    c.exchange = x;
    c.answer = new ResponseReader();
    busy.add(c);
    if (c.connecting) {
      c.deadline = System.nanoTime() + connectTimeoutNanos;
      return;
    }
    c.deadline = System.nanoTime() + x.timeoutNanos;
    try {
      progress(c);
    } catch (IOException e) {
      fail(c, e);
    }
  }

  private Conn takeIdle(String key) {
    ArrayDeque<Conn> q = idle.get(key);
    Conn c = q == null ? null : q.pollFirst(); // the most recently used: the least likely to be closed by now
    if (c != null) c.reused = true;
    return c;
  }

  private Conn open(Exchange x) throws IOException {
    SocketChannel ch = SocketChannel.open();
    try {
      ch.configureBlocking(false);
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      boolean connected;
      try {
        connected = ch.connect(new InetSocketAddress(x.host, x.port));
      } catch (UnresolvedAddressException e) {
        throw new UnknownHostException(x.host);
      }
      Conn c = new Conn(ch, x.key, x.https ? engine(x.host, x.port) : null);
      c.connecting = !connected;
      c.key = ch.register(selector, connected ? 0 : SelectionKey.OP_CONNECT, c);
      if (connected && c.tls != null) c.tls.engine.beginHandshake();
      return c;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** A client engine that checks the certificate against {@code host} (and sends it as SNI). */
  private SSLEngine engine(String host, int port) {
    SSLEngine e = tls.createSSLEngine(host, port);
    e.setUseClientMode(true);
    SSLParameters p = e.getSSLParameters();
    p.setEndpointIdentificationAlgorithm("HTTPS");
    e.setSSLParameters(p);
    return e;
  }

  private void handle(SelectionKey k) {
    Conn c = (Conn) k.attachment();
    try {
      if (!k.isValid()) return;
      if (c.exchange == null) {
        idleEvent(c);
        return;
      }
      if (k.isConnectable()) {
        if (!c.channel.finishConnect()) return; // ConnectException when refused
        c.connecting = false;
        c.deadline = System.nanoTime() + c.exchange.timeoutNanos;
        if (c.tls != null) c.tls.engine.beginHandshake();
      }
      progress(c);
    } catch (IOException e) {
      fail(c, e);
    }
  }

  /** Moves {@code c}'s exchange on as far as the socket allows without waiting. */
  private void progress(Conn c) throws IOException {
    if (c.tls != null) {
      tlsProgress(c);
      return;
    }
    Exchange x = c.exchange;
    if (x.out[0].hasRemaining() || x.out[1].hasRemaining()) {
      if (c.channel.write(x.out) > 0) c.deadline = System.nanoTime() + x.timeoutNanos;
      boolean sent = !x.out[0].hasRemaining() && !x.out[1].hasRemaining();
      c.key.interestOps(sent ? SelectionKey.OP_READ : SelectionKey.OP_WRITE);
      return; // the answer is never there yet
    }
    readBuffer.clear();
    int n = c.channel.read(readBuffer);
    if (n != 0) received(c, readBuffer.array(), 0, n);
  }

  /**
   * TLS: handshake, then the request wrapped into records, then the answer unwrapped, each step as
   * far as the socket allows; waits (returns) for OP_WRITE while encrypted bytes are pending and for
   * OP_READ when the engine needs more.
   */
  private void tlsProgress(Conn c) throws IOException {
    Tls t = c.tls;
    while (c.exchange != null) {
      if (!t.flush(c.channel)) {
        c.key.interestOps(SelectionKey.OP_WRITE);
        return;
      }
      switch (t.engine.getHandshakeStatus()) {
        case NEED_TASK -> {
          for (Runnable r; (r = t.engine.getDelegatedTask()) != null; ) r.run();
          continue;
        }
        case NEED_WRAP -> {
          t.wrap(EMPTY);
          continue;
        }
        case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
          if (!unwrap(c)) {
            c.key.interestOps(SelectionKey.OP_READ);
            return;
          }
          continue;
        }
        default -> { } // handshake done
      }
      Exchange x = c.exchange;
      if (x.out[0].hasRemaining() || x.out[1].hasRemaining()) {
        t.wrap(x.out);
        c.deadline = System.nanoTime() + x.timeoutNanos;
        continue;
      }
      if (!unwrap(c)) {
        c.key.interestOps(SelectionKey.OP_READ);
        return;
      }
    }
  }

  /** One unwrap step, reading from the socket when the engine needs more; false = wait for OP_READ. */
  private boolean unwrap(Conn c) throws IOException {
    Tls t = c.tls;
    t.netIn.flip();
    SSLEngineResult r = t.engine.unwrap(t.netIn, t.appIn);
    t.netIn.compact();
    switch (r.getStatus()) {
      case BUFFER_UNDERFLOW -> {
        if (!t.netIn.hasRemaining()) t.netIn = Tls.grow(t.netIn, t.engine.getSession().getPacketBufferSize());
        int n = c.channel.read(t.netIn);
        if (n == 0) return false;
        if (n < 0) {
          received(c, null, 0, -1);
          return true;
        }
        c.deadline = System.nanoTime() + c.exchange.timeoutNanos;
        return true;
      }
      case BUFFER_OVERFLOW -> {
        if (t.appIn.position() == 0) t.appIn = Tls.grow(t.appIn, t.engine.getSession().getApplicationBufferSize());
      }
      case CLOSED -> {
        deliverPlaintext(c);
        if (c.exchange != null) received(c, null, 0, -1); // close_notify: the end of the stream
        return true;
      }
      default -> { }
    }
    deliverPlaintext(c);
    return true;
  }

  private void deliverPlaintext(Conn c) throws IOException {
    ByteBuffer app = c.tls.appIn;
    if (app.position() == 0 || c.exchange == null) return;
    app.flip();
    received(c, app.array(), app.arrayOffset() + app.position(), app.remaining());
    app.clear();
  }

  /** Answer bytes ({@code n < 0}: the end of the stream); finishes the exchange once the answer is complete. */
  private void received(Conn c, byte[] b, int off, int n) throws IOException {
    boolean close = false;
    if (n < 0) {
      c.answer.eof(); // EOFException unless the body runs until close
    } else if (c.answer.feed(b, off, n) < n) {
      close = true; // bytes after the answer: nothing we can pair with a request
    }
    if (!c.answer.done()) {
      c.deadline = System.nanoTime() + c.exchange.timeoutNanos;
      return;
    }
    Exchange x = c.exchange;
    c.exchange = null;
    busy.remove(c);
    if (close || c.answer.close() || closed) {
      c.closeChannel();
    } else {
      c.idleSince = System.nanoTime();
      c.reused = false;
      c.key.interestOps(SelectionKey.OP_READ); // to notice the server closing it
      idle.computeIfAbsent(c.hostKey, k -> new ArrayDeque<>()).addFirst(c);
    }
    x.result.complete(c.answer.response());
  }

  /**
   * An idle connection became readable: the server closed it or sent what nobody asked for, so it
   * goes — except for TLS records that carry no data (TLS 1.3 session tickets).
   */
  private void idleEvent(Conn c) {
    boolean keep = false;
    try {
      if (c.tls == null) {
        readBuffer.clear();
        keep = c.channel.read(readBuffer) == 0;
      } else if (c.channel.read(c.tls.netIn) >= 0) {
        keep = true;
        while (true) {
          c.tls.netIn.flip();
          SSLEngineResult r = c.tls.engine.unwrap(c.tls.netIn, c.tls.appIn);
          c.tls.netIn.compact();
          if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) break;
          if (r.getStatus() != SSLEngineResult.Status.OK || r.bytesProduced() > 0 || r.bytesConsumed() == 0
              || r.getHandshakeStatus() != SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING) {
            keep = false;
            break;
          }
        }
      }
    } catch (IOException e) {
      keep = false;
    }
    if (keep) return;
    ArrayDeque<Conn> q = idle.get(c.hostKey);
    if (q != null) q.remove(c);
    c.closeChannel();
  }

  /** Ends {@code c}'s exchange with {@code e}, or sends it again on a fresh connection if {@code c} was stale. */
  private void fail(Conn c, IOException e) {
    c.closeChannel();
    Exchange x = c.exchange;
    c.exchange = null;
    busy.remove(c);
    if (x == null) return;
    boolean stale = c.reused && !c.answer.started() && !(e instanceof HttpTimeoutException) && !x.retried && !closed;
    if (stale) {
      x.retried = true;
      x.out[0].rewind();
      x.out[1].rewind();
      start(x, true);
    } else {
      x.result.completeExceptionally(e);
    }
  }

  private void sweep(long now) {
    for (Conn c : new ArrayList<>(busy)) {
      if (now - c.deadline > 0) {
        long ms = TimeUnit.NANOSECONDS.toMillis(c.connecting ? connectTimeoutNanos : c.exchange.timeoutNanos);
        fail(c, new HttpTimeoutException((c.connecting ? "no connection within " : "no answer within ") + ms + " ms"));
      }
    }
    for (ArrayDeque<Conn> q : idle.values()) {
      q.removeIf(c -> {
        if (now - c.idleSince < IDLE_NANOS) return false;
        c.closeChannel();
        return true;
      });
    }
  }

  private static final class Exchange {
    final String host;
    final int port;
    final boolean https;
    final String key;
    final String hostHeader;
    final Supplier<UpstreamRequest> request;
    final long timeoutNanos;
    final CompletableFuture<Http1Client.Response> result;
    ByteBuffer[] out;
    boolean retried;

    Exchange(String host, int port, boolean https, String hostHeader, Supplier<UpstreamRequest> request, Duration timeout,
        CompletableFuture<Http1Client.Response> result) {
      this.host = host;
      this.port = port;
      this.https = https;
      this.key = (https ? "https://" : "http://") + host + ":" + port;
      this.hostHeader = hostHeader;
      this.request = request;
      this.timeoutNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(1), timeout.toNanos());
      this.result = result;
    }
  }

  private static final class Conn {
    final SocketChannel channel;
    final String hostKey;
    /** Null for plain HTTP. */
    final Tls tls;
    SelectionKey key;
    boolean connecting;
    boolean reused;
    Exchange exchange;
    ResponseReader answer;
    long deadline;
    long idleSince;

    Conn(SocketChannel channel, String hostKey, SSLEngine engine) {
      this.channel = channel;
      this.hostKey = hostKey;
      this.tls = engine == null ? null : new Tls(engine);
    }

    void closeChannel() {
      try {
        channel.close(); // also cancels the key
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  /** A connection's TLS state: its engine and buffers (network bytes in and out, plaintext in). */
  private static final class Tls {
    final SSLEngine engine;
    ByteBuffer netIn;
    ByteBuffer netOut;
    ByteBuffer appIn;

    Tls(SSLEngine engine) {
      this.engine = engine;
      SSLSession session = engine.getSession();
      netIn = ByteBuffer.allocate(session.getPacketBufferSize());
      netOut = ByteBuffer.allocate(session.getPacketBufferSize());
      appIn = ByteBuffer.allocate(session.getApplicationBufferSize());
    }

    /** Encrypts from {@code src} into {@link #netOut} (one record at most; the caller loops). */
    void wrap(ByteBuffer[] src) throws IOException {
      SSLEngineResult r = engine.wrap(src, netOut);
      if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW && netOut.position() == 0) {
        netOut = grow(netOut, engine.getSession().getPacketBufferSize());
      } else if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
        throw new javax.net.ssl.SSLException("TLS connection closed");
      }
    }

    /** Writes pending encrypted bytes; true when none are left. */
    boolean flush(SocketChannel ch) throws IOException {
      if (netOut.position() == 0) return true;
      netOut.flip();
      ch.write(netOut);
      netOut.compact();
      return netOut.position() == 0;
    }

    static ByteBuffer grow(ByteBuffer b, int atLeast) {
      ByteBuffer bigger = ByteBuffer.allocate(Math.max(atLeast, b.capacity() * 2));
      b.flip();
      bigger.put(b);
      return bigger;
    }
  }
}
