package io.spillway.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Meter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What cannot import {@link SpillwayMetric} names series as text: the README's metrics table, the
 * module READMEs and docs, the Grafana dashboards and Prometheus config under {@code docker/}, the
 * bench scripts, and the Java sources' comments and sample scrapes. Every name they mention must be
 * one the services export, so a rename cannot leave a dashboard or a doc behind.
 */
class SpillwayMetricDocsUnitTests {
  static final Path ROOT = repositoryRoot();
  /** Words that look like series names and are not: a rate-limit reason code, the events topic as Kafka's metrics spell it. */
  static final Set<String> NOT_SERIES = Set.of("spillway_quota", "spillway_events");
  static final Pattern NAME = Pattern.compile("(?<![A-Za-z0-9_])(?:spillway|kafka_consumer)_[a-z0-9_]*");
  static final Pattern BACKTICKED = Pattern.compile("`([^`]+)`");

  @Test
  void theReadmeTableListsExactlyTheExportedSeriesWithTheirLabels() throws IOException {
    Map<String, List<String>> table = readmeTable(Files.readAllLines(ROOT.resolve("README.md")));
    Map<String, List<String>> declared = new LinkedHashMap<>();
    for (SpillwayMetric m : SpillwayMetric.values()) declared.put(m.exportedName(), m.labels());
    assertThat(table.keySet()).as("README.md metrics table").containsExactlyInAnyOrderElementsOf(declared.keySet());
    table.forEach((name, labels) -> assertThat(labels).as("labels of " + name + " in README.md").isEqualTo(declared.get(name)));
  }

  /** Each service's module README lists, under "## Metrics", every series of that service by its full name. */
  @Test
  void eachModuleReadmeListsEverySeriesOfItsService() {
    Map<String, String> moduleOf = Map.of("EDGE", "edge-ingest", "BRIDGE", "bridge", "DELIVERY", "delivery", "MIRROR", "mirror");
    List<String> missing = new ArrayList<>();
    for (SpillwayMetric m : SpillwayMetric.values()) {
      String module = moduleOf.get(m.name().substring(0, m.name().indexOf('_')));
      assertThat(module).as("module of " + m).isNotNull();
      Set<String> named = new TreeSet<>();
      Matcher n = NAME.matcher(metricsSection(ROOT.resolve(module).resolve("README.md")));
      while (n.find()) named.add(n.group());
      if (!named.contains(m.exportedName())) missing.add(module + "/README.md: " + m.exportedName());
    }
    assertThat(missing).as("series declared in SpillwayMetric but not in their module README's Metrics section").isEmpty();
  }

  /** From the heading that starts with "## Metrics" to the next "## " heading. */
  static String metricsSection(Path readme) {
    List<String> lines = read(readme).lines().toList();
    int from = -1;
    for (int i = 0; i < lines.size(); i++) if (lines.get(i).startsWith("## Metrics")) from = i;
    assertThat(from).as(ROOT.relativize(readme) + " has a \"## Metrics\" section").isNotNegative();
    int to = from + 1;
    while (to < lines.size() && !lines.get(to).startsWith("## ")) to++;
    return String.join("\n", lines.subList(from, to));
  }

  @Test
  void everySeriesTheDocsDashboardsAndScriptsNameIsExported() {
    Set<String> known = new TreeSet<>();
    Set<String> prefixes = new TreeSet<>();
    for (SpillwayMetric m : SpillwayMetric.values()) {
      known.add(m.exportedName());
      if (m.type() == Meter.Type.TIMER || m.type() == Meter.Type.DISTRIBUTION_SUMMARY) {
        for (String suffix : List.of("_bucket", "_count", "_sum", "_max")) known.add(m.exportedName() + suffix);
      }
      for (int i = m.exportedName().indexOf('_'); i > 0; i = m.exportedName().indexOf('_', i + 1)) {
        prefixes.add(m.exportedName().substring(0, i + 1)); // "spillway_delivery_*" in prose
      }
    }
    List<Path> files = textFiles();
    assertThat(files).as("files read").anyMatch(p -> p.endsWith(Path.of("docker", "grafana", "dashboards", "spillway.json")))
        .anyMatch(p -> p.startsWith(ROOT.resolve("bench")) && p.toString().endsWith(".sh"));
    List<String> unknown = new ArrayList<>();
    for (Path file : files) {
      String text = read(file);
      Matcher m = NAME.matcher(text);
      while (m.find()) {
        String word = m.group();
        if (known.contains(word) || prefixes.contains(word) || NOT_SERIES.contains(word)) continue;
        int line = (int) text.substring(0, m.start()).chars().filter(c -> c == '\n').count() + 1;
        unknown.add(ROOT.relativize(file) + ":" + line + ": " + word);
      }
    }
    assertThat(unknown).as("series named in files but not declared in SpillwayMetric").isEmpty();
  }

  /** The table under {@code | metric | labels | meaning |}: each backticked name → its labels ("—" = none). */
  static Map<String, List<String>> readmeTable(List<String> lines) {
    int header = lines.indexOf("| metric | labels | meaning |");
    assertThat(header).as("README.md has the metrics table").isNotNegative();
    Map<String, List<String>> table = new LinkedHashMap<>();
    for (String line : lines.subList(header + 2, lines.size())) {
      if (!line.startsWith("|")) break;
      String[] cells = line.split("\\|");
      String labelCell = cells[2].trim();
      List<String> labels = labelCell.equals("—") ? List.of() : Arrays.stream(labelCell.split(",")).map(String::trim).toList();
      Matcher m = BACKTICKED.matcher(cells[1]);
      while (m.find()) assertThat(table.put(m.group(1), labels)).as(m.group(1) + " listed twice").isNull();
    }
    return table;
  }

  /** The docs, module READMEs, docker/, bench/, bin/ and every module's sources. */
  static List<Path> textFiles() {
    Set<String> skip = Set.of("target", ".git", ".spillway", "node_modules");
    Set<String> extensions = Set.of("md", "sh", "json", "yml", "yaml", "java", "py", "txt", "properties");
    try (Stream<Path> all = Files.walk(ROOT)) {
      return all.filter(Files::isRegularFile)
          .filter(p -> { for (Path part : ROOT.relativize(p)) if (skip.contains(part.toString())) return false; return true; })
          .filter(p -> {
            String n = p.getFileName().toString();
            return extensions.contains(n.substring(n.lastIndexOf('.') + 1)) || p.getParent().endsWith("bin");
          })
          .sorted().collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException(p.toString(), e);
    }
  }

  /** Tests run in the module's directory; the repository is its parent (the reactor's pom lists runtime). */
  static Path repositoryRoot() {
    Path root = Path.of("").toAbsolutePath().getParent();
    if (!read(root.resolve("pom.xml")).contains("<module>runtime</module>")) {
      throw new IllegalStateException("not run from the runtime module of the Spillway reactor: " + Path.of("").toAbsolutePath());
    }
    return root;
  }
}
