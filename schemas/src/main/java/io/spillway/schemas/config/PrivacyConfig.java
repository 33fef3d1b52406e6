package io.spillway.schemas.config;

import io.spillway.schemas.pii.PiiConfig;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code privacy:} (global) or {@code upstreams.<u>.projects.<p>.privacy:} (replaces the global one
 * for that route): Sentry's "Security &amp; Privacy" data scrubbing settings, with Sentry's names
 * and meaning, plus Relay's advanced rules and what to do with attachments.
 *
 * @param scrubData        Sentry's "Data Scrubber" switch: {@code scrubDefaults} and {@code sensitiveFields} apply
 * @param scrubDefaults    Sentry's default sensitive keys ({@code password}, {@code secret}, {@code api_key},
 *                         {@code token} …), credit cards, and the other default scrubbers
 * @param scrubIpAddresses "Prevent Storing of IP Addresses": the IP fields are removed, IPs in text replaced
 * @param sensitiveFields  "Additional Sensitive Fields": keys (and values containing them) to filter
 * @param safeFields       "Safe Fields": keys or selectors never scrubbed by the settings above
 * @param rulesFile        a Relay piiConfig file (absolute, or resolved against the config file), or null
 * @param rules            that file, read and checked; null when there is none
 * @param attachments      what happens to binary attachments, which cannot be scrubbed
 */
public record PrivacyConfig(
    boolean scrubData,
    boolean scrubDefaults,
    boolean scrubIpAddresses,
    List<String> sensitiveFields,
    List<String> safeFields,
    Path rulesFile,
    PiiConfig rules,
    Attachments attachments) {

  public static final boolean DEFAULT_SCRUB_DATA = true;
  public static final boolean DEFAULT_SCRUB_DEFAULTS = true;
  public static final boolean DEFAULT_SCRUB_IP_ADDRESSES = false;
  public static final Attachments DEFAULT_ATTACHMENTS = Attachments.KEEP;

  /** Attachments (and minidumps, Unreal reports) are binary: kept as sent, or dropped. */
  public enum Attachments {
    /** Stored and delivered unchanged. */
    KEEP,
    /** Attachment items are removed from envelopes; minidump, unreal and attachments uploads are not stored (answered as accepted, counted). */
    DROP
  }

  public PrivacyConfig {
    sensitiveFields = List.copyOf(sensitiveFields);
    safeFields = List.copyOf(safeFields);
    if (attachments == null) attachments = DEFAULT_ATTACHMENTS;
  }

  /** Sentry's defaults for a new project: the data scrubber with its default rules on, IP addresses kept. */
  public static PrivacyConfig defaults() {
    return new PrivacyConfig(DEFAULT_SCRUB_DATA, DEFAULT_SCRUB_DEFAULTS, DEFAULT_SCRUB_IP_ADDRESSES, List.of(), List.of(),
        null, null, DEFAULT_ATTACHMENTS);
  }

  /** Nothing to do: no scrubbing setting on, no rules, attachments kept. */
  public boolean isOff() {
    return !scrubData && !scrubIpAddresses && rules == null && attachments == Attachments.KEEP;
  }
}
