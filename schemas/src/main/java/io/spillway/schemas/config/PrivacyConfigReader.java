package io.spillway.schemas.config;

import io.spillway.schemas.pii.PiiConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a {@code privacy:} section (global or a project's). The rules file is read and checked
 * here, so {@code check-config} and every service report a bad file, regex, selector or rule type
 * under {@code <section>.rules}, naming the file and the rule.
 */
final class PrivacyConfigReader {
  private PrivacyConfigReader() {}

  /** The section {@code at} ({@code privacy}, or a project's) of {@code parent}, or null when absent. */
  static PrivacyConfig read(ConfigReader parent, ConfigSection at) {
    if (!parent.has(at)) return null;
    ConfigReader r = parent.section(at);
    Path rulesFile = r.get(ConfigKeys.PRIVACY_RULES);
    PrivacyConfig c = new PrivacyConfig(r.get(ConfigKeys.PRIVACY_SCRUB_DATA), r.get(ConfigKeys.PRIVACY_SCRUB_DEFAULTS),
        r.get(ConfigKeys.PRIVACY_SCRUB_IP_ADDRESSES), r.get(ConfigKeys.PRIVACY_SENSITIVE_FIELDS), r.get(ConfigKeys.PRIVACY_SAFE_FIELDS),
        rulesFile, rulesFile == null ? null : readRules(r, r.asWritten(ConfigKeys.PRIVACY_RULES), rulesFile),
        r.get(ConfigKeys.PRIVACY_ATTACHMENTS));
    r.rejectUnknownKeys();
    return c;
  }

  private static PiiConfig readRules(ConfigReader r, String asWritten, Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      r.problem(ConfigKeys.PRIVACY_RULES.name(), "cannot read " + file + ": " + e.getClass().getSimpleName()
          + (e.getMessage() == null || e.getMessage().equals(file.toString()) ? "" : " " + e.getMessage()));
      return null;
    }
    List<String> problems = new ArrayList<>();
    PiiConfig c = PiiConfig.parse(bytes, problems);
    for (String p : problems) r.problem(ConfigKeys.PRIVACY_RULES.name(), asWritten + ": " + p);
    return c;
  }
}
