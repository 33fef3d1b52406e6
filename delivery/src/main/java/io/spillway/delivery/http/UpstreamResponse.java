package io.spillway.delivery.http;

import java.util.Locale;
import java.util.Map;

/**
 * An upstream's final answer: its status and headers (names lower-case, the first of a repeated
 * header wins). The body is never kept: what an answer means for an event is in its status and
 * headers ({@code X-Sentry-Rate-Limits}, {@code Retry-After}, {@code X-Sentry-Error}).
 */
public record UpstreamResponse(int status, Map<String, String> headers) {
  public UpstreamResponse {
    headers = Map.copyOf(headers);
  }

  /** A header's value, or null; {@code name} in any case. */
  public String header(String name) {
    return headers.get(name.toLowerCase(Locale.ROOT));
  }
}
