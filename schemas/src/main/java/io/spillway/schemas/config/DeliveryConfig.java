package io.spillway.schemas.config;

import java.time.Duration;

/**
 * {@code delivery:} section.
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

  public static final String DEFAULT_ADMIN = "127.0.0.1:9102";
  public static final String DEFAULT_APPLICATION_ID = "spillway-delivery";
  public static final Duration DEFAULT_MAX_EVENT_AGE = Duration.ofDays(29);
  public static final int DEFAULT_STREAM_THREADS = 1;
  public static final Duration DEFAULT_RETRY_INITIAL = Duration.ofSeconds(1);
  public static final Duration DEFAULT_RETRY_MAX = Duration.ofSeconds(60);
  public static final String DEFAULT_STATE_DIR =
      java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "spillway-delivery").toString();
  /**
   * 5 ms: a freed in-flight slot waits for the next tick, so the tick bounds one instance's rate
   * (DeliveryBench, warm JVM: 17.1k events/s at 10 ms, 19.4k at 5 ms); an idle delivery used 2–4 %
   * of a core at 20, 5 and 2 ms alike.
   */
  public static final Duration DEFAULT_PUNCTUATE_INTERVAL = Duration.ofMillis(5);
  /**
   * 1 h: MirrorMaker 2 re-copies what it copied since its last offset flush after a restart, the bridge
   * re-produces after a crash; both copies arrive within seconds to minutes of the first.
   */
  public static final Duration DEFAULT_DEDUP_WINDOW = Duration.ofHours(1);
  public static final Duration DEFAULT_CHUNK_TIMEOUT = Duration.ofHours(1);
  /**
   * 1: a killed instance's tasks move to the instance that holds their copy, which only replays the
   * last changelog records instead of the whole store (see delivery/README, "Failover").
   */
  public static final int DEFAULT_STANDBY_REPLICAS = 1;
  /** Derive a stable id from the host name and the state directory (both survive a restart). */
  public static final String INSTANCE_ID_AUTO = "auto";
  /** No static membership: a restarted instance joins as a new member. */
  public static final String INSTANCE_ID_NONE = "none";
  public static final String DEFAULT_INSTANCE_ID = INSTANCE_ID_AUTO;
  /** Shared by every store of the instance (see delivery/README, "Memory"). */
  public static final long DEFAULT_STORE_MEMORY = 64L << 20;

  /** Whether {@code id} may be a {@code group.instance.id} (Kafka's legal characters; Streams appends {@code -<thread>}). */
  public static boolean isInstanceId(String id) {
    return id != null && id.matches("[A-Za-z0-9._-]{1,200}");
  }
}
