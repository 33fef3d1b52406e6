package io.spillway.schemas.config;

import java.time.Duration;

/**
 * {@code delivery:} section. Keys, defaults and checks: {@link ConfigKeys}.
 *
 * @param admin          health, readiness and metrics
 * @param applicationId  Kafka Streams application id (= consumer group)
 * @param maxEventAge    events older than this go to the DLQ as expired (Sentry drops them anyway)
 * @param streamThreads  Kafka Streams threads per instance
 * @param retryInitial   first backoff after a network error / 502 / 503 / 504
 * @param retryMax       backoff cap
 * @param stateDir       Kafka Streams state directory (the pending-events store lives there)
 * @param punctuateInterval how often each task applies HTTP outcomes and sends due events
 * @param dedupWindow    a second copy of a {@code spillway.id} seen within this time of the first is dropped;
 *                       {@link Duration#ZERO} = no de-duplication
 * @param chunkTimeout   an event whose chunks stopped arriving this long ago, while newer events kept
 *                       arriving, is given up as incomplete (its chunks go to the DLQ)
 * @param standbyReplicas copies of each task's stores kept warm on other instances ({@code num.standby.replicas}):
 *                       a failover takes over from a copy instead of restoring the changelog
 * @param instanceId     {@code group.instance.id} (static membership): {@link #INSTANCE_ID_AUTO} = this host and
 *                       state directory, {@link #INSTANCE_ID_NONE} = dynamic membership, else the id itself
 * @param storeMemory    RocksDB memory of all this instance's stores together (block cache and write buffers)
 */
public record DeliveryConfig(
    HostPort admin,
    String applicationId,
    Duration maxEventAge,
    int streamThreads,
    Duration retryInitial,
    Duration retryMax,
    String stateDir,
    Duration punctuateInterval,
    Duration dedupWindow,
    Duration chunkTimeout,
    int standbyReplicas,
    String instanceId,
    long storeMemory) {

  /** Derive a stable id from the host name and the state directory (both survive a restart). */
  public static final String INSTANCE_ID_AUTO = "auto";
  /** No static membership: a restarted instance joins as a new member. */
  public static final String INSTANCE_ID_NONE = "none";

  /** Whether {@code id} may be a {@code group.instance.id} (Kafka's legal characters; Streams appends {@code -<thread>}). */
  static boolean isInstanceId(String id) {
    return id != null && id.matches("[A-Za-z0-9._-]{1,200}");
  }
}
