package io.spillway.schemas.body;

/**
 * An envelope Sentry would refuse (Relay answers 400): the message says what is wrong and, for an
 * item, which one ({@code item 2 (attachment): length 500 runs past the end of the envelope}). It
 * never quotes the body.
 */
public final class EnvelopeException extends IllegalArgumentException {
  public EnvelopeException(String message) {
    super(message);
  }
}
