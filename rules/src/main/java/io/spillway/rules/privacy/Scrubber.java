package io.spillway.rules.privacy;

import io.spillway.schemas.config.PrivacyConfig;
import io.spillway.schemas.pii.PiiConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One route's privacy settings, compiled: scrubs JSON payloads (events, logs, sessions, check-ins,
 * reports) with Sentry's data scrubbing settings and Relay's advanced rules. Thread-safe; build
 * once per route and reuse.
 *
 * <p>What a payload is changed into is decided field by field as Sentry would (see the module
 * README): values of sensitive keys become {@code [Filtered]}, card numbers inside strings too,
 * IP fields are removed (JSON {@code null}), and so on. Only the bytes of values that change are
 * rewritten; a payload that needs no change is returned as the same array.
 */
public final class Scrubber {
  private final PrivacyConfig config;
  private final RuleSet rules;
  private final Prefilter prefilter;

  private Scrubber(PrivacyConfig config, RuleSet rules, Prefilter prefilter) {
    this.config = config;
    this.rules = rules;
    this.prefilter = prefilter;
  }

  /** The scrubber for these settings; {@link #isNoop()} when they ask for no change to JSON. */
  public static Scrubber of(PrivacyConfig config) {
    if (config == null) throw new NullPointerException("config == null");
    List<PiiConfig> configs = new ArrayList<>();
    if (config.rules() != null) configs.add(config.rules()); // advanced rules first, as Relay runs them
    PiiConfig derived = DataScrubbing.toPiiConfig(config);
    if (derived != null) configs.add(derived);
    return new Scrubber(config, RuleSet.compile(configs), Prefilter.of(config));
  }

  public PrivacyConfig config() {
    return config;
  }

  /** True when no rule would ever change a JSON payload (only attachments may be affected). */
  public boolean isNoop() {
    return rules.isEmpty();
  }

  /** What scrubbing did: the payload (the same array when nothing changed) and what was scrubbed, by rule id. */
  public record Scrubbed(byte[] json, int offset, int length, boolean changed, Map<String, Integer> counts) {}

  /** Scrubs a whole array. */
  public Scrubbed scrub(Payload kind, byte[] json) {
    return scrub(kind, json, 0, json.length);
  }

  /**
   * Scrubs {@code json[off, off+len)}, one JSON value of the given kind. ScrubException (kind
   * {@code INVALID_BODY}) when it is not valid JSON of the right kind (an event must be an
   * object): such a payload cannot be scrubbed and so must not be stored.
   */
  public Scrubbed scrub(Payload kind, byte[] json, int off, int len) {
    if (rules.isEmpty()) return new Scrubbed(json, off, len, false, Map.of());
    if (prefilter != null && !prefilter.mayChange(json, off, len, kind == Payload.REPORT)) return new Scrubbed(json, off, len, false, Map.of());
    return scrubFully(kind, json, off, len);
  }

  /** Without the byte-level fast path (tests compare the two). */
  Scrubbed scrubFully(Payload kind, byte[] json, int off, int len) {
    Edits edits = new Edits();
    Counts counts = new Counts();
    new Walker(json, rules, edits, counts).walk(off, len, kind.shape);
    if (edits.size() == 0) return new Scrubbed(json, off, len, false, counts.toMap());
    byte[] out = edits.apply(json, off, len);
    return new Scrubbed(out, 0, out.length, true, counts.toMap());
  }
}
