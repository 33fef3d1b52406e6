package io.spillway.edge;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.spillway.rules.privacy.BodyScrubber;
import io.spillway.rules.privacy.Payload;
import io.spillway.rules.privacy.ScrubException;
import io.spillway.rules.privacy.Scrubber;
import io.spillway.schemas.Route;
import io.spillway.schemas.config.PrivacyConfig;
import io.spillway.schemas.config.SpillwayConfig;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Data scrubbing ({@code privacy:}, per project {@code privacy:}) as an edge stage, so raw bodies
 * never reach Redis, Kafka, the DLQ or a replay. Routes without privacy settings are not looked at.
 * Fails closed: a body that cannot be scrubbed is refused, never stored as sent. Counted in
 * {@code spillway_scrubbed_total{route,rule}}; the scrubbed values never appear in a log, metric
 * or answer.
 */
final class PrivacyStage implements EventStage {
  private static final Logger LOG = LoggerFactory.getLogger(PrivacyStage.class);

  private final Map<Route, BodyScrubber> byRoute;
  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, Counter> counters = new ConcurrentHashMap<>();

  private PrivacyStage(Map<Route, BodyScrubber> byRoute, MeterRegistry registry) {
    this.byRoute = byRoute;
    this.registry = registry;
  }

  /** The stage, or null when no route has privacy settings (then nothing is parsed). */
  static PrivacyStage of(SpillwayConfig config, MeterRegistry registry) {
    Map<PrivacyConfig, BodyScrubber> shared = new HashMap<>();
    Map<Route, BodyScrubber> byRoute = new HashMap<>();
    config.upstreams().forEach((u, up) -> up.projects().forEach((p, project) -> {
      PrivacyConfig c = project.privacy() != null ? project.privacy() : config.privacy();
      if (c == null || c.isOff()) return;
      byRoute.put(new Route(u, p), shared.computeIfAbsent(c, x ->
          new BodyScrubber(Scrubber.of(x), config.edge().maxEventBytes(), config.edge().maxEnvelopeBytes())));
    }));
    return byRoute.isEmpty() ? null : new PrivacyStage(Map.copyOf(byRoute), registry);
  }

  @Override
  public Result apply(Input in) {
    BodyScrubber scrubber = in.route() == null ? null : byRoute.get(in.route());
    if (scrubber == null) return new Keep(in);
    PrivacyConfig config = scrubber.scrubber().config();
    BodyScrubber.Outcome outcome;
    try {
      switch (in.kind()) {
        case MINIDUMP, UNREAL, ATTACHMENTS -> {
          // Binary: kept as sent, or (attachments: drop) not stored, answered as Sentry would.
          if (config.attachments() == PrivacyConfig.Attachments.DROP) {
            count(in.route(), BodyScrubber.ATTACHMENTS_DROP, 1);
            return new Drop("privacy_attachments");
          }
          outcome = null;
        }
        case ENVELOPE -> outcome = envelope(scrubber, in);
        case STORE -> {
          if (in.method().equals("GET")) {
            // The event is in the query string (sentry_data), which this stage cannot rewrite.
            if (scrubber.scrubber().isNoop()) {
              outcome = null;
            } else {
              return new Refuse(403, "events sent in the query string (GET /store/) cannot be scrubbed: send them with POST",
                  "unscrubbable");
            }
          } else if (in.contentType() != null && in.contentType().toLowerCase(Locale.ROOT).startsWith("application/x-sentry-envelope")) {
            outcome = envelope(scrubber, in);
          } else {
            // The edge's checks decoded small bodies already: the event JSON, not decompressed twice.
            outcome = in.decoded() != null ? scrubber.store(null, in.contentEncoding(), in.contentType(), in.decoded())
                : scrubber.store(in.bodyBytes(), in.contentEncoding(), in.contentType());
          }
        }
        case SECURITY, CSP_REPORT, NEL -> outcome = scrubber.json(Payload.REPORT, in.bodyBytes(), in.contentEncoding(), in.contentType());
        case CRON -> outcome = in.bodySize() == 0 ? null
            : scrubber.json(Payload.CHECK_IN, in.bodyBytes(), in.contentEncoding(), in.contentType());
        default -> outcome = null;
      }
    } catch (ScrubException e) {
      return switch (e.kind()) {
        case INVALID_BODY -> new Refuse(400, "cannot be scrubbed: " + e.getMessage(), "unscrubbable");
        case TOO_LARGE -> new Refuse(413, e.getMessage(), "too_large");
        case RULE_TOO_SLOW -> new Refuse(500, "data scrubbing failed: " + e.getMessage(), "privacy_failed");
      };
    } catch (RuntimeException e) {
      // Never store what could not be scrubbed. The message may quote the body: log the type only.
      LOG.error("data scrubbing failed on a {} body for route {}: {} at {}", in.kind().wireName(), in.route(),
          e.getClass().getName(), e.getStackTrace().length > 0 ? e.getStackTrace()[0] : "?");
      return new Refuse(500, "data scrubbing failed", "privacy_failed");
    }
    Input out = in;
    if (outcome != null) {
      outcome.counts().forEach((rule, n) -> count(in.route(), rule, n));
      if (outcome.changed()) {
        out = in.withBody(outcome.body(), outcome.contentEncoding(),
            outcome.contentType() != null ? outcome.contentType() : in.contentType());
      }
    }
    if (config.scrubIpAddresses() && out.clientIp() != null) {
      // The peer address would reach Sentry as X-Forwarded-For, and Sentry infers users' IPs from it.
      out = new Input(out.route(), out.kind(), out.method(), out.contentType(), out.contentEncoding(), out.body(),
          out.userAgent(), null, out.eventId(), out.query(), out.decoded());
    }
    return new Keep(out);
  }

  private static BodyScrubber.Outcome envelope(BodyScrubber scrubber, Input in) {
    // The edge's checks decoded small envelopes already: not decompressed twice.
    return in.decoded() != null ? scrubber.envelope(null, in.contentEncoding(), in.decoded())
        : scrubber.envelope(in.bodyBytes(), in.contentEncoding());
  }

  private void count(Route route, String rule, int n) {
    String id = route + "|" + rule;
    Counter c = counters.get(id);
    if (c == null) {
      c = counters.computeIfAbsent(id, k -> Counter.builder("spillway.scrubbed")
          .description("values scrubbed (or attachments dropped) at the edge before storing, by rule")
          .tag("route", route.toString()).tag("rule", rule).register(registry));
    }
    c.increment(n);
  }
}
