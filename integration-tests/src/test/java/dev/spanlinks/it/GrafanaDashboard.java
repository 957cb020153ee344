package dev.spanlinks.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The provisioned Grafana dashboard of the compose {@code lgtm} profile, read as Grafana reads it:
 * every panel's PromQL queries, and the metric names they select.
 */
final class GrafanaDashboard {
  /** From the producer-demo module, where Maven runs its tests. */
  static final Path FILE = Path.of("..", "compose", "grafana", "spanlinks-dashboard.json");

  private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
  private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
  private static final Pattern RANGE = Pattern.compile("\\[[^]]*]");
  private static final Pattern GROUPING =
      Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Set<String> KEYWORDS =
      Set.of(
          "and",
          "or",
          "unless",
          "bool",
          "offset",
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "inf",
          "nan");

  private final JsonNode root;

  private GrafanaDashboard(JsonNode root) {
    this.root = root;
  }

  static GrafanaDashboard read() throws IOException {
    return new GrafanaDashboard(new ObjectMapper().readTree(FILE.toFile()));
  }

  JsonNode root() {
    return root;
  }

  /** Every panel, rows' nested panels included. */
  List<JsonNode> panels() {
    List<JsonNode> panels = new ArrayList<>();
    collect(root.path("panels"), panels);
    return panels;
  }

  /** Every target's {@code expr}. */
  List<String> queries() {
    List<String> queries = new ArrayList<>();
    for (JsonNode panel : panels()) {
      panel.path("targets").forEach(target -> queries.add(target.path("expr").asText()));
    }
    return queries;
  }

  /** The metric names every query selects. */
  Set<String> metricNames() {
    Set<String> names = new TreeSet<>();
    queries().forEach(query -> names.addAll(metricNames(query)));
    return names;
  }

  /**
   * The metric names one PromQL expression selects: identifiers left once strings, label matchers,
   * ranges and grouping clauses are taken out, except functions and aggregations (followed by a
   * parenthesis) and keywords.
   */
  static Set<String> metricNames(String query) {
    String bare = STRING.matcher(query).replaceAll("\"\"");
    bare = MATCHERS.matcher(bare).replaceAll(" ");
    bare = RANGE.matcher(bare).replaceAll(" ");
    bare = GROUPING.matcher(bare).replaceAll(" ");
    Set<String> names = new TreeSet<>();
    Matcher identifier = IDENTIFIER.matcher(bare);
    while (identifier.find()) {
      String name = identifier.group();
      String rest = bare.substring(identifier.end()).stripLeading();
      boolean call = rest.startsWith("(");
      boolean number =
          identifier.start() > 0 && Character.isDigit(bare.charAt(identifier.start() - 1));
      if (!call && !number && !KEYWORDS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
        names.add(name);
      }
    }
    return names;
  }

  private static void collect(JsonNode panels, List<JsonNode> into) {
    for (JsonNode panel : panels) {
      into.add(panel);
      collect(panel.path("panels"), into);
    }
  }
}
