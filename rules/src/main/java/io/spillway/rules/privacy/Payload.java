package io.spillway.rules.privacy;

/** The kinds of JSON payload the scrubber knows the shape of. */
public enum Payload {
  /** An error event ({@code store} body, envelope {@code event} item), a {@code transaction} or a {@code feedback}. */
  EVENT(Schema.EVENT),
  /** An envelope {@code log} item: {@code {"items": [...]}}. */
  LOGS(Schema.LOG_ITEMS),
  /** An envelope {@code session} item. */
  SESSION(Schema.SESSION),
  /** An envelope {@code sessions} item (aggregates). */
  SESSIONS(Schema.SESSIONS),
  /** An envelope {@code check_in} item or a {@code cron} request body. */
  CHECK_IN(Schema.CHECK_IN),
  /** A browser report: {@code security}, {@code csp-report} or {@code nel} body; every field is scrubbable. */
  REPORT(Schema.REPORT);

  final Shape shape;

  Payload(Shape shape) {
    this.shape = shape;
  }

  /** The payload kind of an envelope item type, or null for items that are passed through. */
  public static Payload ofItemType(String type) {
    return switch (type) {
      case "event", "transaction", "feedback" -> EVENT;
      case "log" -> LOGS;
      case "session" -> SESSION;
      case "sessions" -> SESSIONS;
      case "check_in" -> CHECK_IN;
      default -> null;
    };
  }
}
