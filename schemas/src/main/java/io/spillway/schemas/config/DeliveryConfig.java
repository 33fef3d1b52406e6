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
    Duration chunkTimeout) {}
