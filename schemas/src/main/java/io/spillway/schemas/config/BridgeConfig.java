package io.spillway.schemas.config;

import java.time.Duration;

/**
 * {@code bridge:} section. Keys, defaults and checks: {@link ConfigKeys}.
 *
 * @param admin            health, readiness and metrics
 * @param consumer         this bridge's consumer name in the Redis group; null = host-pid
 * @param group            the Redis consumer group shared by all bridges
 * @param batchSize        entries per XREADGROUP (COUNT)
 * @param block            how long one XREADGROUP waits for new entries (BLOCK)
 * @param claimIdle        entries pending longer than this (a bridge died) are taken over with XAUTOCLAIM
 * @param deadLetterStream where undecodable entries go, with a reason
 */
public record BridgeConfig(
    HostPort admin,
    String consumer,
    String group,
    int batchSize,
    Duration block,
    Duration claimIdle,
    String deadLetterStream) {}
