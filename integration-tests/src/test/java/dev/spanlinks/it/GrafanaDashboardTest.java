package dev.spanlinks.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The provisioned dashboard is well formed for grafana/otel-lgtm. That every metric it names is one
 * the application exports is {@link KafkaMetricsIT}'s check, against a real scrape.
 */
class GrafanaDashboardTest {
  @Test
  void shouldQueryOtelLgtmsPrometheusInEveryPanel() throws Exception {
    GrafanaDashboard dashboard = GrafanaDashboard.read();

    assertThat(dashboard.root().path("uid").asText()).isEqualTo("spanlinks");
    assertThat(dashboard.panels()).isNotEmpty();
    for (JsonNode panel : dashboard.panels()) {
      assertThat(panel.path("datasource").path("uid").asText())
          .as(panel.path("title").asText())
          .isEqualTo("prometheus");
      assertThat(panel.path("targets")).as(panel.path("title").asText()).isNotEmpty();
    }
    assertThat(dashboard.queries()).allSatisfy(query -> assertThat(query).isNotBlank());
  }

  @Test
  void shouldShowWhatTheIssueAsksFor() throws Exception {
    assertThat(GrafanaDashboard.read().metricNames())
        .contains(
            "spanlinks_batch_size_count",
            "spanlinks_orders_linked_total",
            "spanlinks_orders_total",
            "spanlinks_window_close_delay_seconds_bucket",
            "kafka_consumer_records_lag",
            "kafka_streams_thread_process_rate");
  }

  @Test
  void shouldFindTheMetricNamesOfAQuery() {
    assertThat(
            GrafanaDashboard.metricNames(
                "histogram_quantile(0.99, sum by (le) (rate(a_seconds_bucket{x=\"y\"}[5m])))"
                    + " / on (job) group_left sum without (pod) (b_total offset 5m) > bool 1e3"))
        .isEqualTo(Set.of("a_seconds_bucket", "b_total"));
    assertThat(
            GrafanaDashboard.metricNames(
                "sum by (topic) (lag{client_id!~\".*restore-consumer\"}) * 60"
                    + " and rate(c[$__rate_interval])"))
        .isEqualTo(Set.of("lag", "c"));
  }
}
