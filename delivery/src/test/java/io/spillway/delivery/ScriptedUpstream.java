package io.spillway.delivery;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.spillway.testkit.TestCertificate;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import javax.net.ssl.KeyManagerFactory;

/**
 * A real server on loopback that answers the way a test tells it to, including the ways a broken
 * or hostile upstream would: HTTP/1.1 answers written byte for byte (interim 1xx, garbage status
 * lines, endless heads, endless bodies, resets mid-answer) and HTTP/2 streams answered with
 * GOAWAY, RST_STREAM or endless DATA. Optionally over TLS (the {@link TestCertificate} server
 * certificate; HTTP/2 only over TLS, by ALPN); counts connections, requests and received
 * {@code close_notify}s.
 */
final class ScriptedUpstream implements AutoCloseable {
  /** What to do after writing an HTTP/1.1 answer. */
  enum After { KEEP, CLOSE, RESET, HANG }

  /** One HTTP/1.1 answer. */
  interface Http1Answer {
    void write(ChannelHandlerContext ctx);

    static Http1Answer raw(String text, After after) {
      return ctx -> {
        ChannelFuture f = ctx.writeAndFlush(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
        switch (after) {
          case KEEP, HANG -> { }
          case CLOSE -> f.addListener(x -> ctx.close());
          case RESET -> f.addListener(x -> reset(ctx.channel()));
        }
      };
    }

    /** A status line, then header lines forever (until the client closes, at most 64 MiB). */
    static Http1Answer endlessHeaders() {
      return ctx -> {
        ctx.write(Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\n", StandardCharsets.ISO_8859_1));
        String line = "X-Filler: " + "f".repeat(1000) + "\r\n";
        stream(ctx, Unpooled.copiedBuffer(line.repeat(64), StandardCharsets.ISO_8859_1), 64L << 20);
      };
    }

    /** 200 with a 2 GiB Content-Length, and bytes until the client closes (at most 2 GiB). */
    static Http1Answer hugeBody() {
      return ctx -> {
        ctx.write(Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Sentry-Error: big\r\n"
            + "Content-Length: 2147483648\r\n\r\n", StandardCharsets.ISO_8859_1));
        stream(ctx, Unpooled.wrappedBuffer(new byte[64 * 1024]), 2L << 30);
      };
    }
  }

  /** One HTTP/2 answer, on the request's stream. */
  enum Http2Answer {
    OK,
    /** 100 Continue, then 200. */
    CONTINUE_THEN_OK,
    /** 103 Early Hints, then 429 with rate-limit headers. */
    EARLY_HINTS_THEN_429,
    /** GOAWAY whose last stream id is below this stream's (so never processed), then the connection closes. */
    GOAWAY_UNPROCESSED,
    /** GOAWAY that includes this stream, then the connection closes without an answer. */
    GOAWAY_THEN_CLOSE,
    /** 200, then a graceful GOAWAY: the connection takes no new streams. */
    OK_THEN_GOAWAY,
    /** RST_STREAM(REFUSED_STREAM) before any answer. */
    REFUSE,
    /** HEADERS 200 and a little DATA, then RST_STREAM(INTERNAL_ERROR). */
    RESET_MID_ANSWER,
    /** HEADERS 200, then DATA until the client resets the stream (at most 2 GiB). */
    HUGE_BODY,
    /** Nothing at all. */
    HANG
  }

  private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("scripted-upstream", true),
      NioIoHandler.newFactory());
  private final Channel server;
  private final boolean tls;
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger closeNotifies = new AtomicInteger();

  private ScriptedUpstream(SslContext ssl, IntFunction<Http1Answer> http1, IntFunction<Http2Answer> http2) {
    this.tls = ssl != null;
    this.server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            connections.incrementAndGet();
            if (ssl != null) ch.pipeline().addLast(ssl.newHandler(ch.alloc()));
            ch.pipeline().addLast(new CloseNotifyCounter());
            if (http2 != null) {
              ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().encoderIgnoreMaxHeaderListSize(true).build());
              ch.pipeline().addLast(new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                @Override
                protected void initChannel(Http2StreamChannel s) {
                  s.pipeline().addLast(new Http2Stream(http2));
                }
              }));
            } else {
              ch.pipeline().addLast(new Http1Requests(http1));
            }
          }
        })
        .bind("127.0.0.1", 0).syncUninterruptibly().channel();
  }

  /** HTTP/1.1 over plain TCP: {@code script} gets the request's number (0, 1, …) on the whole server. */
  static ScriptedUpstream http1(IntFunction<Http1Answer> script) {
    return new ScriptedUpstream(null, script, null);
  }

  /** HTTP/1.1 over TLS (ALPN offers http/1.1 only). */
  static ScriptedUpstream http1Tls(IntFunction<Http1Answer> script) {
    return new ScriptedUpstream(serverTls(ApplicationProtocolNames.HTTP_1_1), script, null);
  }

  /** HTTP/2 over TLS (ALPN offers h2 only). */
  static ScriptedUpstream http2(IntFunction<Http2Answer> script) {
    return new ScriptedUpstream(serverTls(ApplicationProtocolNames.HTTP_2), null, script);
  }

  private static SslContext serverTls(String protocol) {
    try {
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      KeyStore ks = TestCertificate.get().serverKeyStore();
      kmf.init(ks, TestCertificate.PASSWORD.toCharArray());
      return SslContextBuilder.forServer(kmf).sslProvider(SslProvider.JDK).clientAuth(ClientAuth.NONE)
          .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
              ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
              ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, protocol))
          .build();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  int port() {
    return ((java.net.InetSocketAddress) server.localAddress()).getPort();
  }

  String url() {
    return (tls ? "https://localhost:" : "http://127.0.0.1:") + port();
  }

  int connections() {
    return connections.get();
  }

  int requests() {
    return requests.get();
  }

  /** TLS close_notify alerts received from clients. */
  int closeNotifies() {
    return closeNotifies.get();
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  static void reset(Channel ch) {
    ch.config().setOption(ChannelOption.SO_LINGER, 0); // close() now sends a TCP RST
    ch.close();
  }

  /** Writes {@code chunk} again and again while the peer reads, up to {@code limit} bytes or until the channel closes. */
  private static void stream(ChannelHandlerContext ctx, ByteBuf chunk, long limit) {
    long[] sent = {0};
    Runnable[] next = new Runnable[1];
    next[0] = () -> {
      if (!ctx.channel().isActive() || sent[0] >= limit) {
        chunk.release();
        return;
      }
      sent[0] += chunk.readableBytes();
      ctx.writeAndFlush(chunk.retainedDuplicate()).addListener(f -> {
        if (f.isSuccess()) ctx.executor().execute(next[0]);
        else chunk.release();
      });
    };
    next[0].run();
  }

  private final class CloseNotifyCounter extends ChannelInboundHandlerAdapter {
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof SslCloseCompletionEvent e && e.isSuccess()) closeNotifies.incrementAndGet();
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** Reads HTTP/1.1 requests (head, then a Content-Length body) off the bytes and answers each by the script. */
  private final class Http1Requests extends ChannelInboundHandlerAdapter {
    private final IntFunction<Http1Answer> script;
    private final StringBuilder buffer = new StringBuilder();

    Http1Requests(IntFunction<Http1Answer> script) {
      this.script = script;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf b = (ByteBuf) msg;
      buffer.append(b.toString(StandardCharsets.ISO_8859_1));
      b.release();
      while (true) {
        int end = buffer.indexOf("\r\n\r\n");
        if (end < 0) return;
        int length = 0;
        for (String line : buffer.substring(0, end).split("\r\n")) {
          if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) length = Integer.parseInt(line.substring(15).trim());
        }
        if (buffer.length() < end + 4 + length) return;
        buffer.delete(0, end + 4 + length);
        script.apply(requests.getAndIncrement()).write(ctx);
      }
    }
  }

  /** One HTTP/2 stream: the request (HEADERS, maybe DATA), then the scripted answer. */
  private final class Http2Stream extends ChannelInboundHandlerAdapter {
    private final IntFunction<Http2Answer> script;

    Http2Stream(IntFunction<Http2Answer> script) {
      this.script = script;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      boolean end = (msg instanceof Http2HeadersFrame h && h.isEndStream()) || (msg instanceof Http2DataFrame d && d.isEndStream());
      ReferenceCountUtil.release(msg);
      if (end) answer(ctx, script.apply(requests.getAndIncrement()));
    }

    private void answer(ChannelHandlerContext ctx, Http2Answer a) {
      Http2StreamChannel s = (Http2StreamChannel) ctx.channel();
      Channel parent = s.parent();
      switch (a) {
        case OK -> s.writeAndFlush(headers("200", true));
        case CONTINUE_THEN_OK -> {
          s.write(headers("100", false));
          s.writeAndFlush(headers("200", true));
        }
        case EARLY_HINTS_THEN_429 -> {
          s.write(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("103").add("link", "</a.css>; rel=preload"), false));
          s.writeAndFlush(new DefaultHttp2HeadersFrame(new DefaultHttp2Headers().status("429").add("retry-after", "30")
              .add("x-sentry-rate-limits", "30::organization"), true));
        }
        case GOAWAY_UNPROCESSED -> {
          Http2FrameCodec codec = parent.pipeline().get(Http2FrameCodec.class);
          codec.goAway(parent.pipeline().context(codec), s.stream().id() - 2, Http2Error.NO_ERROR.code(), Unpooled.EMPTY_BUFFER,
              parent.newPromise()).addListener(f -> parent.close());
        }
        case GOAWAY_THEN_CLOSE -> parent.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR)).addListener(f -> parent.close());
        case OK_THEN_GOAWAY -> s.writeAndFlush(headers("200", true))
            .addListener(f -> parent.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR)));
        case REFUSE -> s.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.REFUSED_STREAM));
        case RESET_MID_ANSWER -> {
          s.write(headers("200", false));
          s.write(new DefaultHttp2DataFrame(Unpooled.copiedBuffer("{\"id\":", StandardCharsets.US_ASCII), false));
          s.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.INTERNAL_ERROR));
        }
        case HUGE_BODY -> {
          s.write(headers("200", false));
          streamData(s, Unpooled.wrappedBuffer(new byte[16 * 1024]), 2L << 30, new long[1]);
        }
        case HANG -> { }
      }
    }

    private void streamData(Http2StreamChannel s, ByteBuf chunk, long limit, long[] sent) {
      if (!s.isActive() || sent[0] >= limit) {
        chunk.release();
        return;
      }
      sent[0] += chunk.readableBytes();
      s.writeAndFlush(new DefaultHttp2DataFrame(chunk.retainedDuplicate(), false)).addListener(f -> {
        if (f.isSuccess()) s.eventLoop().execute(() -> streamData(s, chunk, limit, sent));
        else chunk.release();
      });
    }

    private DefaultHttp2HeadersFrame headers(String status, boolean end) {
      DefaultHttp2Headers h = new DefaultHttp2Headers();
      h.status(status);
      if (end && status.equals("200")) h.add("content-type", "application/json");
      return new DefaultHttp2HeadersFrame(h, end);
    }
  }
}
