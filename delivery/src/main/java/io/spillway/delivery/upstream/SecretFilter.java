package io.spillway.delivery.upstream;

import io.spillway.schemas.config.ProjectConfig;

/**
 * Makes upstream-supplied text (its {@code X-Sentry-Error}) safe for DLQ headers, logs and
 * metrics: an upstream may echo the key or secret it rejected, and those must never leave
 * delivery's config.
 */
public final class SecretFilter {
  static final int MAX_LENGTH = 300;

  private SecretFilter() {}

  public static String clean(String text, ProjectConfig project) {
    if (text == null) return null;
    String t = text;
    if (project != null) {
      if (project.key() != null && !project.key().isEmpty()) t = t.replace(project.key(), "***");
      if (project.secret() != null && !project.secret().isEmpty()) t = t.replace(project.secret(), "***");
    }
    // Anything that looks like a key assignment, whoever's key it is.
    t = t.replaceAll("(?i)(sentry_key|sentry_secret|key|secret)(\\s*[=:]\\s*)[^\\s,;&\"]+", "$1$2***");
    StringBuilder b = new StringBuilder(Math.min(t.length(), MAX_LENGTH));
    for (int i = 0; i < t.length() && b.length() < MAX_LENGTH; i++) {
      char c = t.charAt(i);
      b.append(c < 0x20 || c == 0x7f ? ' ' : c);
    }
    return b.toString();
  }
}
