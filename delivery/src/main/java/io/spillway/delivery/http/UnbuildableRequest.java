package io.spillway.delivery.http;

import java.io.IOException;

/**
 * The request could not be built, or no HTTP message can carry it (a header value or path no
 * client may send): it will never be sendable, and the caller dead-letters it instead of retrying.
 */
public final class UnbuildableRequest extends IOException {
  private static final long serialVersionUID = 1L;

  public UnbuildableRequest(RuntimeException cause) {
    super(cause.getClass().getSimpleName() + ": " + cause.getMessage(), cause);
  }
}
