package io.spillway.delivery;

import io.spillway.delivery.http.UnbuildableRequest;
import io.spillway.delivery.http.UpstreamClient;
import io.spillway.delivery.http.UpstreamResponse;
import io.spillway.schemas.config.UpstreamConfig;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The hand-written HTTP/1.1 client ({@link Http1Client} over {@link Http1Loop}) behind the
 * {@link UpstreamClient} API, kept only until the Netty client has been measured against it in one
 * benchmark run: {@code -Dspillway.delivery.client=http1} selects it ({@code DeliveryBench --client
 * http1}). It knows nothing of {@code tls}, {@code proxy} or {@code http2} (JVM trust store only).
 */
final class LegacyHttp1Client implements UpstreamClient {
  static final String PROPERTY = "spillway.delivery.client";

  private final Http1Client client = new Http1Client(Duration.ofSeconds(3));

  static boolean selected() {
    return "http1".equals(System.getProperty(PROPERTY));
  }

  @Override
  public CompletableFuture<UpstreamResponse> send(UpstreamConfig upstream, Supplier<? extends Request> request, Duration timeout,
      int sizeHint) {
    CompletableFuture<UpstreamResponse> out = new CompletableFuture<>();
    client.send(upstream.url(), () -> (UpstreamRequest) request.get(), timeout, sizeHint).whenComplete((r, e) -> {
      if (e instanceof Http1Client.Unbuildable u && u.getCause() instanceof RuntimeException cause) {
        out.completeExceptionally(new UnbuildableRequest(cause));
      } else if (e != null) {
        out.completeExceptionally(e);
      } else {
        out.complete(new UpstreamResponse(r.status(), r.headers()));
      }
    });
    return out;
  }

  @Override
  public int connections(String upstream) {
    return -1; // not counted by the old loop
  }

  @Override
  public void close() {
    client.close();
  }
}
