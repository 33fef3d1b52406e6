package io.spillway.mirror;

import io.spillway.kafka.KafkaClients;
import io.spillway.schemas.config.MirrorConfig;
import io.spillway.schemas.config.SpillwayConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The MirrorMaker 2 settings Spillway generates from a central config: what an {@code mm2.properties}
 * would hold, for MM2's dedicated mode targeting the central cluster only. Each choice is explained
 * in {@code mirror/README.md}; {@code mirror.properties} entries are applied last and win, except
 * the ones {@code SpillwayConfig} refuses (cluster list, addresses, topic, naming of the copies).
 */
final class MirrorSettings {
  static final String CENTRAL = MirrorConfig.CENTRAL_ALIAS;
  static final String SOURCE_CONNECTOR = "MirrorSourceConnector";
  static final String TRANSFORM = "spillwaySourceOffset";
  /** How often MM2 commits what it copied: after a crash it copies again what came after the last commit. */
  static final int OFFSET_FLUSH_MS = 1_000;
  /** How often MM2 looks for the source topic (a datacenter that was unreachable, or whose topic appeared). */
  static final int REFRESH_TOPICS_SECONDS = 10;

  private MirrorSettings() {}

  /** The MM2 properties for {@code config}, which must have at least one {@code mirror.sources} entry. */
  static Map<String, String> of(SpillwayConfig config) {
    MirrorConfig mirror = config.mirror();
    if (!mirror.enabled()) throw new IllegalArgumentException("mirror.sources: no datacenter to mirror");
    String rf = Short.toString(config.kafka().replicationFactor());
    Map<String, String> p = new LinkedHashMap<>();
    p.put("clusters", String.join(",", CENTRAL, String.join(",", mirror.sources().keySet())));

    // The central cluster: addresses and client settings from kafka.*, as every other service uses them.
    p.put(CENTRAL + ".bootstrap.servers", config.kafka().bootstrapServers());
    config.kafka().properties().forEach((k, v) -> p.put(CENTRAL + "." + k, v));
    // Worker settings of the herders (one per datacenter, all targeting central) go under the target alias.
    p.put(CENTRAL + ".offset.flush.interval.ms", Integer.toString(OFFSET_FLUSH_MS));
    p.put(CENTRAL + ".scheduled.rebalance.max.delay.ms", "0");
    // Every Connect plugin on the classpath (MM2's, the converters, SourceOffsetHeader) has a
    // ServiceLoader manifest: scanning the classpath as well took ~3 s per datacenter at start.
    p.put("plugin.discovery", "service_load");
    p.put(CENTRAL + ".plugin.discovery", "service_load");
    // The task producer writes to the central cluster: as the bridge's, but Connect's defaults are
    // one request in flight without idempotence (ordering by waiting), which caps a far cluster.
    p.put(CENTRAL + ".producer.enable.idempotence", "true");
    p.put(CENTRAL + ".producer.max.in.flight.requests.per.connection", "5");
    p.put(CENTRAL + ".producer.compression.type", "lz4");
    p.put(CENTRAL + ".producer.linger.ms", "5");
    p.put(CENTRAL + ".producer.batch.size", Integer.toString(256 * 1024));
    p.put(CENTRAL + ".producer.max.request.size", Integer.toString(KafkaClients.MAX_REQUEST_BYTES));

    // Internal topics live on the central cluster: replicated like Spillway's own topics there.
    for (String k : new String[] {"replication.factor", "offset.storage.replication.factor", "config.storage.replication.factor",
        "status.storage.replication.factor", "checkpoints.topic.replication.factor", "heartbeats.topic.replication.factor"}) {
      p.put(k, rf);
    }
    p.put("replication.policy.class", "org.apache.kafka.connect.mirror.DefaultReplicationPolicy");
    p.put("replication.policy.separator", MirrorConfig.SEPARATOR);
    // Only the data flows: delivery reads the copies where they land, so there are no consumer
    // groups to translate, and the mirror writes nothing to a datacenter (it may have read-only rights there).
    p.put("emit.heartbeats.enabled", "false");
    p.put("emit.checkpoints.enabled", "false");
    p.put("sync.group.offsets.enabled", "false");
    p.put("emit.offset-syncs.enabled", "false");
    // The central copy's settings are the central site's (retention sized for delivery, min ISR),
    // not the datacenter's: a datacenter that shrinks its retention must not shrink the copy's.
    p.put("sync.topic.configs.enabled", "false");
    p.put("sync.topic.acls.enabled", "false");
    p.put("refresh.topics.interval.seconds", Integer.toString(REFRESH_TOPICS_SECONDS));

    String topicRegex = Pattern.quote(config.kafka().topic());
    for (MirrorConfig.Source s : mirror.sources().values()) {
      p.put(s.name() + ".bootstrap.servers", s.bootstrapServers());
      s.properties().forEach((k, v) -> p.put(s.name() + "." + k, v));
      String flow = s.name() + "->" + CENTRAL + ".";
      p.put(flow + "enabled", "true");
      p.put(flow + "topics", topicRegex);
      // Each copy carries its source offset, so the mirror can tell a record it skipped from one it copied twice.
      p.put(flow + "transforms", TRANSFORM);
      p.put(flow + "transforms." + TRANSFORM + ".type", SourceOffsetHeader.class.getName());
    }
    p.putAll(mirror.properties());
    return p;
  }

  /** The properties with every value of a key that may hold a secret replaced, for logs. */
  static Map<String, String> redacted(Map<String, String> props) {
    Map<String, String> out = new LinkedHashMap<>();
    props.forEach((k, v) -> out.put(k, secret(k) ? "[hidden]" : v));
    return out;
  }

  static boolean secret(String key) {
    String k = key.toLowerCase(java.util.Locale.ROOT);
    return k.contains("password") || k.contains("jaas") || k.contains("secret") || k.contains("token") || k.contains("key");
  }
}
