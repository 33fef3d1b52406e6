package io.spillway.rules.privacy;

/**
 * A body could not be scrubbed, so it must not be stored. The message never contains any part of
 * the body (it names the item and the kind of problem only).
 */
public final class ScrubException extends RuntimeException {
  /** Why: bad input (the client's fault: 400) or a rule that could not finish (the edge's: 500). */
  public enum Kind {
    /** The body is not what its endpoint requires (not JSON where an event must be, bad encoding, bad framing). */
    INVALID_BODY,
    /** A body decodes to more than the configured limit. */
    TOO_LARGE,
    /** A custom rule's regular expression ran over its time budget. */
    RULE_TOO_SLOW
  }

  private final Kind kind;

  public ScrubException(Kind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
