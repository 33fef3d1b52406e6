package io.spillway.testkit;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real forwarding HTTP proxy on loopback, built on Netty for tests (so {@code mvn verify} needs no
 * proxy installed): {@code CONNECT host:port} opens a tunnel (for https upstreams), absolute-form
 * requests ({@code POST http://host:port/path}) are forwarded (for http upstreams), optionally behind
 * Basic proxy authentication (407 otherwise). It only connects to loopback addresses, refusing
 * anything else with 403, and counts what it did.
 */
public final class HttpProxy implements AutoCloseable {
  private final String user;
  private final String password;
  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("testkit-proxy", true),
      NioIoHandler.newFactory());
  private final Channel server;
  private final AtomicInteger tunnels = new AtomicInteger();
  private final AtomicInteger forwarded = new AtomicInteger();
  private final AtomicInteger refused = new AtomicInteger();
  private final List<String> authorizations = new ArrayList<>();

  private HttpProxy(String user, String password) {
    this.user = user;
    this.password = password;
    this.server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            ch.pipeline().addLast("codec", new HttpServerCodec());
            ch.pipeline().addLast("aggregate", new HttpObjectAggregator(32 * 1024 * 1024));
            ch.pipeline().addLast("front", new Front());
          }
        })
        .bind("127.0.0.1", 0).syncUninterruptibly().channel();
  }

  /** A proxy without authentication on a free loopback port. */
  public static HttpProxy start() {
    return new HttpProxy(null, null);
  }

  /** A proxy that answers 407 unless {@code Proxy-Authorization: Basic user:password}. */
  public static HttpProxy start(String user, String password) {
    return new HttpProxy(user, password);
  }

  public int port() {
    return ((java.net.InetSocketAddress) server.localAddress()).getPort();
  }

  /** Tunnels opened by CONNECT. */
  public int tunnels() {
    return tunnels.get();
  }

  /** Requests forwarded in absolute form. */
  public int forwarded() {
    return forwarded.get();
  }

  /** Requests refused with 407 (no or wrong credentials). */
  public int refused() {
    return refused.get();
  }

  /** The Proxy-Authorization values received (null for none), in order. */
  public synchronized List<String> authorizations() {
    return List.copyOf(authorizations);
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private synchronized void authorization(String value) {
    authorizations.add(value);
  }

  private boolean authorized(FullHttpRequest req) {
    String got = req.headers().get(HttpHeaderNames.PROXY_AUTHORIZATION);
    authorization(got);
    if (user == null) return true;
    String want = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    return want.equals(got);
  }

  private static boolean loopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static void answer(ChannelHandlerContext ctx, HttpResponseStatus status, String extraHeader, String value) {
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
    r.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
    r.headers().set(HttpHeaderNames.CONNECTION, "close");
    if (extraHeader != null) r.headers().set(extraHeader, value);
    ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
  }

  /** The client side of the proxy: one request at a time. */
  private final class Front extends SimpleChannelInboundHandler<FullHttpRequest> {
    private Channel back;
    private String backTarget;

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      if (!authorized(req)) {
        refused.incrementAndGet();
        answer(ctx, HttpResponseStatus.PROXY_AUTHENTICATION_REQUIRED, "Proxy-Authenticate", "Basic realm=\"testkit\"");
        return;
      }
      if (req.method().equals(HttpMethod.CONNECT)) {
        connect(ctx, req.uri());
      } else if (req.uri().startsWith("http://")) {
        forward(ctx, req);
      } else {
        answer(ctx, HttpResponseStatus.BAD_REQUEST, null, null);
      }
    }

    private void connect(ChannelHandlerContext ctx, String authority) {
      int colon = authority.lastIndexOf(':');
      String host = colon < 0 ? authority : authority.substring(0, colon);
      int port = colon < 0 ? 443 : Integer.parseInt(authority.substring(colon + 1));
      if (host.startsWith("[")) host = host.substring(1, host.length() - 1);
      if (!loopback(host)) {
        answer(ctx, HttpResponseStatus.FORBIDDEN, null, null);
        return;
      }
      Channel front = ctx.channel();
      front.config().setAutoRead(false);
      new Bootstrap().group(front.eventLoop()).channel(NioSocketChannel.class)
          .handler(new Relay(front))
          .connect(host, port).addListener((io.netty.channel.ChannelFuture f) -> {
            if (!f.isSuccess()) {
              answer(ctx, HttpResponseStatus.BAD_GATEWAY, null, null);
              return;
            }
            tunnels.incrementAndGet();
            Channel target = f.channel();
            FullHttpResponse ok = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, new HttpResponseStatus(200, "Connection established"));
            ctx.writeAndFlush(ok).addListener(w -> {
              // From here on, bytes both ways, unread.
              front.pipeline().remove("codec");
              front.pipeline().remove("aggregate");
              front.pipeline().replace("front", "relay", new Relay(target));
              front.config().setAutoRead(true);
            });
          });
    }

    private void forward(ChannelHandlerContext ctx, FullHttpRequest req) {
      URI uri = URI.create(req.uri());
      String host = uri.getHost();
      int port = uri.getPort() < 0 ? 80 : uri.getPort();
      if (host == null || !loopback(host)) {
        answer(ctx, HttpResponseStatus.FORBIDDEN, null, null);
        return;
      }
      String target = host + ":" + port;
      req.setUri(uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
      req.headers().remove(HttpHeaderNames.PROXY_AUTHORIZATION);
      req.headers().remove("Proxy-Connection");
      forwarded.incrementAndGet();
      Channel front = ctx.channel();
      req.retain();
      if (back != null && back.isActive() && target.equals(backTarget)) {
        back.writeAndFlush(req);
        return;
      }
      if (back != null) back.close();
      backTarget = target;
      front.config().setAutoRead(false);
      back = new Bootstrap().group(front.eventLoop()).channel(NioSocketChannel.class)
          .handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
              ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(32 * 1024 * 1024), new Back(front));
            }
          })
          .connect(host, port).addListener((io.netty.channel.ChannelFuture f) -> {
            front.config().setAutoRead(true);
            if (f.isSuccess()) {
              f.channel().writeAndFlush(req);
            } else {
              ReferenceCountUtil.release(req);
              answer(ctx, HttpResponseStatus.BAD_GATEWAY, null, null);
            }
          }).channel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (back != null) back.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** A handler that forwards to another channel: either side closing closes both. */
  private abstract static class Paired extends ChannelInboundHandlerAdapter {
    final Channel other;

    Paired(Channel other) {
      this.other = other;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      other.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** The upstream side of a forwarded request: its answer goes back to the client. */
  private static final class Back extends Paired {
    Back(Channel front) {
      super(front);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof FullHttpResponse res)) {
        ReferenceCountUtil.release(msg);
        return;
      }
      boolean keep = HttpUtil.isKeepAlive(res);
      other.writeAndFlush(res).addListener(f -> {
        if (!keep) other.close();
      });
    }
  }

  /** Copies bytes to the other side of a tunnel. */
  private static final class Relay extends Paired {
    Relay(Channel other) {
      super(other);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      other.writeAndFlush(msg);
    }
  }
}
