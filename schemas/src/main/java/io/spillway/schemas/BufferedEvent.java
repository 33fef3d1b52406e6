package io.spillway.schemas;

import java.util.Arrays;
import java.util.Objects;

/**
 * The one record that travels between Spillway's stages: a request as the edge received it, with
 * the auth stripped and the route resolved. The body is the raw request body, byte for byte
 * (still compressed if the client compressed it). See {@code schemas/README.md} for its Redis and
 * Kafka forms ({@link RedisForm}, {@link KafkaForm}).
 *
 * @param id            Spillway id ({@link SpillwayId}): unique, sorts by arrival time
 * @param receivedAt    epoch milliseconds when the edge had the whole body
 * @param edge          the edge instance that accepted it
 * @param datacenter    the edge's datacenter
 * @param route         upstream/project, resolved from the request's key
 * @param kind          the endpoint it came in on
 * @param method        HTTP method (POST, or GET for store/cron)
 * @param path          the request path with any key segment removed (unreal, cron)
 * @param query         the query string without sentry_key/sentry_secret, or null
 * @param contentType   original Content-Type, or null
 * @param contentEncoding original Content-Encoding, or null
 * @param userAgent     original User-Agent, or null
 * @param sentryClient  sentry_client from the auth, or null
 * @param sentryVersion sentry_version from the auth, or null
 * @param clientIp      the client's address (first X-Forwarded-For hop if trusted, else peer), or null
 * @param eventId       the event id if the edge could read it (32 hex), or null
 * @param body          the raw body, or for a chunk its slice of the body
 * @param chunk         null for a whole event; for one piece of a large event, which piece ({@link Chunks})
 */
public record BufferedEvent(
    String id,
    long receivedAt,
    String edge,
    String datacenter,
    Route route,
    EndpointKind kind,
    String method,
    String path,
    String query,
    String contentType,
    String contentEncoding,
    String userAgent,
    String sentryClient,
    String sentryVersion,
    String clientIp,
    String eventId,
    byte[] body,
    Chunk chunk) {

  /**
   * Bumped on any change a reader of the previous version could not handle. Whole events are still
   * written as version 1 (every reader takes them); chunks are version 2, so a reader that does not
   * know chunks rejects them instead of taking a slice for the whole body.
   */
  public static final int SCHEMA_VERSION = 2;
  /** The version of a whole (unchunked) event. */
  public static final int WHOLE_EVENT_VERSION = 1;

  /**
   * One piece of an event too large for one record: piece {@code index} of {@code count} (from 0),
   * of a body of {@code totalSize} bytes. Every piece carries the event's other fields.
   */
  public record Chunk(int index, int count, long totalSize) {
    public Chunk {
      if (count < 2) throw new IllegalArgumentException("a chunked event has at least 2 chunks, got " + count);
      if (index < 0 || index >= count) throw new IllegalArgumentException("chunk " + index + " of " + count);
      if (totalSize < count) throw new IllegalArgumentException("total size " + totalSize + " for " + count + " chunks");
    }

    /** As written in the record: {@code index/count}. */
    @Override
    public String toString() {
      return index + "/" + count;
    }
  }

  public BufferedEvent {
    if (id == null) throw new NullPointerException("id == null");
    if (edge == null) throw new NullPointerException("edge == null");
    if (datacenter == null) throw new NullPointerException("datacenter == null");
    if (route == null) throw new NullPointerException("route == null");
    if (kind == null) throw new NullPointerException("kind == null");
    if (method == null) throw new NullPointerException("method == null");
    if (path == null) throw new NullPointerException("path == null");
    if (body == null) throw new NullPointerException("body == null");
    if (chunk != null && body.length > chunk.totalSize()) {
      throw new IllegalArgumentException("chunk body " + body.length + " exceeds the total " + chunk.totalSize());
    }
  }

  public int bodySize() {
    return body.length;
  }

  /** True for one piece of a large event (see {@link Chunks}), false for a whole event. */
  public boolean isChunk() {
    return chunk != null;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.id = id;
    b.receivedAt = receivedAt;
    b.edge = edge;
    b.datacenter = datacenter;
    b.route = route;
    b.kind = kind;
    b.method = method;
    b.path = path;
    b.query = query;
    b.contentType = contentType;
    b.contentEncoding = contentEncoding;
    b.userAgent = userAgent;
    b.sentryClient = sentryClient;
    b.sentryVersion = sentryVersion;
    b.clientIp = clientIp;
    b.eventId = eventId;
    b.body = body;
    b.chunk = chunk;
    return b;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) return true;
    if (!(o instanceof BufferedEvent e)) return false;
    return receivedAt == e.receivedAt
        && id.equals(e.id)
        && edge.equals(e.edge)
        && datacenter.equals(e.datacenter)
        && route.equals(e.route)
        && kind == e.kind
        && method.equals(e.method)
        && path.equals(e.path)
        && Objects.equals(query, e.query)
        && Objects.equals(contentType, e.contentType)
        && Objects.equals(contentEncoding, e.contentEncoding)
        && Objects.equals(userAgent, e.userAgent)
        && Objects.equals(sentryClient, e.sentryClient)
        && Objects.equals(sentryVersion, e.sentryVersion)
        && Objects.equals(clientIp, e.clientIp)
        && Objects.equals(eventId, e.eventId)
        && Objects.equals(chunk, e.chunk)
        && Arrays.equals(body, e.body);
  }

  @Override
  public int hashCode() {
    return id.hashCode();
  }

  /** No body, no query (it may carry user data): safe for logs. */
  @Override
  public String toString() {
    return "BufferedEvent{id=" + id + ", route=" + route + ", kind=" + kind.wireName()
        + ", eventId=" + eventId + ", bodySize=" + body.length + (chunk == null ? "" : ", chunk=" + chunk) + "}";
  }

  public static final class Builder {
    private String id;
    private long receivedAt;
    private String edge = "edge";
    private String datacenter = "default";
    private Route route;
    private EndpointKind kind;
    private String method = "POST";
    private String path;
    private String query;
    private String contentType;
    private String contentEncoding;
    private String userAgent;
    private String sentryClient;
    private String sentryVersion;
    private String clientIp;
    private String eventId;
    private byte[] body = new byte[0];
    private Chunk chunk;

    private Builder() {}

    public Builder id(String v) { id = v; return this; }
    public Builder receivedAt(long v) { receivedAt = v; return this; }
    public Builder edge(String v) { edge = v; return this; }
    public Builder datacenter(String v) { datacenter = v; return this; }
    public Builder route(Route v) { route = v; return this; }
    public Builder kind(EndpointKind v) { kind = v; return this; }
    public Builder method(String v) { method = v; return this; }
    public Builder path(String v) { path = v; return this; }
    public Builder query(String v) { query = v; return this; }
    public Builder contentType(String v) { contentType = v; return this; }
    public Builder contentEncoding(String v) { contentEncoding = v; return this; }
    public Builder userAgent(String v) { userAgent = v; return this; }
    public Builder sentryClient(String v) { sentryClient = v; return this; }
    public Builder sentryVersion(String v) { sentryVersion = v; return this; }
    public Builder clientIp(String v) { clientIp = v; return this; }
    public Builder eventId(String v) { eventId = v; return this; }
    public Builder body(byte[] v) { body = v; return this; }
    public Builder chunk(Chunk v) { chunk = v; return this; }

    public BufferedEvent build() {
      return new BufferedEvent(id, receivedAt, edge, datacenter, route, kind, method, path, query,
          contentType, contentEncoding, userAgent, sentryClient, sentryVersion, clientIp, eventId, body, chunk);
    }
  }
}
