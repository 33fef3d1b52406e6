package io.spillway.schemas;

/**
 * The record's fields and their names in each form: the Redis stream field and the Kafka record
 * header. One table, so the two forms cannot drift apart. Route and body are not headers in Kafka
 * (they are the key and the value).
 */
enum Field {
  VERSION("v", "spillway.v", true),
  ID("id", "spillway.id", true),
  RECEIVED_AT("ts", "spillway.ts", true),
  EDGE("edge", "spillway.edge", true),
  DATACENTER("dc", "spillway.dc", true),
  ROUTE("route", null, true),
  KIND("kind", "spillway.kind", true),
  METHOD("method", "spillway.method", true),
  PATH("path", "spillway.path", true),
  QUERY("query", "spillway.query", false),
  CONTENT_TYPE("ct", "content-type", false),
  CONTENT_ENCODING("ce", "content-encoding", false),
  USER_AGENT("ua", "user-agent", false),
  SENTRY_CLIENT("sc", "sentry.client", false),
  SENTRY_VERSION("sv", "sentry.version", false),
  CLIENT_IP("ip", "client-ip", false),
  EVENT_ID("eid", "event-id", false),
  BODY_SIZE("size", "spillway.size", true),
  /** Version 2 only: {@code index/count} of a chunk. */
  CHUNK("chunk", "spillway.chunk", false),
  /** Version 2 only: the whole event's body size. */
  TOTAL_SIZE("total", "spillway.total", false),
  BODY("body", null, true);

  final String redisName;
  final String kafkaHeader;
  final boolean required;

  Field(String redisName, String kafkaHeader, boolean required) {
    this.redisName = redisName;
    this.kafkaHeader = kafkaHeader;
    this.required = required;
  }
}
