package io.spillway.delivery.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/2 connection: one stream per exchange, as many at once as the server's latest
 * {@code SETTINGS_MAX_CONCURRENT_STREAMS} allows. Ready once the server's first SETTINGS came. After
 * a GOAWAY it takes no new streams and closes when its last one ends; streams above the GOAWAY's
 * last stream id, and streams the server refused ({@code REFUSED_STREAM}) before answering, were not
 * processed, so their requests go once more on another stream.
 */
final class Http2Connection extends ChannelInboundHandlerAdapter implements Connection {
  /** Server push is disabled in our SETTINGS; a server that pushes anyway gets its streams closed. */
  static final ChannelHandler REFUSE_PUSH = new RefusePush();

  private final Endpoint endpoint;
  private final Channel channel;
  private final Http2StreamChannelBootstrap streams;
  private ChannelSetup setup;
  private int maxStreams;
  private int active;
  private boolean goingAway;

  Http2Connection(Endpoint endpoint, Channel channel, ChannelSetup setup) {
    this.endpoint = endpoint;
    this.channel = channel;
    this.setup = setup;
    this.streams = new Http2StreamChannelBootstrap(channel);
  }

  int maxStreams() {
    return maxStreams;
  }

  boolean hasRoom() {
    return setup == null && !goingAway && active < maxStreams && channel.isActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof Http2SettingsFrame s) {
        Long max = s.settings().maxConcurrentStreams();
        maxStreams = max == null ? Integer.MAX_VALUE : (int) Math.min(Integer.MAX_VALUE, max);
        if (setup != null) {
          ChannelSetup ready = setup;
          setup = null;
          ready.ready(this);
        } else {
          endpoint.drain(); // the limit may have grown
        }
      } else if (msg instanceof Http2GoAwayFrame) {
        goingAway = true;
        if (active == 0) channel.close();
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void start(Exchange x) {
    active++;
    Stream stream = new Stream(x);
    streams.handler(stream).open().addListener(f -> {
      if (f.isSuccess()) {
        stream.send((Http2StreamChannel) f.getNow());
      } else {
        streamClosed();
        endpoint.retryOrFail(x, new IOException("could not open a stream: " + Endpoint.describe(f.cause()), f.cause()), false);
      }
    });
  }

  private void streamClosed() {
    active--;
    if (goingAway && active == 0) channel.close();
    endpoint.drain();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (setup != null) { // e.g. the server refused our client certificate after the handshake (TLS 1.3)
      ChannelSetup failed = setup;
      setup = null;
      failed.fail(cause);
    }
    channel.close();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (active == 0) channel.close();
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (setup != null) { // before the server's SETTINGS: the connection was never made
      ChannelSetup failed = setup;
      setup = null;
      failed.fail(new IOException("the connection to upstream " + endpoint.config.name() + " closed before the server's SETTINGS"));
    } else {
      endpoint.connectionClosed(this); // each open stream is closed too, and fails or retries its exchange
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void close() {
    channel.close();
  }

  /** One exchange on one stream: the request's HEADERS (and DATA), then the answer. */
  private final class Stream extends ChannelInboundHandlerAdapter {
    private final Exchange x;
    private Http2StreamChannel stream;
    private int status;
    private Map<String, String> headers;
    private long bodyBytes;
    /** The server did not process the request (REFUSED_STREAM, or above a GOAWAY's last stream id). */
    private boolean refused;
    private IOException error;

    Stream(Exchange x) {
      this.x = x;
    }

    void send(Http2StreamChannel ch) {
      stream = ch;
      Http2Headers h;
      try {
        h = endpoint.http2(x);
      } catch (RuntimeException e) { // checked when built, so not expected
        x.fail(new UnbuildableRequest(e));
        ch.close();
        return;
      }
      x.deadline(x.timeoutNanos, () -> timedOut("no answer within"));
      boolean body = x.hasBody();
      ch.write(new DefaultHttp2HeadersFrame(h, !body)).addListener(f -> {
        if (!f.isSuccess()) writeFailed(f.cause());
      });
      if (body) {
        ch.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(x.request.body()), true)).addListener(f -> {
          if (!f.isSuccess()) writeFailed(f.cause());
        });
      }
      ch.flush();
    }

    /** E.g. the codec refused to open the stream (the server lowered its limit meanwhile): that request never left. */
    private void writeFailed(Throwable cause) {
      if (error == null) {
        refused |= status == 0 && refusedStream(cause);
        error = new IOException("could not send the request: " + Endpoint.describe(cause), cause);
      }
      stream.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2HeadersFrame f) {
          if (status == 0) {
            int code = statusOf(f.headers());
            if (code < 0) {
              fail(new IOException("answer without a valid :status"));
              return;
            }
            if (code < 200) { // 100 Continue, 103 Early Hints: the final answer follows
              if (f.isEndStream()) fail(new IOException("an interim " + code + " answer ended the stream"));
              return;
            }
            status = code;
            headers = Exchange.headerMap(f.headers());
            x.deadline(x.timeoutNanos, () -> timedOut("answer not complete within"));
          }
          if (f.isEndStream()) finish();
        } else if (msg instanceof Http2DataFrame d) {
          bodyBytes += d.content().readableBytes() + d.padding();
          if (status == 0) {
            fail(new IOException("DATA before the answer's HEADERS"));
          } else if (bodyBytes > endpoint.options.maxAnswerBytes()) {
            finish();
            stream.close(); // RST_STREAM(CANCEL): the rest is not read; the connection stays
          } else if (d.isEndStream()) {
            finish();
          }
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    /** RST_STREAM and GOAWAY reach a stream as events (they are not flow-controlled); the stream closes right after. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof Http2ResetFrame r) {
        refused |= status == 0 && r.errorCode() == Http2Error.REFUSED_STREAM.code();
        error = new IOException("stream reset by the server (" + errorName(r.errorCode()) + ")"
            + (status == 0 ? " before the answer" : " mid-answer"));
        ReferenceCountUtil.release(evt);
        return;
      }
      if (evt instanceof Http2GoAwayFrame g) { // this stream is above its last stream id: never processed
        refused |= status == 0;
        error = new IOException("the server is going away (GOAWAY " + errorName(g.errorCode()) + ") and did not process the request");
        ReferenceCountUtil.release(evt);
        return;
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (error == null) error = new IOException(Endpoint.describe(cause), cause);
      ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (!x.done()) {
        IOException e = error != null ? error
            : new IOException((status == 0 ? "stream closed before the answer" : "stream closed mid-answer")
                + (channel.isActive() ? "" : " (connection closed)"));
        if (refused) endpoint.retryOrFail(x, e, false);
        else x.fail(e);
      }
      streamClosed();
    }

    private void finish() {
      x.complete(status, headers);
    }

    private void fail(IOException e) {
      if (error == null) error = e;
      x.fail(e);
      stream.close();
    }

    private void timedOut(String what) {
      if (x.done()) return;
      x.fail(new HttpTimeoutException(what + " " + TimeUnit.NANOSECONDS.toMillis(x.timeoutNanos) + " ms"));
      stream.close(); // RST_STREAM(CANCEL); the connection carries on
    }
  }

  private static boolean refusedStream(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof io.netty.handler.codec.http2.Http2Exception e && e.error() == Http2Error.REFUSED_STREAM) return true;
    }
    return false;
  }

  private static int statusOf(Http2Headers h) {
    CharSequence s = h.status();
    if (s == null || s.length() != 3) return -1;
    try {
      return Integer.parseInt(s.toString());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static String errorName(long code) {
    Http2Error e = Http2Error.valueOf(code);
    return e == null ? "error " + code : e.name();
  }

  @ChannelHandler.Sharable
  private static final class RefusePush extends ChannelInboundHandlerAdapter {
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
      ctx.close();
    }
  }
}
