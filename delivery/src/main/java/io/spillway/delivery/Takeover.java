package io.spillway.delivery;

import io.spillway.schemas.config.DeliveryConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.streams.StreamsConfig;

/**
 * What decides how soon an instance works on tasks it is given: another instance's tasks after that
 * one crashed, its own after a restart (delivery/README, "Failover and restarts").
 *
 * <ul>
 *   <li><b>Session timeout</b> 10 s (Kafka's default is 45 s), heartbeats every second: a killed
 *       instance is noticed within 10 s and the others learn of the rebalance within a second.
 *       {@code kafka.properties} may set {@code session.timeout.ms} / {@code heartbeat.interval.ms}.
 *   <li><b>Static membership</b> ({@code delivery.instance_id}): a restarted instance (crash, OOM,
 *       deploy) rejoins under its old identity within the session timeout and gets its old
 *       assignment back with no rebalance; and a clean stop removes it from the group at once
 *       ({@code close(leaveGroup)} removes static members only: dynamic members of a Streams group
 *       never send a LeaveGroup, KAFKA-16514), so a restarted or remaining instance does not wait
 *       out the session of a member that is gone.
 *   <li><b>Standby replicas</b> ({@code delivery.standby_replicas}): another instance keeps a copy of
 *       each task's stores up to date from the changelog, so the task moves there with the last few
 *       records to replay instead of the whole pending store.
 *   <li><b>Restore</b>: the restore consumer's fetches wait at most 50 ms for data (Kafka's default,
 *       500 ms, is a wait per round of an assignment's changelogs even when there is nothing to replay:
 *       it made a start with empty stores spend about 1.5 s restoring nothing).
 * </ul>
 */
final class Takeover {
  static final int SESSION_TIMEOUT_MS = 10_000;
  static final int HEARTBEAT_INTERVAL_MS = 1_000;
  static final int RESTORE_FETCH_MAX_WAIT_MS = 50;

  private Takeover() {}

  /**
   * Defaults that {@code kafka.properties} may override, in any form ({@code session.timeout.ms},
   * {@code consumer.session.timeout.ms}, ...): put them after the user's properties. Streams lets a
   * {@code consumer.}-prefixed key win over the plain one, so a prefixed default put first would
   * silently beat a user's plain {@code session.timeout.ms} (it did: a 45 s session measured 10 s).
   */
  static void defaults(Properties p) {
    unlessSet(p, ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, SESSION_TIMEOUT_MS,
        StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG),
        StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG));
    unlessSet(p, ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, HEARTBEAT_INTERVAL_MS,
        StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG),
        StreamsConfig.mainConsumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG));
    if (!p.containsKey(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG)
        && !p.containsKey(StreamsConfig.consumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG))) {
      p.putIfAbsent(StreamsConfig.restoreConsumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), RESTORE_FETCH_MAX_WAIT_MS);
    }
  }

  /** Puts {@code consumer.<key>} unless {@code key} or one of {@code forms} is set already. */
  private static void unlessSet(Properties p, String key, Object value, String... forms) {
    if (p.containsKey(key)) return;
    for (String f : forms) if (p.containsKey(f)) return;
    p.put(StreamsConfig.consumerPrefix(key), value);
  }

  /** What {@code delivery.*} decides: put after the user's properties. */
  static void apply(Properties p, DeliveryConfig delivery, String host) {
    p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, delivery.standbyReplicas());
    String id = instanceId(delivery, host);
    if (id != null) {
      p.put(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), id);
    } else {
      p.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
      p.remove(StreamsConfig.consumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG));
      p.remove(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG));
    }
  }

  /**
   * The {@code group.instance.id} (Streams appends {@code -<thread>}), or null for dynamic membership.
   * {@code auto}: the host name and a digest of the state directory's absolute path, which are what
   * make an instance itself across restarts (two instances cannot share a state directory: Streams
   * locks it), while two hosts with the same directory layout stay apart.
   */
  static String instanceId(DeliveryConfig delivery, String host) {
    String configured = delivery.instanceId();
    if (DeliveryConfig.INSTANCE_ID_NONE.equals(configured)) return null;
    if (!DeliveryConfig.INSTANCE_ID_AUTO.equals(configured)) return configured;
    String dir = Path.of(delivery.stateDir()).toAbsolutePath().normalize().toString();
    String h = host.replaceAll("[^A-Za-z0-9._-]", "-");
    if (h.length() > 150) h = h.substring(0, 150);
    return h + "-" + digest(dir);
  }

  /** Whether a stream thread died because another process joined with the same instance id. */
  static boolean fenced(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof FencedInstanceIdException) return true;
    }
    return false;
  }

  private static String digest(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
