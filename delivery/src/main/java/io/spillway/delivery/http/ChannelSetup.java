package io.spillway.delivery.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * Sets up one connection: waits for TCP (and the proxy's CONNECT, which Netty's proxy handler does
 * before it lets the TLS handshake through), the TLS handshake and its ALPN answer, then installs the
 * HTTP/1.1 or HTTP/2 handlers; an HTTP/2 connection is ready once the server's first SETTINGS came.
 * All of it within the connect timeout, else the connection is closed and counts as not made.
 */
final class ChannelSetup extends ChannelInboundHandlerAdapter {
  private final Endpoint endpoint;
  private final Exchange reserved;
  private final ScheduledFuture<?> deadline;
  private Channel channel;
  private boolean finished;

  ChannelSetup(Endpoint endpoint, Exchange reserved) {
    this.endpoint = endpoint;
    this.reserved = reserved;
    long ms = endpoint.options.connectTimeout().toMillis();
    this.deadline = endpoint.loop.schedule(() -> fail(new ConnectTimeoutException(
        "no connection to upstream " + endpoint.config.name() + " (" + endpoint.authority + ") within " + ms + " ms")),
        ms, TimeUnit.MILLISECONDS);
  }

  boolean finished() {
    return finished;
  }

  void connecting(ChannelFuture connect) {
    channel = connect.channel();
    if (finished) {
      channel.close();
      return;
    }
    connect.addListener(f -> {
      if (!f.isSuccess()) fail(f.cause());
    });
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ctx.fireChannelActive();
    if (endpoint.tls == null) http1(ctx); // plain HTTP: nothing to negotiate
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof SslHandshakeCompletionEvent e) {
      if (!e.isSuccess()) {
        if (ctx.pipeline().get(io.netty.handler.proxy.ProxyHandler.class) != null) {
          // A refused CONNECT fails the TLS handler's pending write first, and only then reports itself: let it.
          ctx.executor().execute(() -> fail(e.cause()));
        } else {
          fail(e.cause());
        }
      } else if (ApplicationProtocolNames.HTTP_2.equals(ctx.pipeline().get(SslHandler.class).applicationProtocol())) {
        http2(ctx);
      } else {
        http1(ctx);
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    fail(cause);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    fail(new IOException("the connection to upstream " + endpoint.config.name() + " closed while it was being set up"));
    ctx.fireChannelInactive();
  }

  private void http1(ChannelHandlerContext ctx) {
    if (finished) return;
    ChannelPipeline p = ctx.pipeline();
    Http1Connection c = new Http1Connection(endpoint, ctx.channel());
    p.addBefore(ctx.name(), "answer-bytes", c.answerBytes());
    p.addBefore(ctx.name(), "http1", new HttpClientCodec(new HttpDecoderConfig()
        .setMaxInitialLineLength(Endpoint.MAX_STATUS_LINE)
        .setMaxHeaderSize(Endpoint.MAX_HEAD)
        .setMaxChunkSize(64 * 1024), false, false));
    p.replace(this, "conn", c);
    ready(c);
  }

  private void http2(ChannelHandlerContext ctx) {
    if (finished) return;
    ChannelPipeline p = ctx.pipeline();
    Http2Connection c = new Http2Connection(endpoint, ctx.channel(), this);
    p.addBefore(ctx.name(), "http2", Http2FrameCodecBuilder.forClient()
        .initialSettings(Http2Settings.defaultSettings().pushEnabled(false).maxHeaderListSize(Endpoint.MAX_HEAD))
        .build());
    p.addBefore(ctx.name(), "streams", new Http2MultiplexHandler(Http2Connection.REFUSE_PUSH));
    p.replace(this, "conn", c); // ready when the server's SETTINGS arrive (Http2Connection)
  }

  /** The connection can take requests. */
  void ready(Connection c) {
    if (finished) return;
    finished = true;
    deadline.cancel(false);
    endpoint.ready(c, reserved);
  }

  /** The connection could not be set up: it is closed and the endpoint told. */
  void fail(Throwable cause) {
    if (finished) return;
    finished = true;
    deadline.cancel(false);
    if (channel != null) channel.close();
    // The TLS handler reports handshake failures wrapped in a DecoderException: the SSLException says it.
    Throwable c = cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() != null ? cause.getCause() : cause;
    endpoint.setupFailed(reserved, c);
  }
}
