package io.spillway.schemas.config;

import io.spillway.schemas.pii.PiiConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads a {@code privacy:} section (global or a project's). The rules file is read and checked
 * here, so {@code check-config} and every service report a bad file, regex, selector or rule type
 * under {@code <section>.rules}, naming the file and the rule.
 */
final class PrivacyConfigReader {
  private PrivacyConfigReader() {}

  /** The section {@code name} of {@code parent}, or null when absent; {@code baseDir}: the config file's directory. */
  static PrivacyConfig read(ConfigReader parent, String name, Path baseDir) {
    if (!parent.has(name)) return null;
    ConfigReader r = parent.section(name);
    boolean scrubData = r.bool("scrub_data", PrivacyConfig.DEFAULT_SCRUB_DATA);
    boolean scrubDefaults = r.bool("scrub_defaults", PrivacyConfig.DEFAULT_SCRUB_DEFAULTS);
    boolean scrubIp = r.bool("scrub_ip_addresses", PrivacyConfig.DEFAULT_SCRUB_IP_ADDRESSES);
    List<String> sensitive = r.stringList("sensitive_fields", List.of());
    List<String> safe = r.stringList("safe_fields", List.of());
    Path rulesFile = SpillwayConfig.file(r, "rules", baseDir);
    PiiConfig rules = rulesFile == null ? null : readRules(r, r.string("rules", ""), rulesFile);
    PrivacyConfig.Attachments attachments = PrivacyConfig.DEFAULT_ATTACHMENTS;
    String a = r.string("attachments", null);
    if (a != null) {
      switch (a.trim().toLowerCase(Locale.ROOT)) {
        case "keep" -> attachments = PrivacyConfig.Attachments.KEEP;
        case "drop" -> attachments = PrivacyConfig.Attachments.DROP;
        default -> r.problem("attachments", "expected keep or drop, got \"" + a + "\"");
      }
    }
    r.rejectUnknownKeys();
    return new PrivacyConfig(scrubData, scrubDefaults, scrubIp, sensitive, safe, rulesFile, rules, attachments);
  }

  private static PiiConfig readRules(ConfigReader r, String asWritten, Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      r.problem("rules", "cannot read " + file + ": " + e.getClass().getSimpleName()
          + (e.getMessage() == null || e.getMessage().equals(file.toString()) ? "" : " " + e.getMessage()));
      return null;
    }
    List<String> problems = new ArrayList<>();
    PiiConfig c = PiiConfig.parse(bytes, problems);
    for (String p : problems) r.problem("rules", asWritten + ": " + p);
    return c;
  }
}
