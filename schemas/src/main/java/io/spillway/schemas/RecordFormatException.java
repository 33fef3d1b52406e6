package io.spillway.schemas;

/** A record (Redis entry or Kafka record) that cannot be decoded: corrupt, truncated, or a newer version. */
public final class RecordFormatException extends RuntimeException {
  public RecordFormatException(String message) {
    super(message);
  }

  public RecordFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
