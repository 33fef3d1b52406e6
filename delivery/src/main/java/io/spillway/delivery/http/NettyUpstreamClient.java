package io.spillway.delivery.http;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.spillway.schemas.config.UpstreamConfig;
import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * {@link UpstreamClient} on Netty. Each upstream is an {@link Endpoint} pinned to one loop of the
 * shared group, so its pool needs no locks; the upstreams spread over the loops.
 */
final class NettyUpstreamClient implements UpstreamClient {
  private final UpstreamClient.Options options;
  private final EventLoopGroup group;
  private final DnsAddressResolverGroup resolver;
  /** Builds the requests of large events (see {@link Options#BUILD_ELSEWHERE_BYTES}), one at a time. */
  private final ExecutorService builder = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "spillway-http-build");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, Endpoint> endpoints = new ConcurrentHashMap<>();
  private volatile boolean closed;

  NettyUpstreamClient(Collection<UpstreamConfig> upstreams, UpstreamClient.Options options) {
    this.options = options;
    int threads = options.ioThreads() > 0 ? options.ioThreads()
        : Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), upstreams.size()));
    this.group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("spillway-http", true), NioIoHandler.newFactory());
    this.resolver = new DnsAddressResolverGroup(new DnsNameResolverBuilder()
        .datagramChannelType(NioDatagramChannel.class)
        .socketChannelType(NioSocketChannel.class));
    try {
      for (UpstreamConfig u : upstreams) endpoint(u);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private Endpoint endpoint(UpstreamConfig u) {
    Endpoint e = endpoints.get(u.name());
    if (e != null && e.config == u) return e;
    // One endpoint per upstream name, its TLS files loaded once; another config under the same name replaces it.
    return endpoints.compute(u.name(), (name, old) -> {
      if (old != null && old.config.equals(u)) return old;
      Endpoint fresh = new Endpoint(u, group.next(), resolver, options);
      if (old != null) old.close();
      return fresh;
    });
  }

  @Override
  public CompletableFuture<UpstreamResponse> send(UpstreamConfig upstream, Supplier<? extends Request> request, Duration timeout,
      int sizeHint) {
    CompletableFuture<UpstreamResponse> f = new CompletableFuture<>();
    if (closed) {
      f.completeExceptionally(new IOException("client closed"));
      return f;
    }
    Endpoint e;
    try {
      e = endpoint(upstream);
    } catch (RuntimeException ex) { // its TLS files became unusable: nothing to send with
      f.completeExceptionally(new IOException(ex.getMessage(), ex));
      return f;
    }
    Exchange x = new Exchange(e, request, timeout, f);
    if (sizeHint > Options.BUILD_ELSEWHERE_BYTES) {
      // Re-compressing a large envelope would hold up every other exchange on the loop thread.
      try {
        builder.execute(() -> {
          if (x.build()) e.submit(x);
        });
      } catch (java.util.concurrent.RejectedExecutionException ex) {
        f.completeExceptionally(new IOException("client closed"));
      }
    } else {
      e.submit(x);
    }
    return f;
  }

  @Override
  public int connections(String upstream) {
    Endpoint e = endpoints.get(upstream);
    return e == null ? 0 : e.connectionCount();
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    builder.shutdown();
    // Each endpoint fails what waits and closes its channels on its loop (TLS: close_notify is written first).
    for (Endpoint e : endpoints.values()) {
      try {
        e.close().await(5, TimeUnit.SECONDS);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    resolver.close();
    group.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
  }
}
