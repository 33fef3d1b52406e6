package io.spillway.schemas.config;

import java.util.List;

/** The config file is unusable. Each problem names the key (dotted path) and what is wrong with it. */
public final class ConfigException extends RuntimeException {
  private final List<String> problems;

  public ConfigException(String source, List<String> problems) {
    super(source + ": " + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + "\n  "
        + String.join("\n  ", problems));
    this.problems = List.copyOf(problems);
  }

  /** One line per problem, {@code key: what is wrong}. */
  public List<String> problems() {
    return problems;
  }
}
