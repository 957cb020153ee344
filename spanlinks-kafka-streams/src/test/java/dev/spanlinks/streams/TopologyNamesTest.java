package dev.spanlinks.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.OpenTelemetry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.TopologyDescription;
import org.junit.jupiter.api.Test;

class TopologyNamesTest {

  @Test
  void shouldNameEveryNodeAndStoreExplicitly() {
    assertThat(nodeNames(Map.of("application.id", "app")))
        .containsExactlyInAnyOrder(
            Names.ORDERS_SOURCE,
            Names.ADMIT_ORDER,
            Names.CAPTURE_ORDER,
            Names.CLOSE_WINDOWS,
            Names.ORDER_BATCHES_SINK,
            Names.LATE_ORDERS_SINK);
  }

  @Test
  void shouldNameTheRepartitionByKeyExplicitly() {
    List<String> nodes =
        nodeNames(Map.of("application.id", "app", BatchConfig.REPARTITION_BY_KEY_CONFIG, true));
    assertThat(nodes)
        .contains(
            Names.ORDERS_SOURCE,
            Names.ADMIT_ORDER,
            Names.MARK_SOURCE_POSITION,
            Names.ORDERS_BY_KEY + "-repartition-sink",
            Names.ORDERS_BY_KEY + "-repartition-source",
            Names.CAPTURE_ORDER,
            Names.CLOSE_WINDOWS);
    assertThat(nodes).noneMatch(name -> name.startsWith("KSTREAM-") || name.startsWith("KTABLE-"));
  }

  private static List<String> nodeNames(Map<String, Object> settings) {
    BatchConfig config = new BatchConfig(settings);
    List<String> nodes = new ArrayList<>();
    for (TopologyDescription.Subtopology subtopology :
        BatchTopology.build(config, OpenTelemetry.noop()).describe().subtopologies()) {
      subtopology.nodes().forEach(node -> nodes.add(node.name()));
    }
    return nodes;
  }

  @Test
  void shouldNameEveryStoreExplicitly() {
    BatchConfig config = new BatchConfig(Map.of("application.id", "app"));
    TopologyDescription description = BatchTopology.build(config, OpenTelemetry.noop()).describe();

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
    assertThat(stores)
        .containsExactlyInAnyOrder(Names.CONTRIBUTIONS_STORE, Names.WINDOW_PROGRESS_STORE);
    assertThat(nodes).noneMatch(name -> name.startsWith("KSTREAM-") || name.startsWith("KTABLE-"));
  }
}
