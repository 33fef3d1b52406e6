package io.spillway.delivery.http;

import io.netty.util.concurrent.ScheduledFuture;
import java.net.URI;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One request and its future, from {@link UpstreamClient#send} to the answer. After {@link #build}
 * only its endpoint's loop thread touches it.
 */
final class Exchange {
  final Endpoint endpoint;
  final CompletableFuture<UpstreamResponse> result;
  private Supplier<? extends UpstreamClient.Request> supplier;
  UpstreamClient.Request request;
  /** How long to wait for the answer's head, and again for its end. */
  final long timeoutNanos;
  /** Sent again once already (the first try surely never reached the server): not again. */
  boolean retried;
  private ScheduledFuture<?> timer;

  Exchange(Endpoint endpoint, Supplier<? extends UpstreamClient.Request> supplier, java.time.Duration timeout,
      CompletableFuture<UpstreamResponse> result) {
    this.endpoint = endpoint;
    this.supplier = supplier;
    this.timeoutNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(1), timeout.toNanos());
    this.result = result;
  }

  /**
   * Runs the supplier; false (and the future failed with {@link UnbuildableRequest}) when it throws
   * or builds something no HTTP message can carry.
   */
  boolean build() {
    try {
      UpstreamClient.Request r = supplier.get();
      if (r == null) throw new NullPointerException("the request supplier returned null");
      check(r);
      request = r;
      supplier = null;
      return true;
    } catch (RuntimeException e) {
      result.completeExceptionally(new UnbuildableRequest(e));
      return false;
    }
  }

  boolean done() {
    return result.isDone();
  }

  boolean hasBody() {
    return request.body().length > 0 || !request.method().equals("GET");
  }

  /** The request target in origin form: the raw path (at least "/") and query. */
  String target() {
    URI uri = request.uri();
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    return uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
  }

  void complete(int status, Map<String, String> headers) {
    cancelTimer();
    result.complete(new UpstreamResponse(status, headers));
  }

  void fail(Throwable error) {
    cancelTimer();
    result.completeExceptionally(error);
  }

  /** Runs {@code onTimeout} on the loop after {@code nanos}, unless re-armed or finished first. */
  void deadline(long nanos, Runnable onTimeout) {
    cancelTimer();
    timer = endpoint.loop.schedule(onTimeout, nanos, TimeUnit.NANOSECONDS);
  }

  private void cancelTimer() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  /** Lower-cased names, the first of a repeated header kept (what the old client did, what DeliveryOutcome reads). */
  static Map<String, String> headerMap(Iterable<? extends Map.Entry<? extends CharSequence, ? extends CharSequence>> entries) {
    Map<String, String> out = new HashMap<>();
    for (Map.Entry<? extends CharSequence, ? extends CharSequence> e : entries) {
      String name = e.getKey().toString().toLowerCase(Locale.ROOT);
      if (!name.startsWith(":")) out.putIfAbsent(name, e.getValue().toString());
    }
    return out;
  }

  /** What neither HTTP/1.1 nor HTTP/2 can carry: checked once, before any connection is chosen. */
  private static void check(UpstreamClient.Request r) {
    if (!isToken(r.method())) throw new IllegalArgumentException("not an HTTP method: " + printable(r.method()));
    if (r.uri() == null || r.uri().getRawPath() == null) throw new IllegalArgumentException("no path in the request URI");
    for (String[] h : r.headers()) {
      if (h.length != 2 || !isToken(h[0])) throw new IllegalArgumentException("not a header name: " + printable(h.length == 0 ? "" : h[0]));
      for (int i = 0; i < h[1].length(); i++) {
        char c = h[1].charAt(i);
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
          throw new IllegalArgumentException("control character in the value of header " + h[0]);
        }
      }
    }
  }

  private static boolean isToken(String s) {
    if (s == null || s.isEmpty()) return false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!ok) return false;
    }
    return true;
  }

  private static String printable(String s) {
    return s.replaceAll("[^\\x20-\\x7e]", "?");
  }
}
