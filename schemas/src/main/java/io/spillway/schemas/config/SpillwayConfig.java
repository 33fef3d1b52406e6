package io.spillway.schemas.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.spillway.schemas.Route;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole {@code spillway.yml}. Every key, its type, default, check and meaning is declared once in
 * {@link ConfigKeys}; the readers here build the section records from those declarations and check
 * what spans several keys. Each service reads only the sections it needs, so one file can serve the
 * whole fleet; the edge never needs {@code secret}.
 */
public record SpillwayConfig(
    EdgeConfig edge,
    BridgeConfig bridge,
    DeliveryConfig delivery,
    RedisConfig redis,
    KafkaConfig kafka,
    Map<String, UpstreamConfig> upstreams,
    Route defaultRoute,
    FiltersConfig filters,
    PrivacyConfig privacy,
    MirrorConfig mirror,
    Role role) {

  /** Datacenter names become MirrorMaker 2 aliases and the prefix of the central copy ({@code <dc>.<topic>}). */
  private static final java.util.regex.Pattern DATACENTER_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{1,100}");
  /**
   * MirrorMaker 2 settings that Spillway owns: the cluster list and addresses (from {@code kafka} and
   * {@code mirror.sources}), the topic and the naming of the copies, which delivery and replay rely on.
   */
  private static final java.util.regex.Pattern MIRROR_OWNED = java.util.regex.Pattern.compile(
      "clusters|topics|bootstrap\\.servers|replication\\.policy\\..*|[^.]+\\.bootstrap\\.servers|[^.]+->[^.]+\\.(enabled|topics)");

  /** Loads a file, substituting {@code ${ENV}} from the process environment. */
  public static SpillwayConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException(file.toString(), List.of("cannot read file: " + e.getMessage()));
    }
    return parse(text, System.getenv(), file.toString(), file.toAbsolutePath().getParent());
  }

  /** Parses YAML text; {@code source} names it in error messages; relative file names are taken from the working directory. */
  public static SpillwayConfig parse(String yaml, Map<String, String> env, String source) {
    return parse(yaml, env, source, Path.of("").toAbsolutePath());
  }

  /** Parses YAML text; relative file names in it (e.g. {@code tls.ca_file}) are resolved against {@code baseDir}. */
  public static SpillwayConfig parse(String yaml, Map<String, String> env, String source, Path baseDir) {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
    } catch (JsonProcessingException e) {
      String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr();
      throw new ConfigException(source, List.of("not valid YAML" + where + ": " + e.getOriginalMessage()));
    }
    if (root != null && !root.isNull() && !root.isObject() && !root.isMissingNode()) {
      throw new ConfigException(source, List.of("the top level must be a mapping"));
    }
    List<String> problems = new ArrayList<>();
    SpillwayConfig config = read(new ConfigReader(root != null && root.isObject() ? root : null, problems, env, ConfigKeys.ROOT, baseDir));
    if (!problems.isEmpty()) throw new ConfigException(source, problems);
    return config;
  }

  /** A config with every default and no upstreams: a starting point for tests and {@code up}. */
  public static SpillwayConfig defaults() {
    return parse("{}", Map.of(), "defaults");
  }

  /**
   * Problems with the files the config names (the PEM files of {@code upstreams.<u>.tls}: missing,
   * unreadable, not PEM, a key that does not match its certificate), each naming its key; empty when
   * all are fine. Not part of {@link #parse}: only delivery reads these files, and one config may serve
   * hosts that do not have them. {@code check-config} and delivery's start call it.
   */
  public List<String> fileProblems() {
    List<String> problems = new ArrayList<>();
    java.util.Date now = new java.util.Date();
    upstreams.values().forEach(u -> problems.addAll(PemFiles.check("upstreams." + u.name() + ".tls", u.tls(), now)));
    return problems;
  }

  private static SpillwayConfig read(ConfigReader r) {
    RedisConfig redis = readRedis(r.section(ConfigKeys.REDIS));
    KafkaConfig kafka = readKafka(r.section(ConfigKeys.KAFKA));
    EdgeConfig edge = readEdge(r.section(ConfigKeys.EDGE));
    BridgeConfig bridge = readBridge(r.section(ConfigKeys.BRIDGE), redis);
    DeliveryConfig delivery = readDelivery(r.section(ConfigKeys.DELIVERY));
    FiltersConfig filters = FiltersConfig.read(r, ConfigKeys.FILTERS, FiltersConfig.NONE);
    MirrorConfig mirror = readMirror(r.section(ConfigKeys.MIRROR));
    Role role = mirror.enabled() ? Role.CENTRAL
        : !r.has(ConfigKeys.DELIVERY) && !edge.datacenter().equals(ConfigKeys.EDGE_DATACENTER.defaultValue()) ? Role.DATACENTER
        : Role.SINGLE_SITE;

    Map<String, UpstreamConfig> upstreams = new LinkedHashMap<>();
    r.sections(ConfigKeys.UPSTREAM).forEach((name, u) -> {
      if (!Route.isName(name)) {
        u.problem("", "upstream names may use letters, digits, '_', '-' and '.' only");
        return;
      }
      UpstreamConfig upstream = readUpstream(name, u, filters);
      if (upstream != null) upstreams.put(name, upstream);
    });

    Route defaultRoute = r.get(ConfigKeys.DEFAULT_ROUTE);
    if (defaultRoute != null) {
      UpstreamConfig u = upstreams.get(defaultRoute.upstream());
      if (u == null || !u.projects().containsKey(defaultRoute.project())) {
        r.problem(ConfigKeys.DEFAULT_ROUTE.name(), "no such route: " + defaultRoute);
      }
    }
    PrivacyConfig privacy = PrivacyConfigReader.read(r, ConfigKeys.PRIVACY);
    r.rejectUnknownKeys();
    SpillwayConfig config = new SpillwayConfig(edge, bridge, delivery, redis, kafka, inFileOrder(upstreams), defaultRoute, filters,
        privacy, mirror, role);
    RouteTable.checkUnique(config, r);
    RouteTable.checkCopies(config, r);
    return config;
  }

  private static EdgeConfig readEdge(ConfigReader r) {
    URI publicUrl = r.get(ConfigKeys.EDGE_PUBLIC_URL);
    EdgeConfig c = new EdgeConfig(
        r.get(ConfigKeys.EDGE_LISTEN),
        r.get(ConfigKeys.EDGE_ADMIN),
        publicUrl == null ? null : publicUrl.toString(),
        r.get(ConfigKeys.EDGE_INSTANCE, () -> hostname("edge")),
        r.get(ConfigKeys.EDGE_DATACENTER),
        r.get(ConfigKeys.EDGE_MAX_EVENT_BYTES),
        r.get(ConfigKeys.EDGE_MAX_ENVELOPE_BYTES),
        r.get(ConfigKeys.EDGE_READ_TIMEOUT),
        r.get(ConfigKeys.EDGE_TRUST_FORWARDED_FOR),
        r.get(ConfigKeys.EDGE_REQUEST_TIMEOUT),
        r.get(ConfigKeys.EDGE_TUNNEL_PATH),
        r.get(ConfigKeys.EDGE_ALLOWED_ORIGINS));
    if (c.maxEnvelopeBytes() < c.maxEventBytes()) r.problem(ConfigKeys.EDGE_MAX_ENVELOPE_BYTES.name(), "must be at least max_event_bytes");
    r.rejectUnknownKeys();
    return c;
  }

  private static BridgeConfig readBridge(ConfigReader r, RedisConfig redis) {
    BridgeConfig c = new BridgeConfig(
        r.get(ConfigKeys.BRIDGE_ADMIN),
        r.get(ConfigKeys.BRIDGE_CONSUMER),
        r.get(ConfigKeys.BRIDGE_GROUP),
        r.get(ConfigKeys.BRIDGE_BATCH_SIZE),
        r.get(ConfigKeys.BRIDGE_BLOCK),
        r.get(ConfigKeys.BRIDGE_CLAIM_IDLE),
        r.get(ConfigKeys.BRIDGE_DEAD_LETTER_STREAM, () -> redis.stream() + ":dead"));
    r.rejectUnknownKeys();
    return c;
  }

  private static DeliveryConfig readDelivery(ConfigReader r) {
    DeliveryConfig c = new DeliveryConfig(
        r.get(ConfigKeys.DELIVERY_ADMIN),
        r.get(ConfigKeys.DELIVERY_APPLICATION_ID),
        r.get(ConfigKeys.DELIVERY_MAX_EVENT_AGE),
        r.get(ConfigKeys.DELIVERY_STREAM_THREADS),
        r.get(ConfigKeys.DELIVERY_RETRY_INITIAL),
        r.get(ConfigKeys.DELIVERY_RETRY_MAX),
        r.get(ConfigKeys.DELIVERY_STATE_DIR, () -> Path.of(System.getProperty("java.io.tmpdir"), "spillway-delivery").toString()),
        r.get(ConfigKeys.DELIVERY_PUNCTUATE_INTERVAL),
        r.get(ConfigKeys.DELIVERY_DEDUP_WINDOW),
        r.get(ConfigKeys.DELIVERY_CHUNK_TIMEOUT),
        r.get(ConfigKeys.DELIVERY_STANDBY_REPLICAS),
        r.get(ConfigKeys.DELIVERY_INSTANCE_ID),
        r.get(ConfigKeys.DELIVERY_STORE_MEMORY));
    if (c.retryMax().compareTo(c.retryInitial()) < 0) r.problem(ConfigKeys.DELIVERY_RETRY_MAX.name(), "must be at least retry_initial");
    r.rejectUnknownKeys();
    return c;
  }

  private static MirrorConfig readMirror(ConfigReader r) {
    HostPort admin = r.get(ConfigKeys.MIRROR_ADMIN);
    Map<String, MirrorConfig.Source> sources = new LinkedHashMap<>();
    r.sections(ConfigKeys.MIRROR_SOURCE).forEach((name, s) -> {
      if (!DATACENTER_NAME.matcher(name).matches()) {
        s.problem("", "datacenter names may use letters, digits, '_' and '-' only (the name prefixes the central copy: "
            + "<dc>" + MirrorConfig.SEPARATOR + "<topic>)");
        return;
      }
      if (name.equals(MirrorConfig.CENTRAL_ALIAS)) {
        s.problem("", "'" + MirrorConfig.CENTRAL_ALIAS + "' is the mirror's name for the central cluster; choose another name");
        return;
      }
      String bootstrap = s.get(ConfigKeys.MIRROR_SOURCE_BOOTSTRAP_SERVERS);
      Map<String, String> props = s.get(ConfigKeys.MIRROR_SOURCE_PROPERTIES);
      if (props.containsKey("bootstrap.servers")) {
        s.problem("properties.bootstrap.servers", "set mirror.sources." + name + ".bootstrap_servers instead");
      }
      s.rejectUnknownKeys();
      sources.put(name, new MirrorConfig.Source(name, bootstrap == null ? "" : bootstrap, inFileOrder(props)));
    });
    Map<String, String> props = r.get(ConfigKeys.MIRROR_PROPERTIES);
    props.keySet().forEach(k -> {
      if (MIRROR_OWNED.matcher(k).matches()) {
        r.problem(ConfigKeys.MIRROR_PROPERTIES.name() + "." + k, "set by Spillway (from kafka.*, mirror.sources and kafka.topic; the "
            + "copies must be named <dc>" + MirrorConfig.SEPARATOR + "<topic>)");
      }
    });
    r.rejectUnknownKeys();
    return new MirrorConfig(admin, inFileOrder(sources), inFileOrder(props));
  }

  private static RedisConfig readRedis(ConfigReader r) {
    RedisConfig c = new RedisConfig(
        r.get(ConfigKeys.REDIS_URI),
        r.get(ConfigKeys.REDIS_STREAM),
        r.get(ConfigKeys.REDIS_SHARDS),
        r.get(ConfigKeys.REDIS_MAX_BUFFER_BYTES),
        r.get(ConfigKeys.REDIS_COMMAND_TIMEOUT),
        r.get(ConfigKeys.REDIS_REQUEST_QUEUE_SIZE));
    r.rejectUnknownKeys();
    return c;
  }

  private static KafkaConfig readKafka(ConfigReader r) {
    String topic = r.get(ConfigKeys.KAFKA_TOPIC);
    KafkaConfig c = new KafkaConfig(
        r.get(ConfigKeys.KAFKA_BOOTSTRAP_SERVERS),
        topic,
        r.get(ConfigKeys.KAFKA_DLQ_TOPIC, () -> topic + ".dlq"),
        r.get(ConfigKeys.KAFKA_PARTITIONS),
        r.get(ConfigKeys.KAFKA_REPLICATION_FACTOR).shortValue(),
        r.get(ConfigKeys.KAFKA_MIN_INSYNC_REPLICAS),
        inFileOrder(r.get(ConfigKeys.KAFKA_PROPERTIES)));
    if (c.minInsyncReplicas() > c.replicationFactor()) {
      r.problem(ConfigKeys.KAFKA_MIN_INSYNC_REPLICAS.name(), "must not exceed replication_factor (" + c.replicationFactor() + ")");
    }
    r.rejectUnknownKeys();
    return c;
  }

  private static UpstreamConfig readUpstream(String name, ConfigReader r, FiltersConfig filters) {
    URI uri = r.get(ConfigKeys.UPSTREAM_URL);
    UpstreamConfig.RateLimit limit = null;
    if (r.has(ConfigKeys.RATE_LIMIT)) {
      ConfigReader rl = r.section(ConfigKeys.RATE_LIMIT);
      Double eps = rl.get(ConfigKeys.RATE_LIMIT_EVENTS_PER_SECOND);
      double perSecond = eps == null ? 0 : eps;
      int burst = rl.get(ConfigKeys.RATE_LIMIT_BURST, () -> (int) Math.max(1, (long) Math.ceil(perSecond)));
      rl.rejectUnknownKeys();
      limit = new UpstreamConfig.RateLimit(perSecond, burst);
    }
    int maxInFlight = r.get(ConfigKeys.UPSTREAM_MAX_IN_FLIGHT);
    Duration timeout = r.get(ConfigKeys.UPSTREAM_TIMEOUT);
    Map<String, ProjectConfig> projects = new LinkedHashMap<>();
    r.sections(ConfigKeys.PROJECT).forEach((pname, p) -> {
      if (!Route.isName(pname)) {
        p.problem("", "project names may use letters, digits, '_', '-' and '.' only");
        return;
      }
      projects.put(pname, readProject(pname, p, filters));
    });
    if (projects.isEmpty()) r.problem(ConfigKeys.PROJECT.name(), "an upstream needs at least one project");
    UpstreamConfig.Tls tls = readTls(r, uri);
    UpstreamConfig.Proxy proxy = r.get(ConfigKeys.UPSTREAM_PROXY);
    UpstreamConfig.Http2 http2 = r.get(ConfigKeys.UPSTREAM_HTTP2);
    r.rejectUnknownKeys();
    return uri == null ? null
        : new UpstreamConfig(name, uri, limit, maxInFlight, timeout, inFileOrder(projects), tls, proxy, http2);
  }

  /** {@code tls: {ca_file, client_cert_file, client_key_file}}: names only; the files are checked by {@link #fileProblems}. */
  private static UpstreamConfig.Tls readTls(ConfigReader u, URI url) {
    if (!u.has(ConfigKeys.TLS)) return UpstreamConfig.Tls.DEFAULT;
    ConfigReader r = u.section(ConfigKeys.TLS);
    Path ca = r.get(ConfigKeys.TLS_CA_FILE);
    Path cert = r.get(ConfigKeys.TLS_CLIENT_CERT_FILE);
    Path key = r.get(ConfigKeys.TLS_CLIENT_KEY_FILE);
    String certName = ConfigKeys.TLS_CLIENT_CERT_FILE.name();
    String keyName = ConfigKeys.TLS_CLIENT_KEY_FILE.name();
    if ((cert == null) != (key == null) && !r.hasProblemFor(certName) && !r.hasProblemFor(keyName)) {
      r.problem(cert == null ? certName : keyName, "is required with " + (cert == null ? keyName : certName));
    }
    if (url != null && !"https".equals(url.getScheme())) u.problem(ConfigKeys.TLS.name(), "applies to https:// urls only");
    r.rejectUnknownKeys();
    return new UpstreamConfig.Tls(ca, cert, key);
  }

  private static ProjectConfig readProject(String name, ConfigReader r, FiltersConfig globalFilters) {
    Long id = r.get(ConfigKeys.PROJECT_ID);
    String secret = r.get(ConfigKeys.PROJECT_SECRET);
    ProjectConfig c = new ProjectConfig(name, r.get(ConfigKeys.PROJECT_ALIAS), id == null ? 0 : id, r.get(ConfigKeys.PROJECT_KEY),
        secret == null || secret.isEmpty() ? null : secret,
        r.get(ConfigKeys.PROJECT_QUOTA_EVENTS_PER_SECOND),
        r.get(ConfigKeys.PROJECT_COPY_TO),
        r.get(ConfigKeys.PROJECT_COPY_TO_SAMPLE_RATE),
        FiltersConfig.read(r, ConfigKeys.PROJECT_FILTERS, globalFilters),
        QuotaGuardConfig.read(r),
        PrivacyConfigReader.read(r, ConfigKeys.PROJECT_PRIVACY));
    r.rejectUnknownKeys();
    return c;
  }

  /** Immutable, iterating in file order (so listings and checks are stable; Map.copyOf is not). */
  private static <V> Map<String, V> inFileOrder(Map<String, V> m) {
    return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(m));
  }

  /** This machine's name for instance labels and client ids: {@code $HOSTNAME}, else the local host name, else {@code fallback}. */
  public static String hostname(String fallback) {
    String h = System.getenv("HOSTNAME");
    if (h != null && !h.isEmpty()) return h;
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return fallback;
    }
  }

  /** The route table built from this config (what the edge and delivery look routes up in). */
  public RouteTable routes() {
    return RouteTable.of(this);
  }

  /**
   * The topics delivery reads: {@code kafka.topic}, then the central copy of it from each datacenter
   * under {@code mirror.sources} ({@code <dc>.<topic>}), in file order.
   */
  public java.util.List<String> deliveryTopics() {
    java.util.List<String> topics = new ArrayList<>();
    topics.add(kafka.topic());
    mirror.sources().keySet().forEach(dc -> topics.add(MirrorConfig.remoteTopic(dc, kafka.topic())));
    return java.util.List.copyOf(topics);
  }

  /** For tests: the same config with other sections. */
  public SpillwayConfig withRedis(RedisConfig r) {
    return new SpillwayConfig(edge, bridge, delivery, r, kafka, upstreams, defaultRoute, filters, privacy, mirror, role);
  }

  public SpillwayConfig withKafka(KafkaConfig k) {
    return new SpillwayConfig(edge, bridge, delivery, redis, k, upstreams, defaultRoute, filters, privacy, mirror, role);
  }
}
