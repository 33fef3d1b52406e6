package io.spillway.schemas.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code redis:} section. Keys, defaults and checks: {@link ConfigKeys}.
 *
 * @param uri              Lettuce URI, e.g. {@code redis://127.0.0.1:6379} (may hold a password: never logged)
 * @param stream           stream key; with shards &gt; 1 the streams are {@code stream:0 … stream:N-1}
 * @param shards           number of streams the edge spreads entries over
 * @param maxBufferBytes   above this Redis memory use the edge answers 503 instead of writing
 * @param commandTimeout   a Redis command that takes longer fails (edge: 503)
 * @param requestQueueSize commands queued per connection before new ones are rejected
 */
public record RedisConfig(
    String uri,
    String stream,
    int shards,
    long maxBufferBytes,
    Duration commandTimeout,
    int requestQueueSize) {

  /** The stream keys, one per shard. */
  public List<String> streamKeys() {
    if (shards == 1) return List.of(stream);
    List<String> keys = new ArrayList<>(shards);
    for (int i = 0; i < shards; i++) keys.add(stream + ":" + i);
    return List.copyOf(keys);
  }

  /** The URI with any password replaced, for logs and status pages. */
  public String redactedUri() {
    return uri.replaceAll("//[^@/]*@", "//***@");
  }

  @Override
  public String toString() {
    return "RedisConfig{uri=" + redactedUri() + ", stream=" + stream + ", shards=" + shards + "}";
  }
}
