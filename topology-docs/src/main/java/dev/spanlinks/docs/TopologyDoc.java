package dev.spanlinks.docs;

import dev.spanlinks.streams.BatchConfig;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.Set;
import org.apache.kafka.streams.TopologyDescription;

/**
 * TOPOLOGY.md: a Mermaid flowchart built from {@link TopologyDescription}'s object API (never from
 * parsing {@code describe().toString()}), plus the dead-letter path, which Kafka Streams takes in
 * its processing exception handler rather than in a topology node.
 */
final class TopologyDoc {
  private TopologyDoc() {}

  static String render(TopologyDescription description, BatchConfig config) {
    StringBuilder lines = new StringBuilder();
    Set<String> nodes = new LinkedHashSet<>();
    StringBuilder table = new StringBuilder();
    description.subtopologies().stream()
        .sorted(Comparator.comparingInt(TopologyDescription.Subtopology::id))
        .forEach(
            subtopology -> {
              Deque<TopologyDescription.Node> queue = new ArrayDeque<>();
              subtopology.nodes().stream()
                  .filter(n -> n instanceof TopologyDescription.Source)
                  .sorted(Comparator.comparing(TopologyDescription.Node::name))
                  .forEach(queue::add);
              Set<String> seen = new LinkedHashSet<>();
              while (!queue.isEmpty()) {
                TopologyDescription.Node node = queue.poll();
                if (!seen.add(node.name())) {
                  continue;
                }
                describe(node, lines, nodes, table);
                node.successors().stream()
                    .sorted(Comparator.comparing(TopologyDescription.Node::name))
                    .forEach(queue::add);
              }
            });
    lines
        .append("  ")
        .append(topicId(config.ordersTopic()))
        .append(" -. \"invalid record: dead-letter handler\" .-> ")
        .append(topicId(config.deadLetterTopic()))
        .append(topicShape(config.deadLetterTopic()))
        .append('\n');
    table
        .append("| `(dead-letter handler)` | Kafka Streams' processing exception handler")
        .append(" | `")
        .append(config.deadLetterTopic())
        .append("` |\n");
    return "# Topology\n\n"
        + "Generated from `OrdersTopology.build(...)` by the topology-docs module; do not edit.\n"
        + "Topics shown are the defaults.\n\n"
        + "```mermaid\nflowchart TD\n"
        + lines
        + "```\n\n"
        + "| node | kind | topics and stores |\n|---|---|---|\n"
        + table;
  }

  private static void describe(
      TopologyDescription.Node node, StringBuilder lines, Set<String> nodes, StringBuilder table) {
    String id = nodeId(node.name());
    if (node instanceof TopologyDescription.Source source) {
      for (String topic : source.topicSet().stream().sorted().toList()) {
        lines
            .append("  ")
            .append(topicId(topic))
            .append(topicShape(topic))
            .append(" --> ")
            .append(id)
            .append("[\"")
            .append(node.name())
            .append("\"]\n");
      }
      table.append(
          row(node.name(), "source", "reads `" + String.join("`, `", source.topicSet()) + "`"));
    } else if (node instanceof TopologyDescription.Processor processor) {
      for (String store : processor.stores().stream().sorted().toList()) {
        lines
            .append("  ")
            .append(id)
            .append(" --- ")
            .append(storeId(store))
            .append("[(\"store: ")
            .append(store)
            .append("\")]\n");
      }
      table.append(
          row(
              node.name(),
              "processor",
              processor.stores().isEmpty()
                  ? "stateless"
                  : "stores `"
                      + String.join("`, `", processor.stores().stream().sorted().toList())
                      + "`"));
    } else if (node instanceof TopologyDescription.Sink sink) {
      lines
          .append("  ")
          .append(id)
          .append(" --> ")
          .append(topicId(sink.topic()))
          .append(topicShape(sink.topic()))
          .append('\n');
      table.append(row(node.name(), "sink", "writes `" + sink.topic() + "`"));
    }
    for (TopologyDescription.Node successor :
        node.successors().stream()
            .sorted(Comparator.comparing(TopologyDescription.Node::name))
            .toList()) {
      lines
          .append("  ")
          .append(id)
          .append("[\"")
          .append(node.name())
          .append("\"] --> ")
          .append(nodeId(successor.name()))
          .append("[\"")
          .append(successor.name())
          .append("\"]\n");
    }
    nodes.add(node.name());
  }

  private static String row(String name, String kind, String what) {
    return "| `" + name + "` | " + kind + " | " + what + " |\n";
  }

  private static String nodeId(String name) {
    return "n_" + name.replaceAll("[^A-Za-z0-9]", "_");
  }

  private static String topicId(String topic) {
    return "t_" + topic.replaceAll("[^A-Za-z0-9]", "_");
  }

  private static String storeId(String store) {
    return "s_" + store.replaceAll("[^A-Za-z0-9]", "_");
  }

  private static String topicShape(String topic) {
    return "[/\"topic: " + topic + "\"/]";
  }
}
