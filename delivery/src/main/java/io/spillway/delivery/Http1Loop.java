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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Http1Client}'s transport for plain-HTTP upstreams: one thread, one selector, non-blocking
 * keep-alive connections (one request at a time each, no pipelining; a new connection whenever
 * none is idle, so concurrency follows delivery's in-flight cap). A request costs about 10 µs of
 * CPU here against ~30 µs with a blocking thread per connection, which is the thread wake-ups.
 *
 * <p>The thread builds each request (the supplier, with its sent_at gzip round trip), writes it,
 * reads the answer with {@link ResponseReader}, and completes the future (so completion callbacks
 * run here: keep them short). Timeouts are checked every {@link #SWEEP_MILLIS}: {@code timeout}
 * bounds each wait for progress (connecting: the connect timeout; then writing the request,
 * waiting for the answer, reading it), as a socket timeout would. A kept-alive connection that fails before
 * any answer byte (the server closed it while idle) gets the request again on a fresh connection,
 * once. Host names are resolved on this thread (the JVM caches them for 30 s).
 */
final class Http1Loop implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Http1Loop.class);
  static final long SWEEP_MILLIS = 20;
  /** Idle connections are closed after this long unused (as the connection threads ended). */
  static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final long connectTimeoutNanos;
  private final Selector selector;
  private final Thread thread;
  private final Queue<Exchange> submitted = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean woken = new AtomicBoolean();
  private volatile boolean closed;
  // Loop thread only:
  private final Map<String, ArrayDeque<Conn>> idle = new HashMap<>();
  private final Set<Conn> busy = new HashSet<>();
  private final ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);

  Http1Loop(Duration connectTimeout) {
    this.connectTimeoutNanos = connectTimeout.toNanos();
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
  void submit(String host, int port, String hostHeader, Supplier<UpstreamRequest> request, Duration timeout,
      CompletableFuture<Http1Client.Response> result) {
    if (closed) {
      result.completeExceptionally(new IOException("client closed"));
      return;
    }
    submitted.add(new Exchange(host, port, hostHeader, request, timeout, result));
    if (closed) failSubmitted(); // close() may have drained the queue before the add
    else if (woken.compareAndSet(false, true)) selector.wakeup();
  }

  @Override
  public void close() {
    closed = true;
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
  private void start(Exchange x, boolean freshConnection) {
    if (x.out == null) {
      UpstreamRequest r;
      try {
        r = x.request.get();
      } catch (RuntimeException e) {
        x.result.completeExceptionally(new Http1Client.Unbuildable(e));
        return;
      }
      byte[] body = ResponseReader.hasBody(r) ? r.body() : new byte[0];
      x.out = new ByteBuffer[] {ByteBuffer.wrap(ResponseReader.head(r, x.hostHeader)), ByteBuffer.wrap(body)};
    }
    Conn c = freshConnection ? null : takeIdle(x.key);
    if (c == null) {
      try {
        c = open(x);
      } catch (IOException e) {
        x.result.completeExceptionally(e);
        return;
      }
    }
    c.exchange = x;
    c.answer = new ResponseReader();
    busy.add(c);
    if (c.connecting) {
      c.deadline = System.nanoTime() + connectTimeoutNanos;
    } else {
      c.deadline = System.nanoTime() + x.timeoutNanos;
      write(c);
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
      Conn c = new Conn(ch, x.key);
      c.connecting = !connected;
      c.key = ch.register(selector, connected ? 0 : SelectionKey.OP_CONNECT, c);
      return c;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private void handle(SelectionKey k) {
    Conn c = (Conn) k.attachment();
    try {
      if (!k.isValid()) return;
      if (k.isConnectable()) {
        if (!c.channel.finishConnect()) return; // ConnectException when refused
        c.connecting = false;
        c.deadline = System.nanoTime() + c.exchange.timeoutNanos;
        write(c);
        return;
      }
      if (k.isWritable()) write(c);
      if (k.isValid() && k.isReadable()) read(c);
    } catch (IOException e) {
      fail(c, e);
    }
  }

  private void write(Conn c) {
    try {
      if (c.channel.write(c.exchange.out) > 0) c.deadline = System.nanoTime() + c.exchange.timeoutNanos;
    } catch (IOException e) {
      fail(c, e);
      return;
    }
    boolean all = !c.exchange.out[0].hasRemaining() && !c.exchange.out[1].hasRemaining();
    c.key.interestOps(all ? SelectionKey.OP_READ : SelectionKey.OP_WRITE);
  }

  private void read(Conn c) throws IOException {
    readBuffer.clear();
    int n = c.channel.read(readBuffer);
    if (c.exchange == null) { // idle: the server closed it (or sent what nobody asked for)
      ArrayDeque<Conn> q = idle.get(c.hostKey);
      if (q != null) q.remove(c);
      c.closeChannel();
      return;
    }
    boolean close = false;
    if (n < 0) {
      c.answer.eof(); // EOFException unless the body runs until close
    } else if (n == 0) {
      return;
    } else if (c.answer.feed(readBuffer.array(), 0, n) < n) {
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
      idle.computeIfAbsent(c.hostKey, k -> new ArrayDeque<>()).addFirst(c);
    }
    x.result.complete(c.answer.response());
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
    final String key;
    final String hostHeader;
    final Supplier<UpstreamRequest> request;
    final long timeoutNanos;
    final CompletableFuture<Http1Client.Response> result;
    ByteBuffer[] out;
    boolean retried;

    Exchange(String host, int port, String hostHeader, Supplier<UpstreamRequest> request, Duration timeout,
        CompletableFuture<Http1Client.Response> result) {
      this.host = host;
      this.port = port;
      this.key = host + ":" + port;
      this.hostHeader = hostHeader;
      this.request = request;
      this.timeoutNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(1), timeout.toNanos());
      this.result = result;
    }
  }

  private static final class Conn {
    final SocketChannel channel;
    final String hostKey;
    SelectionKey key;
    boolean connecting;
    boolean reused;
    Exchange exchange;
    ResponseReader answer;
    long deadline;
    long idleSince;

    Conn(SocketChannel channel, String hostKey) {
      this.channel = channel;
      this.hostKey = hostKey;
    }

    void closeChannel() {
      try {
        channel.close(); // also cancels the key
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }
}
