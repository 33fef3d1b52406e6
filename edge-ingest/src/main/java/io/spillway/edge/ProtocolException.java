package io.spillway.edge;

/**
 * A request the edge refuses, with the HTTP status and the {@code detail} Sentry's Relay would give
 * (sentry-protocol.md §2, §4.2). The only exception the parsers throw: whatever the input, a parser
 * either returns a value or throws this, so a hostile request can never surface as a 500.
 */
final class ProtocolException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int status;

  ProtocolException(int status, String detail) {
    super(detail, null, false, false); // no stack trace: these are expected, and cheap to throw
    if (detail == null) throw new NullPointerException("detail == null");
    this.status = status;
  }

  static ProtocolException badRequest(String detail) {
    return new ProtocolException(400, detail);
  }

  static ProtocolException unauthorized(String detail) {
    return new ProtocolException(401, detail);
  }

  int status() {
    return status;
  }

  /** Never carries a key or secret: details are written for the client and for logs. */
  String detail() {
    return getMessage();
  }
}
