package io.spillway.delivery.http;

/** A connection set up and ready for requests: HTTP/1.1 (one at a time) or HTTP/2 (many streams). */
sealed interface Connection permits Http1Connection, Http2Connection {
  /** Sends {@code x} on this connection; called on the loop thread, when the endpoint found room here. */
  void start(Exchange x);

  void close();
}
