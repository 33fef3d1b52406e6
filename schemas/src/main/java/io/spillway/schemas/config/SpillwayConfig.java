package io.spillway.schemas.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.spillway.schemas.Route;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole {@code spillway.yml}. Every key, its default and its check live in {@link #read}; the
 * defaults are the {@code DEFAULT_*} constants of each section record. Each service reads only the
 * sections it needs, so one file can serve the whole fleet; the edge never needs {@code secret}.
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
    SpillwayConfig config = read(new ConfigReader(root != null && root.isObject() ? root : null, "", problems, env), baseDir);
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

  private static SpillwayConfig read(ConfigReader r, Path baseDir) {
    RedisConfig redis = readRedis(r.section("redis"));
    KafkaConfig kafka = readKafka(r.section("kafka"));
    EdgeConfig edge = readEdge(r.section("edge"));
    BridgeConfig bridge = readBridge(r.section("bridge"), redis);
    DeliveryConfig delivery = readDelivery(r.section("delivery"));
    FiltersConfig filters = FiltersConfig.read(r, "filters", FiltersConfig.NONE);
    MirrorConfig mirror = readMirror(r.section("mirror"));
    Role role = mirror.enabled() ? Role.CENTRAL
        : !r.has("delivery") && !edge.datacenter().equals(EdgeConfig.DEFAULT_DATACENTER) ? Role.DATACENTER
        : Role.SINGLE_SITE;

    Map<String, UpstreamConfig> upstreams = new LinkedHashMap<>();
    r.sections("upstreams").forEach((name, u) -> {
      if (!Route.isName(name)) {
        u.problem("", "upstream names may use letters, digits, '_', '-' and '.' only");
        return;
      }
      UpstreamConfig upstream = readUpstream(name, u, filters, baseDir);
      if (upstream != null) upstreams.put(name, upstream);
    });

    Route defaultRoute = null;
    String dr = r.string("default_route", null);
    if (dr != null) {
      try {
        defaultRoute = Route.parse(dr);
        UpstreamConfig u = upstreams.get(defaultRoute.upstream());
        if (u == null || !u.projects().containsKey(defaultRoute.project())) {
          r.problem("default_route", "no such route: " + dr);
        }
      } catch (IllegalArgumentException e) {
        r.problem("default_route", e.getMessage());
      }
    }
    PrivacyConfig privacy = PrivacyConfigReader.read(r, "privacy", baseDir);
    r.rejectUnknownKeys();
    SpillwayConfig config = new SpillwayConfig(edge, bridge, delivery, redis, kafka, inFileOrder(upstreams), defaultRoute, filters,
        privacy, mirror, role);
    RouteTable.checkUnique(config, r);
    RouteTable.checkCopies(config, r);
    return config;
  }

  private static EdgeConfig readEdge(ConfigReader r) {
    EdgeConfig c = new EdgeConfig(
        r.hostPort("listen", EdgeConfig.DEFAULT_LISTEN),
        r.hostPort("admin", EdgeConfig.DEFAULT_ADMIN),
        r.string("public_url", null),
        r.string("instance", hostname()),
        r.string("datacenter", EdgeConfig.DEFAULT_DATACENTER),
        r.bytes("max_event_bytes", EdgeConfig.DEFAULT_MAX_EVENT_BYTES),
        r.bytes("max_envelope_bytes", EdgeConfig.DEFAULT_MAX_ENVELOPE_BYTES),
        r.duration("read_timeout", EdgeConfig.DEFAULT_READ_TIMEOUT),
        r.bool("trust_forwarded_for", false),
        r.duration("request_timeout", EdgeConfig.DEFAULT_REQUEST_TIMEOUT),
        r.string("tunnel_path", EdgeConfig.DEFAULT_TUNNEL_PATH),
        r.stringList("allowed_origins", EdgeConfig.DEFAULT_ALLOWED_ORIGINS));
    if (c.maxEventBytes() <= 0) r.problem("max_event_bytes", "must be positive");
    if (c.maxEnvelopeBytes() < c.maxEventBytes()) r.problem("max_envelope_bytes", "must be at least max_event_bytes");
    if (c.publicUrl() != null) checkUrl(r, "public_url", c.publicUrl());
    if (c.requestTimeout().toMillis() < 100) r.problem("request_timeout", "must be at least 100ms");
    if (!c.tunnelPath().startsWith("/") || c.tunnelPath().startsWith("/api/") || c.tunnelPath().contains("?")
        || c.tunnelPath().length() < 2) {
      r.problem("tunnel_path", "must be a path like /tunnel, outside /api/, without a query");
    }
    for (String o : c.allowedOrigins()) {
      if (!o.equals("*") && !o.matches("https?://[^/\\s]+")) {
        r.problem("allowed_origins", "expected * or origins like https://app.example.com (scheme and host, no path), got \"" + o + "\"");
      }
    }
    r.rejectUnknownKeys();
    return c;
  }

  private static BridgeConfig readBridge(ConfigReader r, RedisConfig redis) {
    BridgeConfig c = new BridgeConfig(
        r.hostPort("admin", BridgeConfig.DEFAULT_ADMIN),
        r.string("consumer", null),
        r.string("group", BridgeConfig.DEFAULT_GROUP),
        (int) r.integer("batch_size", BridgeConfig.DEFAULT_BATCH_SIZE, 1, 100_000),
        r.duration("block", BridgeConfig.DEFAULT_BLOCK),
        r.duration("claim_idle", BridgeConfig.DEFAULT_CLAIM_IDLE),
        r.string("dead_letter_stream", redis.stream() + ":dead"));
    r.rejectUnknownKeys();
    return c;
  }

  private static DeliveryConfig readDelivery(ConfigReader r) {
    DeliveryConfig c = new DeliveryConfig(
        r.hostPort("admin", DeliveryConfig.DEFAULT_ADMIN),
        r.string("application_id", DeliveryConfig.DEFAULT_APPLICATION_ID),
        r.duration("max_event_age", DeliveryConfig.DEFAULT_MAX_EVENT_AGE),
        (int) r.integer("stream_threads", DeliveryConfig.DEFAULT_STREAM_THREADS, 1, 64),
        r.duration("retry_initial", DeliveryConfig.DEFAULT_RETRY_INITIAL),
        r.duration("retry_max", DeliveryConfig.DEFAULT_RETRY_MAX),
        r.string("state_dir", DeliveryConfig.DEFAULT_STATE_DIR),
        r.duration("punctuate_interval", DeliveryConfig.DEFAULT_PUNCTUATE_INTERVAL),
        r.durationOrZero("dedup_window", DeliveryConfig.DEFAULT_DEDUP_WINDOW),
        r.duration("chunk_timeout", DeliveryConfig.DEFAULT_CHUNK_TIMEOUT),
        (int) r.integer("standby_replicas", DeliveryConfig.DEFAULT_STANDBY_REPLICAS, 0, 5),
        r.string("instance_id", DeliveryConfig.DEFAULT_INSTANCE_ID),
        r.bytes("store_memory", DeliveryConfig.DEFAULT_STORE_MEMORY));
    if (!c.dedupWindow().isZero() && (c.dedupWindow().toMillis() < 1000 || c.dedupWindow().compareTo(Duration.ofDays(7)) > 0)) {
      r.problem("dedup_window", "must be 0 (off) or between 1s and 7d");
    }
    if (c.retryMax().compareTo(c.retryInitial()) < 0) r.problem("retry_max", "must be at least retry_initial");
    if (c.stateDir().isBlank()) r.problem("state_dir", "must not be empty");
    if (c.punctuateInterval().toMillis() < 1 || c.punctuateInterval().toMillis() > 1000) {
      r.problem("punctuate_interval", "must be between 1ms and 1s");
    }
    if (c.chunkTimeout().toSeconds() < 1) r.problem("chunk_timeout", "must be at least 1s");
    if (!DeliveryConfig.isInstanceId(c.instanceId())) {
      r.problem("instance_id", "expected auto, none or an id of letters, digits, '.', '_' and '-' (at most 200), got \"" + c.instanceId() + "\"");
    }
    if (c.storeMemory() < (8L << 20)) r.problem("store_memory", "must be at least 8MiB");
    r.rejectUnknownKeys();
    return c;
  }

  private static MirrorConfig readMirror(ConfigReader r) {
    HostPort admin = r.hostPort("admin", MirrorConfig.DEFAULT_ADMIN);
    Map<String, MirrorConfig.Source> sources = new LinkedHashMap<>();
    r.sections("sources").forEach((name, s) -> {
      if (!DATACENTER_NAME.matcher(name).matches()) {
        s.problem("", "datacenter names may use letters, digits, '_' and '-' only (the name prefixes the central copy: "
            + "<dc>" + MirrorConfig.SEPARATOR + "<topic>)");
        return;
      }
      if (name.equals(MirrorConfig.CENTRAL_ALIAS)) {
        s.problem("", "'" + MirrorConfig.CENTRAL_ALIAS + "' is the mirror's name for the central cluster; choose another name");
        return;
      }
      String bootstrap = s.requiredString("bootstrap_servers");
      if (bootstrap != null) {
        for (String hp : bootstrap.split(",")) {
          try {
            HostPort.parse(hp.trim());
          } catch (IllegalArgumentException e) {
            s.problem("bootstrap_servers", e.getMessage());
            break;
          }
        }
      }
      Map<String, String> props = s.stringMap("properties");
      if (props.containsKey("bootstrap.servers")) {
        s.problem("properties.bootstrap.servers", "set mirror.sources." + name + ".bootstrap_servers instead");
      }
      s.rejectUnknownKeys();
      sources.put(name, new MirrorConfig.Source(name, bootstrap == null ? "" : bootstrap, inFileOrder(props)));
    });
    Map<String, String> props = r.stringMap("properties");
    ConfigReader pr = r.section("properties");
    props.keySet().forEach(k -> {
      if (MIRROR_OWNED.matcher(k).matches()) {
        pr.problem(k, "set by Spillway (from kafka.*, mirror.sources and kafka.topic; the copies must be named <dc>"
            + MirrorConfig.SEPARATOR + "<topic>)");
      }
    });
    r.rejectUnknownKeys();
    return new MirrorConfig(admin, inFileOrder(sources), inFileOrder(props));
  }

  private static RedisConfig readRedis(ConfigReader r) {
    RedisConfig c = new RedisConfig(
        r.string("uri", RedisConfig.DEFAULT_URI),
        r.string("stream", RedisConfig.DEFAULT_STREAM),
        (int) r.integer("shards", RedisConfig.DEFAULT_SHARDS, 1, 1024),
        r.bytes("max_buffer_bytes", RedisConfig.DEFAULT_MAX_BUFFER_BYTES),
        r.duration("command_timeout", RedisConfig.DEFAULT_COMMAND_TIMEOUT),
        (int) r.integer("request_queue_size", RedisConfig.DEFAULT_REQUEST_QUEUE_SIZE, 1, 10_000_000));
    if (!c.uri().startsWith("redis://") && !c.uri().startsWith("rediss://") && !c.uri().startsWith("redis-socket://")) {
      r.problem("uri", "expected redis://host:port, rediss://… or redis-socket://path");
    }
    r.rejectUnknownKeys();
    return c;
  }

  private static KafkaConfig readKafka(ConfigReader r) {
    String topic = r.string("topic", KafkaConfig.DEFAULT_TOPIC);
    KafkaConfig c = new KafkaConfig(
        r.string("bootstrap_servers", KafkaConfig.DEFAULT_BOOTSTRAP_SERVERS),
        topic,
        r.string("dlq_topic", topic + ".dlq"),
        (int) r.integer("partitions", KafkaConfig.DEFAULT_PARTITIONS, 1, 10_000),
        (short) r.integer("replication_factor", KafkaConfig.DEFAULT_REPLICATION_FACTOR, 1, 32),
        (int) r.integer("min_insync_replicas", 0, 0, 32),
        inFileOrder(r.stringMap("properties")));
    if (c.minInsyncReplicas() > c.replicationFactor()) {
      r.problem("min_insync_replicas", "must not exceed replication_factor (" + c.replicationFactor() + ")");
    }
    r.rejectUnknownKeys();
    return c;
  }

  private static UpstreamConfig readUpstream(String name, ConfigReader r, FiltersConfig filters, Path baseDir) {
    String url = r.requiredString("url");
    URI uri = url == null ? null : checkUrl(r, "url", url);
    UpstreamConfig.RateLimit limit = null;
    if (r.has("rate_limit")) {
      ConfigReader rl = r.section("rate_limit");
      double eps = rl.number("events_per_second", 0, 0.001);
      if (!rl.has("events_per_second")) rl.problem("events_per_second", "is required");
      int burst = (int) rl.integer("burst", Math.max(1, (long) Math.ceil(eps)), 1, 10_000_000);
      rl.rejectUnknownKeys();
      limit = new UpstreamConfig.RateLimit(eps, burst);
    }
    int maxInFlight = (int) r.integer("max_in_flight", UpstreamConfig.DEFAULT_MAX_IN_FLIGHT, 1, 100_000);
    Duration timeout = r.duration("timeout", UpstreamConfig.DEFAULT_TIMEOUT);
    Map<String, ProjectConfig> projects = new LinkedHashMap<>();
    r.sections("projects").forEach((pname, p) -> {
      if (!Route.isName(pname)) {
        p.problem("", "project names may use letters, digits, '_', '-' and '.' only");
        return;
      }
      projects.put(pname, readProject(pname, p, filters, baseDir));
    });
    if (projects.isEmpty()) r.problem("projects", "an upstream needs at least one project");
    UpstreamConfig.Tls tls = readTls(r, uri, baseDir);
    UpstreamConfig.Proxy proxy = readProxy(r);
    UpstreamConfig.Http2 http2 = UpstreamConfig.Http2.AUTO;
    String h2 = r.string("http2", "auto");
    switch (h2) {
      case "auto" -> http2 = UpstreamConfig.Http2.AUTO;
      case "off", "false" -> http2 = UpstreamConfig.Http2.OFF; // YAML 1.1 reads a bare off as false
      default -> r.problem("http2", "expected auto or off, got \"" + h2 + "\"");
    }
    r.rejectUnknownKeys();
    return uri == null ? null
        : new UpstreamConfig(name, uri, limit, maxInFlight, timeout, inFileOrder(projects), tls, proxy, http2);
  }

  /** {@code tls: {ca_file, client_cert_file, client_key_file}}: names only; the files are checked by {@link #fileProblems}. */
  private static UpstreamConfig.Tls readTls(ConfigReader u, URI url, Path baseDir) {
    if (!u.has("tls")) return UpstreamConfig.Tls.DEFAULT;
    ConfigReader r = u.section("tls");
    Path ca = file(r, "ca_file", baseDir);
    Path cert = file(r, "client_cert_file", baseDir);
    Path key = file(r, "client_key_file", baseDir);
    if ((cert == null) != (key == null) && !r.hasProblemFor("client_cert_file") && !r.hasProblemFor("client_key_file")) {
      r.problem(cert == null ? "client_cert_file" : "client_key_file", "is required with " + (cert == null ? "client_key_file" : "client_cert_file"));
    }
    if (url != null && !"https".equals(url.getScheme())) u.problem("tls", "applies to https:// urls only");
    r.rejectUnknownKeys();
    return new UpstreamConfig.Tls(ca, cert, key);
  }

  /** %XX escapes as UTF-8 ('+' stays '+': this is a URL's user info, not a form). */
  private static String percentDecode(String s) {
    if (s.indexOf('%') < 0) return s;
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '%') {
        out.writeBytes(String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        continue;
      }
      if (i + 2 >= s.length()) throw new IllegalArgumentException("bad escape");
      int hi = Character.digit(s.charAt(i + 1), 16);
      int lo = Character.digit(s.charAt(i + 2), 16);
      if (hi < 0 || lo < 0) throw new IllegalArgumentException("bad escape");
      out.write(hi << 4 | lo);
      i += 2;
    }
    return out.toString(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** A file name; a relative one is resolved against the config file's directory. Null if absent. */
  static Path file(ConfigReader r, String name, Path baseDir) {
    String f = r.string(name, null);
    if (f == null) return null;
    if (f.isBlank()) {
      r.problem(name, "must not be empty");
      return null;
    }
    try {
      return baseDir.resolve(f).normalize();
    } catch (java.nio.file.InvalidPathException e) {
      r.problem(name, "not a file name: " + e.getReason());
      return null;
    }
  }

  /**
   * {@code proxy: "http://[user:pass@]host:port"}. Its text may hold a password: no message here
   * repeats it.
   */
  private static UpstreamConfig.Proxy readProxy(ConfigReader r) {
    String text = r.string("proxy", null);
    if (text == null || text.isEmpty()) return null;
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      r.problem("proxy", "expected http://[user:password@]host:port (not a URL: " + e.getReason() + ")");
      return null;
    }
    if (!"http".equalsIgnoreCase(uri.getScheme())) {
      r.problem("proxy", "expected http://[user:password@]host:port (only HTTP proxies are supported; https upstreams go through them by CONNECT)");
      return null;
    }
    if (uri.getHost() == null || uri.getPort() < 0) {
      r.problem("proxy", "expected http://[user:password@]host:port (the host and the port are required)");
      return null;
    }
    if ((uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/"))
        || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      r.problem("proxy", "expected http://[user:password@]host:port (no path, query or fragment)");
      return null;
    }
    String user = null;
    String password = null;
    String info = uri.getRawUserInfo();
    if (info != null) {
      int colon = info.indexOf(':');
      try {
        user = percentDecode(colon < 0 ? info : info.substring(0, colon));
        password = colon < 0 ? "" : percentDecode(info.substring(colon + 1));
      } catch (IllegalArgumentException e) {
        r.problem("proxy", "the user or password has a bad %-escape");
        return null;
      }
      if (user.isEmpty()) {
        r.problem("proxy", "the user name is empty");
        return null;
      }
    }
    String host = uri.getHost();
    if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
    return new UpstreamConfig.Proxy(host, uri.getPort(), user, password);
  }

  private static ProjectConfig readProject(String name, ConfigReader r, FiltersConfig globalFilters, Path baseDir) {
    String alias = r.string("alias", null);
    if (alias != null && (alias.isEmpty() || alias.contains(":") || alias.contains("@"))) {
      r.problem("alias", "must be non-empty and contain no ':' or '@'");
    }
    long id = r.integer("id", 0, 1, Long.MAX_VALUE);
    if (!r.has("id")) r.problem("id", "is required (the real Sentry project id)");
    String key = r.requiredString("key");
    String secret = r.string("secret", null);
    double quota = r.number("quota_events_per_second", 0, 0);
    java.util.List<Route> copyTo = new java.util.ArrayList<>();
    for (String target : r.stringList("copy_to", java.util.List.of())) {
      try {
        copyTo.add(Route.parse(target));
      } catch (IllegalArgumentException e) {
        r.problem("copy_to", e.getMessage());
      }
    }
    double sampleRate = r.number("copy_to_sample_rate", ProjectConfig.DEFAULT_COPY_TO_SAMPLE_RATE, 0);
    if (sampleRate > 1) r.problem("copy_to_sample_rate", "must be between 0 and 1, got " + sampleRate);
    FiltersConfig filters = FiltersConfig.read(r, "filters", globalFilters);
    QuotaGuardConfig guard = QuotaGuardConfig.read(r, "quota_guard");
    PrivacyConfig privacy = PrivacyConfigReader.read(r, "privacy", baseDir);
    r.rejectUnknownKeys();
    return new ProjectConfig(name, alias, id, key, secret == null || secret.isEmpty() ? null : secret, quota,
        java.util.List.copyOf(copyTo), sampleRate, filters, guard, privacy);
  }

  /** Immutable, iterating in file order (so listings and checks are stable; Map.copyOf is not). */
  private static <V> Map<String, V> inFileOrder(Map<String, V> m) {
    return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(m));
  }

  private static URI checkUrl(ConfigReader r, String name, String url) {
    try {
      URI uri = new URI(url);
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
        r.problem(name, "expected an http:// or https:// URL, got \"" + url + "\"");
        return null;
      }
      if (uri.getUserInfo() != null) {
        r.problem(name, "must not contain credentials (put them under projects)");
        return null;
      }
      return uri;
    } catch (URISyntaxException e) {
      r.problem(name, "not a URL: " + e.getReason());
      return null;
    }
  }

  private static String hostname() {
    String h = System.getenv("HOSTNAME");
    if (h != null && !h.isEmpty()) return h;
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "edge";
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
