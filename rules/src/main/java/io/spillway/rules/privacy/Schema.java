package io.spillway.rules.privacy;

import static io.spillway.rules.privacy.Pii.FALSE;
import static io.spillway.rules.privacy.Pii.MAYBE;
import static io.spillway.rules.privacy.Pii.TRUE;

import io.spillway.rules.privacy.Shape.Kind;
import io.spillway.rules.privacy.Shape.Text;
import io.spillway.schemas.pii.ValueType;
import java.util.Set;

/**
 * Sentry's event schema as far as scrubbing needs it, with Relay's PII attributes (relay-event-schema
 * {@code protocol/*.rs}; sentry-docs "Event PII Fields"), and the other payloads Spillway scrubs:
 * logs, sessions, check-ins, and browser reports. Legacy interface names
 * ({@code sentry.interfaces.User} …) are read as the fields they stand for.
 */
final class Schema {
  private Schema() {}

  static final Shape UNTYPED = new Shape("value", Kind.UNTYPED, 0, 0, Text.PLAIN);

  private static Shape struct(String name, ValueType... types) {
    return new Shape(name, Kind.STRUCT, Shape.bits(types), 0, Text.PLAIN);
  }

  private static Shape map(String name, Shape element) {
    return new Shape(name, Kind.MAP, ValueType.OBJECT.bit(), 0, Text.PLAIN).element(element);
  }

  private static Shape array(String name, Shape element) {
    return new Shape(name, Kind.ARRAY, ValueType.ARRAY.bit(), 0, Text.PLAIN).element(element);
  }

  private static Shape values(String name, Shape element) {
    return new Shape(name, Kind.VALUES, 0, 0, Text.PLAIN).element(element);
  }

  private static Shape pairs(String name, Text text) {
    return new Shape(name, Kind.PAIRS, 0, 0, text).element(UNTYPED);
  }

  /** A string that selectors also see as {@code $message}. */
  private static final Shape MESSAGE = new Shape("message", Kind.UNTYPED, 0, ValueType.MESSAGE.bit(), Text.PLAIN);
  private static final Shape URL = new Shape("url", Kind.UNTYPED, 0, 0, Text.URL);

  static final Shape GEO = struct("geo")
      .field("country_code", UNTYPED, TRUE).field("city", UNTYPED, TRUE)
      .field("subdivision", UNTYPED, TRUE).field("region", UNTYPED, TRUE)
      .other(FALSE);

  static final Shape USER = struct("user", ValueType.USER)
      .field("id", UNTYPED, TRUE).field("email", UNTYPED, TRUE).field("ip_address", UNTYPED, TRUE)
      .field("username", UNTYPED, TRUE).field("name", UNTYPED, TRUE)
      .field("geo", GEO, FALSE).field("segment", UNTYPED, FALSE).field("sentry_user", UNTYPED, FALSE)
      .field("data", UNTYPED, TRUE)
      .other(TRUE);

  static final Shape HEADERS = pairs("headers", Text.PLAIN);
  static final Shape COOKIES = pairs("cookies", Text.COOKIES);
  static final Shape QUERY = pairs("query_string", Text.QUERY);

  static final Shape REQUEST = struct("request", ValueType.REQUEST)
      .field("url", URL, MAYBE).field("method", UNTYPED, FALSE).field("protocol", UNTYPED, FALSE)
      .field("data", UNTYPED, TRUE).field("query_string", QUERY, TRUE).field("fragment", UNTYPED, TRUE)
      .field("cookies", COOKIES, TRUE).field("headers", HEADERS, TRUE).field("body_size", UNTYPED, FALSE)
      .field("env", UNTYPED, TRUE).field("inferred_content_type", UNTYPED, FALSE).field("api_target", UNTYPED, FALSE)
      .other(TRUE);

  static final Shape FRAME = struct("frame", ValueType.FRAME)
      .field("module", UNTYPED, MAYBE).field("filename", UNTYPED, MAYBE).field("abs_path", UNTYPED, MAYBE)
      .field("vars", UNTYPED, TRUE)
      .other(FALSE);

  static final Shape STACKTRACE = struct("stacktrace", ValueType.STACKTRACE)
      .field("frames", array("frames", FRAME), FALSE)
      .other(FALSE);

  static final Shape MECHANISM = struct("mechanism")
      .field("description", UNTYPED, TRUE).field("data", UNTYPED, TRUE)
      .other(FALSE);

  static final Shape EXCEPTION = struct("exception", ValueType.EXCEPTION)
      .field("value", UNTYPED, TRUE)
      .field("stacktrace", STACKTRACE, FALSE, "sentry.interfaces.Stacktrace")
      .field("raw_stacktrace", STACKTRACE, FALSE)
      .field("mechanism", MECHANISM, FALSE)
      .other(FALSE);

  static final Shape THREAD = struct("thread", ValueType.THREAD)
      .field("stacktrace", STACKTRACE, FALSE).field("raw_stacktrace", STACKTRACE, FALSE)
      .other(FALSE);

  static final Shape BREADCRUMB = struct("breadcrumb", ValueType.BREADCRUMB)
      .field("message", UNTYPED, TRUE).field("data", UNTYPED, TRUE)
      .other(FALSE);

  static final Shape LOGENTRY = new Shape("logentry", Kind.LOGENTRY, ValueType.LOGENTRY.bit(), 0, Text.PLAIN)
      .field("message", MESSAGE, FALSE).field("formatted", MESSAGE, TRUE).field("params", UNTYPED, TRUE)
      .other(TRUE);

  static final Shape SDK = struct("sdk", ValueType.SDK)
      .field("client_ip", UNTYPED, TRUE)
      .other(FALSE);

  static final Shape TEMPLATE = struct("template")
      .field("filename", UNTYPED, TRUE).field("abs_path", UNTYPED, TRUE)
      .other(FALSE);

  static final Shape CSP = struct("csp")
      .field("blocked_uri", UNTYPED, TRUE).field("document_uri", UNTYPED, TRUE)
      .field("effective_directive", UNTYPED, TRUE).field("referrer", UNTYPED, TRUE)
      .other(FALSE);

  /** Span data: free-form, but AI prompts and tool results only get the replace-style rules (Relay's SpanData). */
  static final Shape SPAN_DATA = spanData();

  private static Shape spanData() {
    Shape s = struct("data").other(TRUE);
    for (String k : DataScrubbingKeys.REPLACE_ONLY_DATA_KEYS) s.field(k, UNTYPED, MAYBE);
    return s;
  }

  static final Shape SPAN = struct("span", ValueType.SPAN)
      .field("data", SPAN_DATA, FALSE).field("sentry_tags", UNTYPED, MAYBE)
      .field("description", UNTYPED, MAYBE).field("tags", UNTYPED, MAYBE)
      .other(FALSE);

  /**
   * Sentry's own contexts (device, os, app …) are structs whose fields only explicit selectors
   * reach (Relay leaves them to advanced rules); the response context carries request data. Any
   * other context is free-form and fully scrubbed.
   */
  static final Shape KNOWN_CONTEXT = struct("context").other(MAYBE);
  static final Shape RESPONSE_CONTEXT = struct("context")
      .field("headers", HEADERS, TRUE).field("cookies", COOKIES, TRUE).field("data", UNTYPED, TRUE)
      .other(MAYBE);
  static final Set<String> KNOWN_CONTEXT_TYPES = Set.of("device", "os", "runtime", "app", "browser", "gpu", "trace",
      "profile", "replay", "flags", "feedback", "memory_info", "monitor", "reprocessing", "response", "otel",
      "cloud_resource", "culture", "performance_score", "spring", "threadpool_info", "ota_updates",
      "chromium_stability_report", "unity");
  static final Shape CONTEXTS = new Shape("contexts", Kind.CONTEXTS, 0, 0, Text.PLAIN);

  static final Shape TAGS = pairs("tags", Text.PLAIN);

  static final Shape EVENT = struct("event", ValueType.EVENT)
      .field("culprit", UNTYPED, MAYBE)
      .field("logentry", LOGENTRY, FALSE, "message", "sentry.interfaces.Message")
      .field("server_name", UNTYPED, TRUE)
      .field("user", USER, FALSE, "sentry.interfaces.User")
      .field("request", REQUEST, FALSE, "sentry.interfaces.Http")
      .field("contexts", CONTEXTS, FALSE, "sentry.interfaces.Contexts")
      .field("breadcrumbs", values("breadcrumbs", BREADCRUMB), FALSE, "sentry.interfaces.Breadcrumbs")
      .field("exception", values("exception", EXCEPTION), FALSE, "sentry.interfaces.Exception")
      .field("stacktrace", STACKTRACE, FALSE, "sentry.interfaces.Stacktrace")
      .field("template", TEMPLATE, FALSE, "sentry.interfaces.Template")
      .field("threads", values("threads", THREAD), FALSE)
      .field("tags", TAGS, MAYBE)
      .field("extra", UNTYPED, TRUE)
      .field("sdk", SDK, FALSE)
      .field("csp", CSP, FALSE, "sentry.interfaces.Csp")
      .field("hpkp", UNTYPED, TRUE, "sentry.interfaces.Hpkp")
      .field("expectct", UNTYPED, TRUE, "sentry.interfaces.ExpectCT")
      .field("expectstaple", UNTYPED, TRUE, "sentry.interfaces.ExpectStaple")
      .field("spans", array("spans", SPAN), FALSE)
      // Known fields that hold nothing personal (ids, timestamps, names of code and releases):
      .field("event_id", UNTYPED, FALSE).field("level", UNTYPED, FALSE).field("version", UNTYPED, FALSE)
      .field("type", UNTYPED, FALSE).field("fingerprint", UNTYPED, FALSE).field("transaction", UNTYPED, FALSE)
      .field("transaction_info", UNTYPED, FALSE).field("time_spent", UNTYPED, FALSE).field("logger", UNTYPED, FALSE)
      .field("modules", UNTYPED, FALSE).field("platform", UNTYPED, FALSE).field("timestamp", UNTYPED, FALSE)
      .field("start_timestamp", UNTYPED, FALSE).field("received", UNTYPED, FALSE).field("release", UNTYPED, FALSE)
      .field("dist", UNTYPED, FALSE).field("environment", UNTYPED, FALSE).field("site", UNTYPED, FALSE)
      .field("debug_meta", UNTYPED, FALSE).field("ingest_path", UNTYPED, FALSE).field("errors", UNTYPED, FALSE)
      .field("key_id", UNTYPED, FALSE).field("project", UNTYPED, FALSE).field("grouping_config", UNTYPED, FALSE)
      .field("checksum", UNTYPED, FALSE).field("measurements", UNTYPED, FALSE).field("breakdowns", UNTYPED, FALSE)
      .field("scraping_attempts", UNTYPED, FALSE).field("_metrics", UNTYPED, FALSE).field("_dsc", UNTYPED, FALSE)
      .field("_performance_issues_spans", UNTYPED, FALSE)
      .other(TRUE);

  static final Shape ATTRIBUTES = new Shape("attributes", Kind.ATTRIBUTES, 0, 0, Text.PLAIN);

  static final Shape LOG = struct("log", ValueType.LOG)
      .field("body", UNTYPED, MAYBE).field("attributes", ATTRIBUTES, TRUE)
      .other(FALSE);

  /** A {@code log} envelope item: {@code {"items": [log, …]}}. */
  static final Shape LOG_ITEMS = struct("logs").field("items", array("items", LOG), FALSE).other(FALSE);

  /** Release-health session attributes: the user's IP address (removed like other IP fields) and user agent. */
  static final Shape SESSION_ATTRS = struct("attrs").field("ip_address", UNTYPED, TRUE).other(FALSE);

  /** A {@code session} item; {@code did} (the distinct id: a user id, name or e-mail) is scrubbed like user fields. */
  static final Shape SESSION = struct("session").field("did", UNTYPED, TRUE).field("attrs", SESSION_ATTRS, FALSE)
      .other(FALSE);

  /** A {@code sessions} item (aggregates). */
  static final Shape SESSIONS = struct("sessions")
      .field("aggregates", array("aggregates", struct("aggregate").field("did", UNTYPED, TRUE).other(FALSE)), FALSE)
      .field("attrs", SESSION_ATTRS, FALSE)
      .other(FALSE);

  /** A {@code check_in} item or a cron request body: known fields are ids and statuses; contexts and anything unknown are scrubbed. */
  static final Shape CHECK_IN = struct("check_in")
      .field("check_in_id", UNTYPED, FALSE).field("monitor_slug", UNTYPED, FALSE).field("status", UNTYPED, FALSE)
      .field("environment", UNTYPED, FALSE).field("duration", UNTYPED, FALSE).field("monitor_config", UNTYPED, FALSE)
      .field("contexts", CONTEXTS, FALSE)
      .other(TRUE);

  /** A browser report (CSP, Expect-CT, HPKP, NEL): free-form, every field scrubbable. */
  static final Shape REPORT = new Shape("report", Kind.UNTYPED, 0, 0, Text.PLAIN);
}
