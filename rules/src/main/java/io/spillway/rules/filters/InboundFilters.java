package io.spillway.rules.filters;

import io.spillway.schemas.EndpointKind;
import io.spillway.schemas.Glob;
import io.spillway.schemas.body.ContentEncoding;
import io.spillway.schemas.body.Envelope;
import io.spillway.schemas.body.EnvelopeException;
import io.spillway.schemas.body.StoreBody;
import io.spillway.schemas.config.FiltersConfig;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One route's inbound filters, applied to a whole request body at the edge (before anything is
 * stored). Built once per route from its {@link FiltersConfig}; thread-safe; {@link #check} does not
 * read the body at all when no filter is configured.
 *
 * <p>What is filtered, as Relay does it:
 * <ul>
 *   <li><b>store</b> bodies (JSON, any Content-Encoding, base64(zlib) of legacy SDKs): the event, or
 *       the whole request when the body is an envelope ({@code Content-Type: application/x-sentry-envelope});
 *   <li><b>envelope</b> {@code event} and {@code transaction} items: when one is filtered, the items
 *       that belong to it go with it (Relay's "requires an event" group: attachments, user reports,
 *       feedback, form data, profiles, security reports); sessions, client reports, check-ins, spans,
 *       logs, metrics, replays and unknown items stay. A {@code replay_event} is filtered on its
 *       own and takes its recordings and video with it;
 *   <li><b>security</b> / <b>csp-report</b>: the report, with the client IP, the request's User-Agent,
 *       the page URL and {@code sentry_release}/{@code sentry_environment} from the query, as Relay
 *       builds the event;
 *   <li>not minidumps, Unreal reports, attachments, check-ins or NEL reports (Sentry's filters do
 *       not apply to them either).
 * </ul>
 * Which filters apply to what: error events all of them; transactions and replays all but
 * {@code error_messages} and {@code browser_extensions} (they have no message or exception).
 */
public final class InboundFilters {
  /** Items dropped together with a filtered event or transaction (Relay's Item::requires_event, replays aside). */
  static final Set<String> EVENT_GROUP = Set.of("event", "transaction", "security", "attachment", "form_data",
      "raw_security", "unreal_report", "user_report", "feedback", "profile");
  static final Set<String> REPLAY_GROUP = Set.of("replay_event", "replay_recording", "replay_video");
  /** Bound on what a body may decode to here (the edge's own limits are lower). */
  static final long MAX_DECODED = 256L << 20;

  private final FiltersConfig config;

  private InboundFilters(FiltersConfig config) {
    this.config = config;
  }

  /** The filters of a route ({@code null} config = none). */
  public static InboundFilters of(FiltersConfig config) {
    return new InboundFilters(config == null ? FiltersConfig.NONE : config);
  }

  /** True when nothing is configured: {@link #check} always keeps, without looking at the body. */
  public boolean isEmpty() {
    return config.isEmpty();
  }

  public FiltersConfig config() {
    return config;
  }

  /**
   * One request as the edge received it.
   *
   * @param kind            the endpoint
   * @param body            the body as received (still in its Content-Encoding)
   * @param contentEncoding the Content-Encoding header, or null
   * @param contentType     the Content-Type header, or null
   * @param clientIp        the client's address as the edge determined it, or null
   * @param userAgent       the request's User-Agent header, or null (used for security reports only)
   * @param query           the query string (without {@code ?}), or null (used for security reports only)
   */
  public record Request(EndpointKind kind, byte[] body, String contentEncoding, String contentType, String clientIp,
      String userAgent, String query) {}

  /** What to do with a request. */
  public sealed interface Verdict {
    /** Store it as it is. */
    record Keep() implements Verdict {}

    /** Store nothing: every item was filtered. Answer it like an accepted one. */
    record Drop(InboundFilter filter) implements Verdict {}

    /**
     * Store {@code body} instead: some items were filtered ({@code filter} names the first), the
     * rest stay. {@code contentEncoding} is the body's new Content-Encoding (null = identity).
     */
    record Rewrite(InboundFilter filter, byte[] body, String contentEncoding) implements Verdict {}
  }

  private static final Verdict KEEP = new Verdict.Keep();

  /** Decides for one request; anything it cannot read is kept (the edge's own checks apply to it). */
  public Verdict check(Request request) {
    if (config.isEmpty()) return KEEP;
    try {
      return switch (request.kind()) {
        case STORE -> isEnvelope(request.contentType()) ? envelope(request) : store(request);
        case ENVELOPE -> envelope(request);
        case SECURITY, CSP_REPORT -> security(request);
        default -> KEEP;
      };
    } catch (IOException | RuntimeException e) {
      return KEEP; // not readable here: never drop what we cannot read
    }
  }

  /** The filter that drops this event payload (an error event, a transaction or a replay event), or null. */
  InboundFilter check(EventFacts f, boolean replay) {
    boolean errorEvent = !replay && !f.isTransaction();
    if (!config.releases().isEmpty() && Glob.anyMatches(config.releases(), f.release)) return InboundFilter.RELEASES;
    if (!config.environments().isEmpty() && f.environment != null && config.environments().contains(f.environment)) {
      return InboundFilter.ENVIRONMENTS;
    }
    if (errorEvent && !config.errorMessages().isEmpty() && messageMatches(f)) return InboundFilter.ERROR_MESSAGES;
    if (config.localhost() && Matchers.localhost(f)) return InboundFilter.LOCALHOST;
    if (errorEvent && config.browserExtensions() && Matchers.browserExtension(f)) return InboundFilter.BROWSER_EXTENSIONS;
    if (!config.legacyBrowsers().isEmpty() && Matchers.legacyBrowser(f.userAgent(), config.legacyBrowsers())) {
      return InboundFilter.LEGACY_BROWSERS;
    }
    if (config.webCrawlers() && Matchers.webCrawler(f.userAgent())) return InboundFilter.WEB_CRAWLERS;
    return null;
  }

  /** Relay's error_messages: the log message, then each exception as {@code "Type: value"} (or whichever is set). */
  private boolean messageMatches(EventFacts f) {
    List<Glob> globs = config.errorMessages();
    if (f.logMessage != null && Glob.anyMatches(globs, f.logMessage)) return true;
    for (EventFacts.Exception e : f.exceptions) {
      String ty = e.type() == null ? "" : e.type();
      String value = e.value() == null ? "" : e.value();
      String message = ty.isEmpty() ? value : value.isEmpty() ? ty : ty + ": " + value;
      if (Glob.anyMatches(globs, message)) return true;
    }
    return false;
  }

  // ---- bodies ------------------------------------------------------------------------------------

  private static boolean isEnvelope(String contentType) {
    return contentType != null && contentType.trim().toLowerCase(java.util.Locale.ROOT).startsWith("application/x-sentry-envelope");
  }

  private Verdict store(Request r) throws IOException {
    byte[] json = StoreBody.json(ContentEncoding.of(r.contentEncoding()), r.body(), MAX_DECODED);
    InboundFilter hit = check(EventFacts.read(json, 0, json.length, r.clientIp()), false);
    return hit == null ? KEEP : new Verdict.Drop(hit);
  }

  private Verdict envelope(Request r) throws IOException {
    ContentEncoding encoding = ContentEncoding.of(r.contentEncoding());
    byte[] decoded = encoding.decode(r.body(), MAX_DECODED);
    Envelope envelope;
    try {
      envelope = Envelope.parse(decoded);
    } catch (EnvelopeException e) {
      return KEEP;
    }
    InboundFilter eventHit = null, replayHit = null;
    for (Envelope.Item item : envelope.items()) {
      String type = item.type();
      boolean event = type.equals("event") || type.equals("transaction");
      boolean replay = type.equals("replay_event");
      if (!event && !replay) continue;
      byte[] payload = item.payload();
      EventFacts facts;
      try {
        facts = EventFacts.read(payload, 0, payload.length, r.clientIp());
      } catch (IOException e) {
        continue;
      }
      if (type.equals("transaction")) facts.type = "transaction";
      InboundFilter hit = check(facts, replay);
      if (hit == null) continue;
      if (event && eventHit == null) eventHit = hit;
      if (replay && replayHit == null) replayHit = hit;
    }
    if (eventHit == null && replayHit == null) return KEEP;
    List<Envelope.Item> kept = new ArrayList<>();
    for (Envelope.Item item : envelope.items()) {
      if (eventHit != null && EVENT_GROUP.contains(item.type())) continue;
      if (replayHit != null && REPLAY_GROUP.contains(item.type())) continue;
      kept.add(item);
    }
    InboundFilter first = eventHit != null ? eventHit : replayHit;
    if (kept.isEmpty()) return new Verdict.Drop(first);
    byte[] body = encoding.reencode(envelope.withItems(kept).toBytes());
    ContentEncoding as = encoding.reencodedAs();
    return new Verdict.Rewrite(first, body, as == ContentEncoding.IDENTITY ? null : as.token());
  }

  private Verdict security(Request r) throws IOException {
    byte[] json = ContentEncoding.of(r.contentEncoding()).decode(r.body(), MAX_DECODED);
    EventFacts f = SecurityReport.facts(json, r.clientIp(), r.userAgent(), r.query());
    if (f == null) return KEEP;
    InboundFilter hit = check(f, false);
    return hit == null ? KEEP : new Verdict.Drop(hit);
  }
}
