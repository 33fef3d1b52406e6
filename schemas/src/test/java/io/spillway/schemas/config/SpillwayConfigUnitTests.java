package io.spillway.schemas.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spillway.schemas.Route;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpillwayConfigUnitTests {
  static final String EXAMPLE = """
      edge:      { listen: "0.0.0.0:9000", admin: "127.0.0.1:9100", max_event_bytes: 1048576 }
      bridge:    { admin: "127.0.0.1:9101" }
      delivery:  { admin: "127.0.0.1:9102", max_event_age: "29d" }
      redis:     { uri: "redis://127.0.0.1:6379", stream: "spillway:events", shards: 1, max_buffer_bytes: 1073741824 }
      kafka:     { bootstrap_servers: "127.0.0.1:9092", topic: "spillway.events", partitions: 12, replication_factor: 1 }
      upstreams:
        wow:
          url: "https://wow.sentry.example.com"
          rate_limit: { events_per_second: 200, burst: 400 }
          max_in_flight: 64
          projects:
            vod_be: { alias: "vodbe", id: 20, key: "${WOW_VOD_BE_KEY}", secret: "${WOW_VOD_BE_SECRET}" }
      default_route: null
      """;

  @Test
  void readsTheArchitectureExample() {
    SpillwayConfig c = SpillwayConfig.parse(EXAMPLE, Map.of("WOW_VOD_BE_KEY", "k1", "WOW_VOD_BE_SECRET", "s1"), "test");
    assertThat(c.edge().listen()).isEqualTo(new HostPort("0.0.0.0", 9000));
    assertThat(c.delivery().maxEventAge()).isEqualTo(Duration.ofDays(29));
    assertThat(c.kafka().dlqTopic()).isEqualTo("spillway.events.dlq");
    UpstreamConfig wow = c.upstreams().get("wow");
    assertThat(wow.rateLimit()).isEqualTo(new UpstreamConfig.RateLimit(200, 400));
    ProjectConfig p = wow.projects().get("vod_be");
    assertThat(p.id()).isEqualTo(20);
    assertThat(p.key()).isEqualTo("k1");
    assertThat(p.secret()).isEqualTo("s1");
    assertThat(c.defaultRoute()).isNull();
  }

  @Test
  void secretsNeverAppearInToString() {
    SpillwayConfig c = SpillwayConfig.parse(EXAMPLE, Map.of("WOW_VOD_BE_KEY", "realkey123", "WOW_VOD_BE_SECRET", "realsecret456"), "test");
    assertThat(c.toString()).doesNotContain("realkey123").doesNotContain("realsecret456");
  }

  @Test
  void emptyFileMeansDefaults() {
    SpillwayConfig c = SpillwayConfig.parse("", Map.of(), "test");
    assertThat(c.redis().uri()).isEqualTo("redis://127.0.0.1:6379");
    assertThat(c.redis().streamKeys()).containsExactly("spillway:events");
    assertThat(c.bridge().deadLetterStream()).isEqualTo("spillway:events:dead");
    assertThat(c.upstreams()).isEmpty();
  }

  @Test
  void errorsNameTheKeyAndTheProblem() {
    String yaml = """
        edge: { listen: "nope", max_event_bytes: "big" }
        redis: { shards: 0, uri: "http://x" }
        kafka: { partitons: 3 }
        delivery: { max_event_age: "a month" }
        upstreams:
          wow:
            url: "ftp://x"
            projects:
              vod_be: { id: "twenty", key: "${MISSING_KEY}" }
              other: { alias: "a", id: 3 }
        default_route: "wow/nope"
        """;
    assertThatThrownBy(() -> SpillwayConfig.parse(yaml, Map.of(), "spillway.yml"))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactlyInAnyOrder(
            "redis.shards: must be between 1 and 1024, got 0",
            "redis.uri: expected redis://host:port, rediss://… or redis-socket://path",
            "kafka.partitons: unknown key (did you mean partitions?)",
            "edge.listen: expected host:port, got \"nope\"",
            "edge.max_event_bytes: expected a size like 1048576, 512KiB, 1MiB or 1GiB, got \"big\"",
            "delivery.max_event_age: expected a duration like 500ms, 30s, 10m, 2h or 29d, got \"a month\"",
            "upstreams.wow.url: expected an http:// or https:// URL, got \"ftp://x\"",
            "upstreams.wow.projects.vod_be.id: expected an integer, got \"twenty\"",
            "upstreams.wow.projects.vod_be.key: environment variable MISSING_KEY is not set",
            "upstreams.wow.projects.other.key: is required",
            "default_route: no such route: wow/nope"))
        .hasMessageStartingWith("spillway.yml: 11 problems");
  }

  @Test
  void envSubstitutionWithDefaults() {
    SpillwayConfig c = SpillwayConfig.parse("redis: { uri: \"redis://${REDIS_HOST:-localhost}:${REDIS_PORT}\" }",
        Map.of("REDIS_PORT", "7000"), "t");
    assertThat(c.redis().uri()).isEqualTo("redis://localhost:7000");
  }

  @Test
  void redisPasswordIsRedacted() {
    SpillwayConfig c = SpillwayConfig.parse("redis: { uri: \"redis://:hunter2@host:6379\" }", Map.of(), "t");
    assertThat(c.redis().toString()).doesNotContain("hunter2");
    assertThat(c.toString()).doesNotContain("hunter2");
  }

  @Test
  void duplicateAliasesAndKeysAreRejected() {
    String yaml = """
        upstreams:
          a: { url: "http://a", projects: { p1: { alias: x, id: 1, key: k }, p2: { alias: x, id: 2, key: k } } }
        """;
    assertThatThrownBy(() -> SpillwayConfig.parse(yaml, Map.of(), "t"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("upstreams.a.projects.p2.alias: the same alias is used by upstreams.a.projects.p1")
        .hasMessageContaining("upstreams.a.projects.p2.key: the same key is used by upstreams.a.projects.p1");
  }

  @Test
  void routeTableFollowsTheDsnSwapOrder() {
    String yaml = """
        upstreams:
          wow:
            url: "https://wow.example"
            projects:
              vod_be: { alias: vodbe, id: 20, key: realkey1, secret: realsecret }
              api: { id: 21, key: realkey2 }
          other:
            url: "https://other.example"
            projects:
              wow: { alias: realkey2x, id: 5, key: k5 }
        """;
    RouteTable t = SpillwayConfig.parse(yaml, Map.of(), "t").routes();
    assertThat(t.resolve("vodbe", null)).contains(new Route("wow", "vod_be"));
    assertThat(t.resolve("wow", "api")).contains(new Route("wow", "api"));
    assertThat(t.resolve("wow", "nope")).isEmpty();
    assertThat(t.resolve("realkey2", null)).contains(new Route("wow", "api"));
    assertThat(t.resolve("realkey2", "whatever")).contains(new Route("wow", "api"));
    assertThat(t.resolve("unknown", null)).isEmpty();
    assertThat(t.resolve(null, null)).isEmpty();
    assertThat(t.project(new Route("wow", "vod_be")).orElseThrow().id()).isEqualTo(20);
  }

  @Test
  void upstreamsAndProjectsKeepFileOrder() {
    String yaml = """
        upstreams:
          zeta:  { url: "http://z", projects: { z2: { id: 1, key: k1 }, a1: { id: 2, key: k2 }, m3: { id: 3, key: k3 } } }
          alpha: { url: "http://a", projects: { only: { id: 4, key: k4 } } }
          mid:   { url: "http://m", projects: { only: { id: 5, key: k5 } } }
        """;
    SpillwayConfig c = SpillwayConfig.parse(yaml, Map.of(), "t");
    assertThat(c.upstreams().keySet()).containsExactly("zeta", "alpha", "mid");
    assertThat(c.upstreams().get("zeta").projects().keySet()).containsExactly("z2", "a1", "m3");
  }

  @Test
  void defaultRouteCatchesUnknownKeys() {
    String yaml = """
        upstreams: { wow: { url: "https://wow.example", projects: { p: { id: 1, key: k } } } }
        default_route: wow/p
        """;
    RouteTable t = SpillwayConfig.parse(yaml, Map.of(), "t").routes();
    assertThat(t.resolve("anything", null)).contains(new Route("wow", "p"));
  }

  @Test
  void deliveryStateDirAndPunctuateInterval() {
    SpillwayConfig d = SpillwayConfig.parse("", Map.of(), "t");
    assertThat(d.delivery().stateDir()).isEqualTo(java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "spillway-delivery").toString());
    assertThat(d.delivery().punctuateInterval()).isEqualTo(Duration.ofMillis(5));
    SpillwayConfig c = SpillwayConfig.parse("delivery: { state_dir: /var/lib/spillway, punctuate_interval: 50ms }", Map.of(), "t");
    assertThat(c.delivery().stateDir()).isEqualTo("/var/lib/spillway");
    assertThat(c.delivery().punctuateInterval()).isEqualTo(Duration.ofMillis(50));
    assertThatThrownBy(() -> SpillwayConfig.parse("delivery: { punctuate_interval: 5s }", Map.of(), "t"))
        .hasMessageContaining("delivery.punctuate_interval: must be between 1ms and 1s");
  }

  static final String CENTRAL = """
      delivery: { admin: "127.0.0.1:9102", dedup_window: 30m }
      kafka:    { bootstrap_servers: "central-kafka:9092", topic: "spillway.events", replication_factor: 3 }
      mirror:
        admin: "127.0.0.1:9103"
        sources:
          dc1: { bootstrap_servers: "dc1-kafka:9092" }
          dc2: { bootstrap_servers: "dc2-kafka:9092,dc2-kafka-2:9092",
                 properties: { security.protocol: SASL_SSL, sasl.jaas.config: "${DC2_JAAS}" } }
        properties: { offset.flush.interval.ms: "5000" }
      upstreams: { wow: { url: "https://wow.example", projects: { p: { id: 1, key: k } } } }
      """;

  @Test
  void aCentralConfigMirrorsEachDatacenterAndDeliversTheirCopies() {
    SpillwayConfig c = SpillwayConfig.parse(CENTRAL, Map.of("DC2_JAAS", "org.apache.kafka.common.security.plain.PlainLoginModule required "
        + "username=\"u\" password=\"pw-secret-123\";"), "central.yml");
    assertThat(c.role()).isEqualTo(Role.CENTRAL);
    assertThat(c.role().services()).containsExactly("mirror", "delivery");
    assertThat(c.mirror().admin()).isEqualTo(new HostPort("127.0.0.1", 9103));
    assertThat(c.mirror().sources().keySet()).containsExactly("dc1", "dc2");
    assertThat(c.mirror().sources().get("dc2").bootstrapServers()).isEqualTo("dc2-kafka:9092,dc2-kafka-2:9092");
    assertThat(c.mirror().sources().get("dc2").properties()).containsEntry("security.protocol", "SASL_SSL");
    assertThat(c.mirror().properties()).containsEntry("offset.flush.interval.ms", "5000");
    assertThat(c.deliveryTopics()).containsExactly("spillway.events", "dc1.spillway.events", "dc2.spillway.events");
    assertThat(c.delivery().dedupWindow()).isEqualTo(Duration.ofMinutes(30));
    assertThat(c.toString()).doesNotContain("pw-secret-123").contains("sasl.jaas.config");
  }

  @Test
  void theRoleFollowsTheSectionsAConfigHas() {
    assertThat(SpillwayConfig.parse("", Map.of(), "t").role()).isEqualTo(Role.SINGLE_SITE);
    assertThat(SpillwayConfig.parse(EXAMPLE, Map.of("WOW_VOD_BE_KEY", "k", "WOW_VOD_BE_SECRET", "s"), "t").role())
        .isEqualTo(Role.SINGLE_SITE);
    assertThat(SpillwayConfig.parse("edge: { listen: \"0.0.0.0:9000\" }", Map.of(), "t").role())
        .as("no datacenter named: a single site that leaves delivery at its defaults").isEqualTo(Role.SINGLE_SITE);
    SpillwayConfig dc = SpillwayConfig.parse("""
        edge:   { datacenter: dc1 }
        bridge: { admin: "127.0.0.1:9101" }
        redis:  { uri: "redis://dc1-redis:6379" }
        kafka:  { bootstrap_servers: "dc1-kafka:9092" }
        """, Map.of(), "t");
    assertThat(dc.role()).isEqualTo(Role.DATACENTER);
    assertThat(dc.role().services()).containsExactly("edge", "bridge");
    assertThat(dc.mirror().enabled()).isFalse();
    assertThat(dc.deliveryTopics()).containsExactly("spillway.events");
  }

  @Test
  void dedupWindowDefaultsToAnHourAndZeroTurnsItOff() {
    assertThat(SpillwayConfig.parse("", Map.of(), "t").delivery().dedupWindow()).isEqualTo(Duration.ofHours(1));
    assertThat(SpillwayConfig.parse("delivery: { dedup_window: 0 }", Map.of(), "t").delivery().dedupWindow()).isZero();
    assertThat(SpillwayConfig.parse("delivery: { dedup_window: \"0\" }", Map.of(), "t").delivery().dedupWindow()).isZero();
    assertThatThrownBy(() -> SpillwayConfig.parse("delivery: { dedup_window: 10d }", Map.of(), "t"))
        .hasMessageContaining("delivery.dedup_window: must be 0 (off) or between 1s and 7d");
    assertThatThrownBy(() -> SpillwayConfig.parse("delivery: { dedup_window: soon }", Map.of(), "t"))
        .hasMessageContaining("delivery.dedup_window: expected 0 (off) or a duration like 500ms");
  }

  @Test
  void mirrorErrorsNameTheKey() {
    String yaml = """
        mirror:
          admin: "nowhere"
          sources:
            dc1: { bootstrap_servers: "dc1-kafka" }
            "dc.2": { bootstrap_servers: "x:1" }
            central: { bootstrap_servers: "x:1" }
            dc3: { properties: { bootstrap.servers: "x:1" } }
            dc4: { bootstrap_server: "x:1" }
          properties: { clusters: "a, b", "dc1->central.topics": ".*", replication.policy.separator: "_", tasks.max: "2" }
          sorces: {}
        """;
    assertThatThrownBy(() -> SpillwayConfig.parse(yaml, Map.of(), "central.yml"))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactlyInAnyOrder(
            "mirror.admin: expected host:port, got \"nowhere\"",
            "mirror.sources.dc1.bootstrap_servers: expected host:port, got \"dc1-kafka\"",
            "mirror.sources.dc.2: datacenter names may use letters, digits, '_' and '-' only (the name prefixes the central copy: <dc>.<topic>)",
            "mirror.sources.central: 'central' is the mirror's name for the central cluster; choose another name",
            "mirror.sources.dc3.bootstrap_servers: is required",
            "mirror.sources.dc3.properties.bootstrap.servers: set mirror.sources.dc3.bootstrap_servers instead",
            "mirror.sources.dc4.bootstrap_servers: is required",
            "mirror.sources.dc4.bootstrap_server: unknown key (did you mean bootstrap_servers?)",
            "mirror.properties.clusters: set by Spillway (from kafka.*, mirror.sources and kafka.topic; the copies must be named <dc>.<topic>)",
            "mirror.properties.dc1->central.topics: set by Spillway (from kafka.*, mirror.sources and kafka.topic; the copies must be named <dc>.<topic>)",
            "mirror.properties.replication.policy.separator: set by Spillway (from kafka.*, mirror.sources and kafka.topic; the copies must be named <dc>.<topic>)",
            "mirror.sorces: unknown key (did you mean sources?)"));
  }

  @Test
  void deliveryFailoverAndStoreMemoryKeys() {
    DeliveryConfig d = SpillwayConfig.parse("", Map.of(), "t").delivery();
    assertThat(d.standbyReplicas()).isEqualTo(1);
    assertThat(d.instanceId()).isEqualTo(DeliveryConfig.INSTANCE_ID_AUTO);
    assertThat(d.storeMemory()).isEqualTo(64L << 20);
    DeliveryConfig c = SpillwayConfig.parse("delivery: { standby_replicas: 0, instance_id: delivery-3.dc1, store_memory: 256MiB }",
        Map.of(), "t").delivery();
    assertThat(c.standbyReplicas()).isZero();
    assertThat(c.instanceId()).isEqualTo("delivery-3.dc1");
    assertThat(c.storeMemory()).isEqualTo(256L << 20);
    assertThat(SpillwayConfig.parse("delivery: { instance_id: none }", Map.of(), "t").delivery().instanceId()).isEqualTo("none");
    assertThatThrownBy(() -> SpillwayConfig.parse("delivery: { standby_replicas: 9, instance_id: \"pod 1\", store_memory: 1MiB }", Map.of(), "t"))
        .hasMessageContaining("delivery.standby_replicas: must be between 0 and 5, got 9")
        .hasMessageContaining("delivery.instance_id: expected auto, none or an id of letters")
        .hasMessageContaining("delivery.store_memory: must be at least 8MiB");
  }

  @Test
  void copiesNameConfiguredRoutesNeverThemselvesAndNeverLoop() {
    String base = """
        upstreams:
          selfhosted: { url: "https://sentry.internal", projects: { shop: { alias: shop, id: 3, key: k1, copy_to: %s } } }
          saas: { url: "https://o1.ingest.sentry.io", projects: { shop: { id: 4501234, key: k2, copy_to_sample_rate: %s %s } } }
        """;
    SpillwayConfig ok = SpillwayConfig.parse(base.formatted("[\"saas/shop\"]", "0.5", ""), Map.of(), "t");
    assertThat(ok.routes().destinations(io.spillway.schemas.Route.parse("selfhosted/shop")))
        .containsExactly(new RouteTable.Destination(io.spillway.schemas.Route.parse("selfhosted/shop"), 1.0),
            new RouteTable.Destination(io.spillway.schemas.Route.parse("saas/shop"), 0.5));
    assertThat(ok.routes().destinations(io.spillway.schemas.Route.parse("saas/shop"))).hasSize(1);
    assertThatThrownBy(() -> SpillwayConfig.parse(base.formatted("[\"saas/nope\"]", "1", ""), Map.of(), "t"))
        .hasMessageContaining("upstreams.selfhosted.projects.shop.copy_to: no such route: saas/nope");
    assertThatThrownBy(() -> SpillwayConfig.parse(base.formatted("[\"selfhosted/shop\"]", "1", ""), Map.of(), "t"))
        .hasMessageContaining("upstreams.selfhosted.projects.shop.copy_to: a route cannot copy to itself");
    assertThatThrownBy(() -> SpillwayConfig.parse(base.formatted("[\"saas/shop\"]", "1", ", copy_to: [\"selfhosted/shop\"]"), Map.of(), "t"))
        .hasMessageContaining("copies loop back: ");
    assertThatThrownBy(() -> SpillwayConfig.parse(base.formatted("[\"saas/shop\"]", "1.5", ""), Map.of(), "t"))
        .hasMessageContaining("upstreams.saas.projects.shop.copy_to_sample_rate: must be between 0 and 1");
    assertThatThrownBy(() -> SpillwayConfig.parse(base.formatted("[\"not a route\"]", "1", ""), Map.of(), "t"))
        .hasMessageContaining("upstreams.selfhosted.projects.shop.copy_to: ");
  }

  /** A sampled copy takes its share by event id: the same id always, and 10 % of 10,000 ids within a point or two. */
  @Test
  void aSampledCopyTakesItsShareByEventId() {
    RouteTable.Destination d = new RouteTable.Destination(io.spillway.schemas.Route.parse("a/b"), 0.1);
    java.util.Random random = new java.util.Random(7);
    int taken = 0;
    for (int i = 0; i < 10_000; i++) {
      String id = String.format("%016x%016x", random.nextLong(), random.nextLong());
      if (d.takes(id)) taken++;
      assertThat(d.takes(id)).isEqualTo(d.takes(id));
    }
    assertThat(taken).isBetween(800, 1200);
  }
}
