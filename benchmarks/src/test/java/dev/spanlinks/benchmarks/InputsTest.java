package dev.spanlinks.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

class InputsTest {
  @Test
  void shouldNumberTheClosingOrdersFromTheCountOfOrders() {
    List<TestRecord<String, byte[]>> input = Inputs.ordersClosedPerPartition(1_500, 3, 6, 3);

    assertThat(input.subList(0, 1_500))
        .extracting(record -> Inputs.orderNumber(record.value()))
        .allSatisfy(n -> assertThat(n).isLessThan(1_500));
    assertThat(input.subList(1_500, input.size()))
        .isNotEmpty()
        .extracting(record -> Inputs.orderNumber(record.value()))
        .allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(1_500));
    assertThat(Inputs.orderNumber(Inputs.order(42, "key-0", 0).value())).isEqualTo(42);
  }
}
