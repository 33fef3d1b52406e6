package io.spillway.delivery.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An HTTP/1.1 keep-alive connection: one exchange at a time, no pipelining. Netty's codec reads
 * the answer (status line and head bounded, any framing: Content-Length, chunked with any
 * extensions and trailers, until close); interim 1xx answers are skipped; of the body only its size
 * is counted. The connection goes back to the pool when the answer allows keep-alive, else it closes.
 */
final class Http1Connection extends ChannelInboundHandlerAdapter implements Connection {
  private final Endpoint endpoint;
  private final Channel channel;
  private final long maxAnswerBytes;
  private Exchange current;
  /** Exchanges finished on this connection: a failure before any answer byte on a reused connection means it had gone stale. */
  private int served;
  /** Whether any byte arrived since the current exchange started. */
  private boolean answerBytes;
  private boolean interim;
  private int status;
  private Map<String, String> headers;
  private boolean keepAlive;
  private long bodyBytes;
  private Throwable error;

  Http1Connection(Endpoint endpoint, Channel channel) {
    this.endpoint = endpoint;
    this.channel = channel;
    this.maxAnswerBytes = endpoint.options.maxAnswerBytes();
  }

  /** Goes before the codec: notes that bytes of an answer arrived, whatever the codec makes of them. */
  ChannelInboundHandlerAdapter answerBytes() {
    return new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf b && b.isReadable()) answerBytes = true;
        ctx.fireChannelRead(msg);
      }
    };
  }

  boolean usable() {
    return current == null && channel.isActive();
  }

  @Override
  public void start(Exchange x) {
    current = x;
    answerBytes = false;
    interim = false;
    status = 0;
    headers = null;
    bodyBytes = 0;
    error = null;
    FullHttpRequest req;
    try {
      req = endpoint.http1(x);
    } catch (RuntimeException e) { // checked when built, so not expected; never leave the exchange behind
      current = null;
      x.fail(new UnbuildableRequest(e));
      endpoint.loop.execute(() -> endpoint.released(this));
      return;
    }
    x.deadline(x.timeoutNanos, () -> timedOut(x, "no answer within"));
    channel.writeAndFlush(req).addListener(f -> {
      if (!f.isSuccess() && current == x) {
        error = f.cause();
        channel.close();
      }
    });
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      Exchange x = current;
      if (x == null) { // nothing was asked: whatever this is, the connection cannot be trusted
        channel.close();
        return;
      }
      if (msg instanceof HttpResponse r) {
        if (r.decoderResult().isFailure()) {
          failAndClose(new IOException("malformed answer: " + Endpoint.describe(r.decoderResult().cause())));
          return;
        }
        int code = r.status().code();
        if (code == 101) {
          failAndClose(new IOException("101 Switching Protocols to a request that asked for no upgrade"));
          return;
        }
        if (code < 200) { // 100 Continue, 102, 103 Early Hints: the final answer follows
          interim = true;
          return;
        }
        if (endpoint.absoluteFormPrefix != null && proxyRefusal(code, r.headers())) {
          // The proxy's answer, not the upstream's: retried like any failure to reach it, never dead-lettered.
          failAndClose(new java.net.ConnectException("the proxy " + endpoint.config.proxy().redacted() + " refused the credentials ("
              + code + " " + r.status().reasonPhrase() + ")"));
          return;
        }
        interim = false;
        status = code;
        headers = Exchange.headerMap(r.headers());
        keepAlive = HttpUtil.isKeepAlive(r);
        x.deadline(x.timeoutNanos, () -> timedOut(x, "answer not complete within"));
      }
      if (msg instanceof HttpContent c) {
        if (c.decoderResult().isFailure()) {
          failAndClose(new IOException("malformed answer: " + Endpoint.describe(c.decoderResult().cause())));
          return;
        }
        if (interim) {
          if (c instanceof LastHttpContent) interim = false;
          return;
        }
        if (status == 0) return;
        bodyBytes += c.content().readableBytes();
        if (bodyBytes > maxAnswerBytes) {
          finish(x, false); // the status and headers decide; the rest is not read
        } else if (c instanceof LastHttpContent) {
          finish(x, keepAlive);
        }
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  /**
   * A proxy's refusal of our credentials: 407, or (tinyproxy does this for wrong ones) a 401 with an
   * authentication challenge and without the {@code X-Sentry-Error} every Sentry 401 carries.
   */
  static boolean proxyRefusal(int code, io.netty.handler.codec.http.HttpHeaders h) {
    if (code == 407) return true;
    return code == 401 && (h.contains("Proxy-Authenticate") || (h.contains("WWW-Authenticate") && !h.contains("X-Sentry-Error")));
  }

  private void finish(Exchange x, boolean keep) {
    current = null;
    served++;
    x.complete(status, headers);
    if (keep && !endpoint.closed()) {
      endpoint.released(this);
    } else {
      channel.close();
    }
  }

  private void failAndClose(IOException e) {
    Exchange x = current;
    current = null;
    if (x != null) x.fail(e);
    channel.close();
  }

  private void timedOut(Exchange x, String what) {
    if (current != x) return;
    current = null;
    x.fail(new HttpTimeoutException(what + " " + TimeUnit.NANOSECONDS.toMillis(x.timeoutNanos) + " ms"));
    channel.close(); // the answer may still come: this connection cannot carry another request
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (error == null) error = cause;
    channel.close();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (current == null) channel.close();
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    Exchange x = current;
    current = null;
    if (x != null && !x.done()) {
      IOException e = new IOException(answerBytes ? "connection closed mid-answer" : "connection closed before the answer");
      if (error != null) e.initCause(error);
      if (served > 0 && !answerBytes) {
        endpoint.retryOrFail(x, e, true); // a kept-alive connection the server had closed: the request never got there
      } else {
        x.fail(e);
      }
    }
    endpoint.connectionClosed(this);
  }

  @Override
  public void close() {
    channel.close();
  }
}
