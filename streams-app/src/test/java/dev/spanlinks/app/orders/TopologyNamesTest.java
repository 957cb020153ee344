package dev.spanlinks.app.orders;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spanlinks.streams.BatchConfig;
import io.opentelemetry.api.OpenTelemetry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.TopologyDescription;
import org.junit.jupiter.api.Test;

/** Names are the upgrade contract: stores, changelogs and metrics keep theirs across releases. */
class TopologyNamesTest {

  @Test
  void shouldNameEveryNodeAndStoreExplicitly() {
    assertThat(nodeNames(Map.of("application.id", "app")))
        .containsExactlyInAnyOrder(
            "orders-source",
            "admit-order",
            "capture-order",
            "close-windows",
            "close-windows-",
            "close-windows-batches",
            "close-windows-batch-values",
            "close-windows-late",
            "order-batches-sink",
            "orders-late-sink");
  }

  @Test
  void shouldNameTheRepartitionByKeyExplicitly() {
    List<String> nodes =
        nodeNames(Map.of("application.id", "app", BatchConfig.REPARTITION_BY_KEY_CONFIG, true));
    assertThat(nodes)
        .contains(
            "orders-source",
            "admit-order",
            "mark-source-position",
            "orders-by-key-repartition-sink",
            "orders-by-key-repartition-source",
            "capture-order",
            "close-windows");
    assertThat(nodes).noneMatch(name -> name.startsWith("KSTREAM-") || name.startsWith("KTABLE-"));
  }

  private static List<String> nodeNames(Map<String, Object> settings) {
    BatchConfig config = new BatchConfig(settings);
    List<String> nodes = new ArrayList<>();
    for (TopologyDescription.Subtopology subtopology :
        OrdersTopology.build(config, OpenTelemetry.noop()).describe().subtopologies()) {
      subtopology.nodes().forEach(node -> nodes.add(node.name()));
    }
    return nodes;
  }

  @Test
  void shouldNameEveryStoreExplicitly() {
    BatchConfig config = new BatchConfig(Map.of("application.id", "app"));
    TopologyDescription description = OrdersTopology.build(config, OpenTelemetry.noop()).describe();

    List<String> nodes = new ArrayList<>();
    List<String> stores = new ArrayList<>();
    for (TopologyDescription.Subtopology subtopology : description.subtopologies()) {
      for (TopologyDescription.Node node : subtopology.nodes()) {
        nodes.add(node.name());
        if (node instanceof TopologyDescription.Processor processor) {
          stores.addAll(processor.stores());
        }
      }
    }
    assertThat(stores).containsExactlyInAnyOrder("batch-contributions", "window-progress");
    assertThat(nodes).noneMatch(name -> name.startsWith("KSTREAM-") || name.startsWith("KTABLE-"));
  }
}
