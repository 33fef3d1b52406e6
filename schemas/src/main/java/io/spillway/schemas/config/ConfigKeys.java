package io.spillway.schemas.config;

import static io.spillway.schemas.config.ConfigKey.Default.absent;
import static io.spillway.schemas.config.ConfigKey.Default.derived;
import static io.spillway.schemas.config.ConfigKey.Default.required;
import static io.spillway.schemas.config.ConfigType.BOOLEAN;
import static io.spillway.schemas.config.ConfigType.DURATION;
import static io.spillway.schemas.config.ConfigType.DURATION_OR_OFF;
import static io.spillway.schemas.config.ConfigType.FILE;
import static io.spillway.schemas.config.ConfigType.HOST_PORT;
import static io.spillway.schemas.config.ConfigType.HTTP_URL;
import static io.spillway.schemas.config.ConfigType.SIZE;
import static io.spillway.schemas.config.ConfigType.STRING;
import static io.spillway.schemas.config.ConfigType.STRING_LIST;
import static io.spillway.schemas.config.ConfigType.STRING_MAP;
import static io.spillway.schemas.config.ConfigType.fraction;
import static io.spillway.schemas.config.ConfigType.integer;
import static io.spillway.schemas.config.ConfigType.listOf;
import static io.spillway.schemas.config.ConfigType.number;
import static io.spillway.schemas.config.ConfigType.oneOf;

import io.spillway.schemas.Glob;
import io.spillway.schemas.Route;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Every key of {@code spillway.yml}, declared once, as Kafka's {@code ProducerConfig} declares its
 * own: path, type with its checks, default (a value, required, none, or how it is derived) and
 * meaning. The readers ({@code SpillwayConfig.read…}, {@link FiltersConfig}, {@link QuotaGuardConfig},
 * {@link PrivacyConfigReader}) get every value through these declarations and keep only the checks
 * that span several keys; the key table of the README is rendered from them (a unit test fails when
 * it differs). The table follows the order here.
 * Docs are Markdown, one table cell each.
 */
public final class ConfigKeys {
  private ConfigKeys() {}

  /** One row of the key table: what the README shows for a key or a section. */
  public record KeyDoc(String key, String type, String defaultValue, String doc) {}

  static final ConfigSection ROOT = ConfigSection.root();

  // ---- edge ----
  static final ConfigSection EDGE = ROOT.section("edge");
  static final ConfigKey<HostPort> EDGE_LISTEN = EDGE.key("listen", HOST_PORT, "0.0.0.0:9000", "where SDKs connect");
  static final ConfigKey<HostPort> EDGE_ADMIN = EDGE.key("admin", HOST_PORT, "127.0.0.1:9100",
      "health, readiness, metrics, status page");
  static final ConfigKey<URI> EDGE_PUBLIC_URL = EDGE.key("public_url", HTTP_URL, absent("from `listen`"),
      "base URL printed in DSNs (`spillway dsn`)");
  static final ConfigKey<String> EDGE_INSTANCE = EDGE.key("instance", STRING, derived("`$HOSTNAME`, else the host name"),
      "this edge's name in records and metrics");
  static final ConfigKey<String> EDGE_DATACENTER = EDGE.key("datacenter", STRING, "default",
      "written into every record; another name and no `delivery:` section make a datacenter's config (edge and bridge only)");
  static final ConfigKey<Long> EDGE_MAX_EVENT_BYTES = EDGE.key("max_event_bytes", SIZE.check(n -> n > 0, "must be positive"), "1MiB",
      "store/security/… bodies above → 413");
  /** Sentry's attachment limit; the rest of the pipeline carries what the edge accepts, in chunks. */
  static final ConfigKey<Long> EDGE_MAX_ENVELOPE_BYTES = EDGE.key("max_envelope_bytes", SIZE, "100MiB",
      "envelope/minidump/unreal/attachment bodies above → 413; the one size limit of the whole pipeline (larger bodies "
          + "travel as 512 KiB chunks through Redis and Kafka and are sent whole); at least `max_event_bytes`");
  static final ConfigKey<Duration> EDGE_READ_TIMEOUT = EDGE.key("read_timeout", DURATION, "10s",
      "slow clients are cut off: the time allowed for the request line and headers");
  static final ConfigKey<Boolean> EDGE_TRUST_FORWARDED_FOR = EDGE.key("trust_forwarded_for", BOOLEAN, "false",
      "take the client IP from `X-Forwarded-For` (only behind a trusted proxy)");
  static final ConfigKey<Duration> EDGE_REQUEST_TIMEOUT = EDGE.key("request_timeout",
      DURATION.check(d -> d.toMillis() >= 100, "must be at least 100ms"), "30s",
      "a whole request (headers and body) must arrive within this, plus 1 s per MiB of body beyond 10 MiB; else 408 and "
          + "the connection is closed (`reason=\"slow_client\"`)");
  static final ConfigKey<String> EDGE_TUNNEL_PATH = EDGE.key("tunnel_path",
      STRING.check(p -> p.length() >= 2 && p.startsWith("/") && !p.startsWith("/api/") && !p.contains("?"),
          "must be a path like /tunnel, outside /api/, without a query"), "/tunnel",
      "the browser SDKs' `tunnel` endpoint: envelopes routed by their header `dsn` (unknown → 401)");
  static final ConfigKey<List<String>> EDGE_ALLOWED_ORIGINS = EDGE.key("allowed_origins", listOf("list of origins", o -> {
    if (!o.equals("*") && !o.matches("https?://[^/\\s]+")) {
      throw new IllegalArgumentException("expected * or origins like https://app.example.com (scheme and host, no path), got \"" + o + "\"");
    }
    return o;
  }, false), "[\"*\"]", "browser origins (CORS) allowed to send, e.g. `[\"https://app.example.com\"]`; others get 403");

  // ---- bridge ----
  static final ConfigSection BRIDGE = ROOT.section("bridge");
  static final ConfigKey<HostPort> BRIDGE_ADMIN = BRIDGE.key("admin", HOST_PORT, "127.0.0.1:9101",
      "health, readiness, metrics, status page");
  static final ConfigKey<String> BRIDGE_GROUP = BRIDGE.key("group", STRING, "spillway-bridge",
      "Redis consumer group shared by all bridges");
  static final ConfigKey<String> BRIDGE_CONSUMER = BRIDGE.key("consumer", STRING, absent("host-pid"),
      "this bridge's consumer name in the group");
  static final ConfigKey<Integer> BRIDGE_BATCH_SIZE = BRIDGE.key("batch_size", integer(1, 100_000), "500",
      "entries per `XREADGROUP`");
  static final ConfigKey<Duration> BRIDGE_BLOCK = BRIDGE.key("block", DURATION, "200ms", "`XREADGROUP` block time");
  static final ConfigKey<Duration> BRIDGE_CLAIM_IDLE = BRIDGE.key("claim_idle", DURATION, "30s",
      "entries pending longer are taken over (`XAUTOCLAIM`)");
  static final ConfigKey<String> BRIDGE_DEAD_LETTER_STREAM = BRIDGE.key("dead_letter_stream", STRING, derived("`<stream>:dead`"),
      "undecodable entries, with a reason");

  // ---- delivery ----
  static final ConfigSection DELIVERY = ROOT.section("delivery");
  static final ConfigKey<HostPort> DELIVERY_ADMIN = DELIVERY.key("admin", HOST_PORT, "127.0.0.1:9102",
      "health, readiness, metrics, status page");
  static final ConfigKey<String> DELIVERY_APPLICATION_ID = DELIVERY.key("application_id", STRING, "spillway-delivery",
      "Kafka Streams application id (consumer group)");
  static final ConfigKey<Duration> DELIVERY_MAX_EVENT_AGE = DELIVERY.key("max_event_age", DURATION, "29d",
      "older events go to the DLQ as `expired`");
  static final ConfigKey<Integer> DELIVERY_STREAM_THREADS = DELIVERY.key("stream_threads", integer(1, 64), "1",
      "Kafka Streams threads per instance");
  static final ConfigKey<Duration> DELIVERY_RETRY_INITIAL = DELIVERY.key("retry_initial", DURATION, "1s",
      "first backoff after a network error or a 502/503/504; it doubles (randomized ±50 %) up to `retry_max`");
  static final ConfigKey<Duration> DELIVERY_RETRY_MAX = DELIVERY.key("retry_max", DURATION, "60s",
      "longest backoff; at least `retry_initial`");
  static final ConfigKey<String> DELIVERY_STATE_DIR = DELIVERY.key("state_dir", STRING.check(s -> !s.isBlank(), "must not be empty"),
      derived("`<tmp>/spillway-delivery`"),
      "Kafka Streams state (RocksDB store of pending events); put it on a persistent disk");
  /**
   * 5 ms: a freed in-flight slot waits for the next tick, so the tick bounds one instance's rate
   * (DeliveryBench, warm JVM: 17.1k events/s at 10 ms, 19.4k at 5 ms); an idle delivery used 2–4 %
   * of a core at 20, 5 and 2 ms alike.
   */
  static final ConfigKey<Duration> DELIVERY_PUNCTUATE_INTERVAL = DELIVERY.key("punctuate_interval",
      DURATION.check(d -> d.toMillis() >= 1 && d.toMillis() <= 1000, "must be between 1ms and 1s"), "5ms",
      "how often each task sends due events and applies finished requests");
  /**
   * 1 h: MirrorMaker 2 re-copies what it copied since its last offset flush after a restart, the bridge
   * re-produces after a crash; both copies arrive within seconds to minutes of the first.
   */
  static final ConfigKey<Duration> DELIVERY_DEDUP_WINDOW = DELIVERY.key("dedup_window",
      DURATION_OR_OFF.check(d -> d.isZero() || d.toMillis() >= 1000 && d.compareTo(Duration.ofDays(7)) <= 0,
          "must be 0 (off) or between 1s and 7d"), "1h",
      "a second copy of a `spillway.id` (MirrorMaker 2 or bridge re-copy) seen within this time of the first is dropped and "
          + "counted; `0` = off; copies made by `replay` and `dlq redrive` always pass");
  static final ConfigKey<Duration> DELIVERY_CHUNK_TIMEOUT = DELIVERY.key("chunk_timeout",
      DURATION.check(d -> d.toSeconds() >= 1, "must be at least 1s"), "1h",
      "a large event whose chunks stopped arriving this long ago (while newer events kept coming) goes to the DLQ as `incomplete`");
  /**
   * 1: a killed instance's tasks move to the instance that holds their copy, which only replays the
   * last changelog records instead of the whole store (see delivery/README, "Failover").
   */
  static final ConfigKey<Integer> DELIVERY_STANDBY_REPLICAS = DELIVERY.key("standby_replicas", integer(0, 5), "1",
      "warm copies of each task's stores on other instances (`num.standby.replicas`): after a crash the task moves to its copy "
          + "instead of restoring the whole pending store. A lone instance has nothing to hold them and runs as with `0`");
  static final ConfigKey<String> DELIVERY_INSTANCE_ID = DELIVERY.key("instance_id",
      STRING.check(DeliveryConfig::isInstanceId, "expected auto, none or an id of letters, digits, '.', '_' and '-' (at most 200)"),
      DeliveryConfig.INSTANCE_ID_AUTO,
      "static membership (`group.instance.id`): `auto` = derived from the host name and `state_dir` (stable across restarts), "
          + "`none` = dynamic membership, else the id itself (unique per instance). A restarted instance gets its partitions back "
          + "without a rebalance; a clean stop leaves the group at once");
  static final ConfigKey<Long> DELIVERY_STORE_MEMORY = DELIVERY.key("store_memory",
      SIZE.check(n -> n >= (8L << 20), "must be at least 8MiB"), "64MiB",
      "RocksDB memory of all the instance's stores together (block cache and memtables, one budget); outside the JVM's heap");

  // ---- mirror ----
  static final ConfigSection MIRROR = ROOT.section("mirror");
  static final ConfigKey<HostPort> MIRROR_ADMIN = MIRROR.key("admin", HOST_PORT, "127.0.0.1:9103",
      "the mirror's health, readiness, metrics, status page");
  static final ConfigSection MIRROR_SOURCE = MIRROR.named("sources", "dc");
  static final ConfigKey<String> MIRROR_SOURCE_BOOTSTRAP_SERVERS = MIRROR_SOURCE.key("bootstrap_servers",
      ConfigType.scalar("host:port list", s -> {
        for (String hp : s.split(",")) HostPort.parse(hp.trim());
        return s;
      }), required(),
      "one datacenter's Kafka, as the central site reaches it; its `kafka.topic` is copied to `<dc>.<topic>` (names: letters, "
          + "digits, `_`, `-`)");
  static final ConfigKey<Map<String, String>> MIRROR_SOURCE_PROPERTIES = MIRROR_SOURCE.key("properties", STRING_MAP, "{}",
      "client settings for that cluster (security, SASL, TLS; values never shown)");
  static final ConfigKey<Map<String, String>> MIRROR_PROPERTIES = MIRROR.key("properties", STRING_MAP, "{}",
      "extra MirrorMaker 2 settings (`mm2.properties` form, e.g. `dc1->central.tasks.max`); the cluster list, addresses, topic "
          + "and naming are Spillway's");

  // ---- redis ----
  static final ConfigSection REDIS = ROOT.section("redis");
  static final ConfigKey<String> REDIS_URI = REDIS.key("uri",
      STRING.check(u -> u.startsWith("redis://") || u.startsWith("rediss://") || u.startsWith("redis-socket://"),
          "expected redis://host:port, rediss://… or redis-socket://path"), "redis://127.0.0.1:6379",
      "Lettuce URI: `redis://[:password@]host:port`, `rediss://…` (TLS) or `redis-socket://path`; the password is never shown");
  static final ConfigKey<String> REDIS_STREAM = REDIS.key("stream", STRING, "spillway:events",
      "the stream key; with `shards` > 1: `stream:0 … stream:N-1`");
  static final ConfigKey<Integer> REDIS_SHARDS = REDIS.key("shards", integer(1, 1024), "1",
      "number of streams the edge spreads entries over");
  static final ConfigKey<Long> REDIS_MAX_BUFFER_BYTES = REDIS.key("max_buffer_bytes", SIZE, "1GiB",
      "above this Redis memory use the edge answers 503");
  static final ConfigKey<Duration> REDIS_COMMAND_TIMEOUT = REDIS.key("command_timeout", DURATION, "1s",
      "a Redis command that takes longer fails (the edge answers 503)");
  static final ConfigKey<Integer> REDIS_REQUEST_QUEUE_SIZE = REDIS.key("request_queue_size", integer(1, 10_000_000), "10000",
      "Lettuce queue bound; beyond it requests are rejected (503)");

  // ---- kafka ----
  static final ConfigSection KAFKA = ROOT.section("kafka");
  static final ConfigKey<String> KAFKA_BOOTSTRAP_SERVERS = KAFKA.key("bootstrap_servers", STRING, "127.0.0.1:9092",
      "comma-separated `host:port` list");
  static final ConfigKey<String> KAFKA_TOPIC = KAFKA.key("topic", STRING, "spillway.events", "the events topic, keyed by route");
  static final ConfigKey<String> KAFKA_DLQ_TOPIC = KAFKA.key("dlq_topic", STRING, derived("`<topic>.dlq`"),
      "dead letters, with their reasons (`spillway dlq`)");
  static final ConfigKey<Integer> KAFKA_PARTITIONS = KAFKA.key("partitions", integer(1, 10_000), "12",
      "used when Spillway creates the topics");
  static final ConfigKey<Integer> KAFKA_REPLICATION_FACTOR = KAFKA.key("replication_factor", integer(1, 32), "1",
      "used when Spillway creates the topics");
  static final ConfigKey<Integer> KAFKA_MIN_INSYNC_REPLICAS = KAFKA.key("min_insync_replicas", integer(0, 32), "0",
      "`min.insync.replicas` of the topics Spillway creates, at most `replication_factor`; `0` = the broker's default");
  static final ConfigKey<Map<String, String>> KAFKA_PROPERTIES = KAFKA.key("properties", STRING_MAP, "{}",
      "extra client properties (security, SASL; e.g. `session.timeout.ms: \"10000\"` for faster delivery failover)");

  // ---- filters (global; a project's own replace them) ----
  static final ConfigSection FILTERS = ROOT.section("filters", "none",
      "Sentry's inbound filters, at the edge, for every route without its own: a filtered event is answered 200 like an "
          + "accepted one and never stored (`rules/README.md`)");
  static final ConfigKey<Boolean> FILTERS_LOCALHOST = FILTERS.key("localhost", BOOLEAN, "false",
      "events from `127.0.0.1`/`::1`, `localhost` URLs and `file://` pages");
  static final ConfigKey<Boolean> FILTERS_BROWSER_EXTENSIONS = FILTERS.key("browser_extensions", BOOLEAN, "false",
      "errors known to come from browser extensions");
  static final ConfigKey<Boolean> FILTERS_WEB_CRAWLERS = FILTERS.key("web_crawlers", BOOLEAN, "false",
      "events whose user agent is a known crawler");
  static final ConfigKey<List<String>> FILTERS_LEGACY_BROWSERS = FILTERS.key("legacy_browsers", legacyBrowsers(), "false",
      "`true` (every current browser option) or a list of Sentry's options: `ie`, `edge`, `safari`, `firefox`, `chrome`, "
          + "`opera`, `opera_mini`, `android` (and the deprecated `ie_pre_9` … `edge_pre_79`, `default`)");
  static final ConfigKey<List<Glob>> FILTERS_RELEASES = FILTERS.key("releases", globs(), "[]",
      "events whose `release` matches one of these globs (Relay's syntax, case-insensitive); an invalid glob is a config error");
  static final ConfigKey<List<Glob>> FILTERS_ERROR_MESSAGES = FILTERS.key("error_messages", globs(), "[]",
      "errors whose message (`type: value`, or the log message) matches one of these globs (as `releases`)");
  static final ConfigKey<List<String>> FILTERS_ENVIRONMENTS = FILTERS.key("environments", listOf("list of names", e -> {
    if (e.isEmpty()) throw new IllegalArgumentException("must not be empty");
    return e;
  }), "[]", "environment names (exact) whose events are filtered");

  // ---- privacy (global; a project's own replaces it) ----
  static final ConfigSection PRIVACY = ROOT.section("privacy", "off",
      "data scrubbing at the edge, Sentry's \"Security & Privacy\" settings ([Data scrubbing](#data-scrubbing-privacy), "
          + "`rules/README.md`); `privacy: {}` = Sentry's defaults for a new project");
  static final ConfigKey<Boolean> PRIVACY_SCRUB_DATA = PRIVACY.key("scrub_data", BOOLEAN, "true",
      "Sentry's \"Data Scrubber\": `scrub_defaults` and `sensitive_fields` apply");
  static final ConfigKey<Boolean> PRIVACY_SCRUB_DEFAULTS = PRIVACY.key("scrub_defaults", BOOLEAN, "true",
      "Sentry's default sensitive keys (`password`, `secret`, `passwd`, `api_key`, `apikey`, `auth`, `credentials`, "
          + "`mysql_pwd`, `privatekey`, `private_key`, `token`, `otp`, `two_factor`) filtered anywhere, plus credit cards "
          + "(Luhn-checked), IBANs, PEM keys, URL passwords, US SSNs, bearer tokens, session cookies; Spillway adds e-mail "
          + "addresses → `[email]` and whole `Cookie`/`Set-Cookie` headers");
  static final ConfigKey<Boolean> PRIVACY_SCRUB_IP_ADDRESSES = PRIVACY.key("scrub_ip_addresses", BOOLEAN, "false",
      "\"Prevent Storing of IP Addresses\": `user.ip_address`, `request.env.REMOTE_ADDR`, `sdk.client_ip`, sessions' "
          + "`attrs.ip_address` removed (so `{{auto}}` stays unresolved), IPs in text → `[ip]`, and no `X-Forwarded-For` "
          + "with the client's address");
  static final ConfigKey<List<String>> PRIVACY_SENSITIVE_FIELDS = PRIVACY.key("sensitive_fields", STRING_LIST, "[]",
      "\"Additional Sensitive Fields\": keys (case-insensitive, substring) whose values, and values containing them, become "
          + "`[Filtered]`");
  static final ConfigKey<List<String>> PRIVACY_SAFE_FIELDS = PRIVACY.key("safe_fields", STRING_LIST, "[]",
      "\"Safe Fields\": keys (`order_id`) or selectors (`$user.email`, `extra.trace`) the settings above never touch");
  static final ConfigKey<Path> PRIVACY_RULES = PRIVACY.key("rules", FILE, absent("none"),
      "a Relay `piiConfig` JSON file (Sentry's \"Advanced Data Scrubbing\"), relative to the config file or absolute; a bad "
          + "file, rule, regex or selector is a config error naming the file and the rule");
  static final ConfigKey<PrivacyConfig.Attachments> PRIVACY_ATTACHMENTS = PRIVACY.key("attachments",
      oneOf(PrivacyConfig.Attachments.class, true), "keep",
      "`drop`: attachment items are removed from envelopes; minidump, unreal and attachment uploads are not stored "
          + "(answered as accepted)");

  // ---- upstreams ----
  static final ConfigSection UPSTREAM = ROOT.named("upstreams", "u");
  static final ConfigKey<URI> UPSTREAM_URL = UPSTREAM.key("url", HTTP_URL, required(), "Sentry base URL (a sub-path is kept)");
  static final ConfigKey<Integer> UPSTREAM_MAX_IN_FLIGHT = UPSTREAM.key("max_in_flight", integer(1, 100_000), "64",
      "concurrent requests to it, for the whole delivery fleet (each live instance takes its share)");
  static final ConfigKey<Duration> UPSTREAM_TIMEOUT = UPSTREAM.key("timeout", DURATION, "5s",
      "from sending a request to the answer's status and headers, and again to its end, plus 1 s per MiB of body; then a "
          + "network error (retried)");
  static final ConfigKey<UpstreamConfig.Proxy> UPSTREAM_PROXY = UPSTREAM.key("proxy",
      ConfigType.scalar("http://[user:password@]host:port", UpstreamConfig.Proxy::parse), absent("none"),
      "`http://[user:pass@]host:port`: `CONNECT` for https, absolute-form requests for http; Basic auth; the password is "
          + "never logged or shown");
  static final ConfigKey<UpstreamConfig.Http2> UPSTREAM_HTTP2 = UPSTREAM.key("http2", oneOf(UpstreamConfig.Http2.class, false), "auto",
      "`auto`: HTTP/2 when the https server offers it (ALPN), HTTP/1.1 otherwise; `off`: HTTP/1.1 only");
  static final ConfigSection RATE_LIMIT = UPSTREAM.section("rate_limit", "unlimited",
      "a token bucket for the whole delivery fleet: `{events_per_second, burst}`");
  static final ConfigKey<Double> RATE_LIMIT_EVENTS_PER_SECOND = RATE_LIMIT.key("events_per_second",
      number(0.001), required(), "events sent per second, at most");
  static final ConfigKey<Integer> RATE_LIMIT_BURST = RATE_LIMIT.key("burst", integer(1, 10_000_000),
      derived("`events_per_second`, rounded up"), "events the bucket holds: sent at once after a quiet time");
  static final ConfigSection TLS = UPSTREAM.section("tls");
  static final ConfigKey<Path> TLS_CA_FILE = TLS.key("ca_file", FILE, absent("the JVM's trust store"),
      "PEM certificates to trust for this `https` upstream instead (a private CA); host names are always verified. File "
          + "names relative to the config file; `check-config` reads every file");
  static final ConfigKey<Path> TLS_CLIENT_CERT_FILE = TLS.key("client_cert_file", FILE, absent("none"),
      "PEM client certificate (chain) presented when the server asks (mTLS); with `client_key_file`");
  static final ConfigKey<Path> TLS_CLIENT_KEY_FILE = TLS.key("client_key_file", FILE, absent("none"),
      "its unencrypted PKCS#8 key (`BEGIN PRIVATE KEY`); with `client_cert_file`");

  // ---- upstreams.<u>.projects ----
  static final ConfigSection PROJECT = UPSTREAM.named("projects", "p");
  static final ConfigKey<Long> PROJECT_ID = PROJECT.key("id", integer(1L, Long.MAX_VALUE), required("the real Sentry project id"),
      "the real project id");
  static final ConfigKey<String> PROJECT_KEY = PROJECT.key("key", STRING, required(), "the real public key");
  static final ConfigKey<String> PROJECT_SECRET = PROJECT.key("secret", STRING, absent("none"),
      "for old Sentry servers that check it");
  static final ConfigKey<String> PROJECT_ALIAS = PROJECT.key("alias",
      STRING.check(a -> !a.isEmpty() && !a.contains(":") && !a.contains("@"), "must be non-empty and contain no ':' or '@'"),
      absent("none"), "a key apps may use in their DSN instead of the real one");
  static final ConfigKey<Double> PROJECT_QUOTA_EVENTS_PER_SECOND = PROJECT.key("quota_events_per_second",
      number(0), "0", "edge quota for the route → 429; `0` = none");
  static final ConfigKey<List<Route>> PROJECT_COPY_TO = PROJECT.key("copy_to", listOf("list of routes", Route::parse, false), "[]",
      "other routes (`upstream/project`) every event of this route is also delivered to, each on its own (holds, retries, "
          + "DLQ); unknown routes, self-copies and loops are config errors");
  static final ConfigKey<Double> PROJECT_COPY_TO_SAMPLE_RATE = PROJECT.key("copy_to_sample_rate", fraction(), "1.0",
      "the share of events copied to this route from others, decided by event id");
  static final ConfigSection PROJECT_FILTERS = PROJECT.section("filters", FILTERS, "the global `filters`",
      "the route's own filters; replaces the global block as a whole (`{}` = none)");
  static final ConfigSection QUOTA_GUARD = PROJECT.section("quota_guard", "off",
      "at most `max_per_issue` events of one issue per `window` are delivered, the rest dropped and counted (delivery; "
          + "`delivery/README.md`); `quota_guard: {}` = the defaults");
  /** The guard remembers which events it let through (to stay exact across restarts): bounded. */
  static final ConfigKey<Integer> QUOTA_GUARD_MAX_PER_ISSUE = QUOTA_GUARD.key("max_per_issue", integer(1, 100_000), "100",
      "events of one issue delivered per window");
  static final ConfigKey<Duration> QUOTA_GUARD_WINDOW = QUOTA_GUARD.key("window",
      DURATION.check(d -> d.compareTo(Duration.ofSeconds(1)) >= 0 && d.compareTo(Duration.ofDays(1)) <= 0,
          "must be between 1s and 1d"), "1m",
      "tumbling windows aligned to the epoch, by the time the edge received the event");
  static final ConfigSection PROJECT_PRIVACY = PROJECT.section("privacy", PRIVACY, "the global `privacy`",
      "the route's own settings; replaces the global block as a whole (`{scrub_data: false}` = off for that route)");

  // ---- top level ----
  static final ConfigKey<Route> DEFAULT_ROUTE = ROOT.key("default_route", ConfigType.scalar("route", Route::parse), absent("none"),
      "route for unknown keys (else 401)");

  private static final List<KeyDoc> ALL = ROOT.docs();

  /** Every key and documented section, in the order of the README's table. */
  public static List<KeyDoc> all() {
    return ALL;
  }

  /** The README's key table: a header and one row per key. */
  static String markdownTable() {
    StringBuilder out = new StringBuilder("| key | default | meaning |\n|---|---|---|\n");
    for (KeyDoc k : ALL) {
      out.append("| `").append(k.key()).append("` | ").append(cell(k.defaultValue())).append(" | ").append(cell(k.doc())).append(" |\n");
    }
    return out.toString();
  }

  private static String cell(String markdown) {
    return markdown.replace("|", "\\|").replace("\n", " ");
  }

  /** {@code true}, {@code false}, or a list of Sentry's browser options (each once). */
  private static ConfigType<List<String>> legacyBrowsers() {
    ConfigType<List<String>> list = listOf("list", b -> {
      if (!FiltersConfig.CURRENT_BROWSERS.contains(b) && !FiltersConfig.DEPRECATED_BROWSERS.contains(b)) {
        throw new IllegalArgumentException("unknown browser \"" + b + "\" (expected one of " + String.join(", ", FiltersConfig.CURRENT_BROWSERS)
            + ", or a deprecated one: " + String.join(", ", FiltersConfig.DEPRECATED_BROWSERS) + ")");
      }
      return b;
    });
    return new ConfigType<>("true, false or a list of browsers", (r, name) -> {
      if (r.isList(name)) {
        List<String> given = list.reader().read(r, name);
        return given == null ? null : given.stream().distinct().toList();
      }
      Boolean on = BOOLEAN.reader().read(r, name);
      return on == null ? null : on ? FiltersConfig.CURRENT_BROWSERS : List.of();
    });
  }

  private static ConfigType<List<Glob>> globs() {
    return listOf("list of globs", p -> {
      if (p.isEmpty()) throw new IllegalArgumentException("must not be empty (an empty glob never matches)");
      try {
        return Glob.compile(p);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("invalid glob \"" + p + "\": " + e.getMessage(), e);
      }
    });
  }
}
