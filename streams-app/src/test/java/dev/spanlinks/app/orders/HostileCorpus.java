package dev.spanlinks.app.orders;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The hostile-input corpus, {@code hostile-inputs.jsonl}: one case a line, each with the reason it
 * is there and where it must land. Read by the topology test and, through this module's test jar,
 * by the integration test that sends it to the running app.
 */
public final class HostileCorpus {
  /** Where a case must land: a batch with or without a link, the late topic or the DLQ. */
  public static final List<String> DESTINATIONS = List.of("linked", "unlinked", "late", "dlq");

  /** The header every case carries its name in, to find it again wherever it lands. */
  public static final String CASE_HEADER = "x-case";

  /**
   * One hostile input.
   *
   * @param orderId the order id inside the value, when the value is JSON with one
   * @param headers the case's own headers plus {@link #CASE_HEADER}
   */
  public record Case(
      String name, String expect, String orderId, String key, byte[] value, Headers headers) {}

  private HostileCorpus() {}

  /** The names of the cases that must land at {@code expect}. */
  public static Set<String> namesExpecting(List<Case> cases, String expect) {
    Set<String> names = new HashSet<>();
    cases.stream().filter(c -> c.expect().equals(expect)).forEach(c -> names.add(c.name()));
    return names;
  }

  /** Where every case must land, by case name: what {@link #observedDestinations} must equal. */
  public static Map<String, String> expectedDestinations(List<Case> cases) {
    Map<String, String> destinations = new TreeMap<>();
    cases.forEach(c -> destinations.put(c.name(), c.expect()));
    return destinations;
  }

  /**
   * The final accounting: where every case landed, read from the outputs alone, one entry per case
   * name, to compare with {@link #expectedDestinations}. Cases are found by name on the dead-letter
   * and late topics, by order id on the links of their batch's spans; a case found in two places
   * gets both ("dlq, linked"), a link to an order of no case gets an entry of its own. Unlinked
   * orders leave nothing but the batch's count, so the cases found nowhere else are "unlinked" only
   * when they are exactly as many as that count. A record lost or counted twice, on any path, makes
   * the two maps differ.
   *
   * @param deadLettered the case name of every dead-letter record, duplicates kept
   * @param late the case name of every late record, duplicates kept
   * @param linkedOrderIds the order id of every link of the batch, duplicates kept, without the
   *     test's own orders
   * @param unlinkedCount the batch's count of unlinked orders, without the test's own orders
   */
  public static Map<String, String> observedDestinations(
      List<Case> cases,
      List<String> deadLettered,
      List<String> late,
      List<String> linkedOrderIds,
      long unlinkedCount) {
    Map<String, String> caseByOrderId = new HashMap<>();
    cases.stream()
        .filter(c -> c.orderId() != null)
        .forEach(c -> caseByOrderId.put(c.orderId(), c.name()));
    Map<String, String> observed = new TreeMap<>();
    deadLettered.forEach(name -> landed(observed, name, "dlq"));
    late.forEach(name -> landed(observed, name, "late"));
    linkedOrderIds.forEach(
        id ->
            landed(
                observed, caseByOrderId.getOrDefault(id, "no case has order id " + id), "linked"));
    List<String> foundNowhere =
        cases.stream().map(Case::name).filter(name -> !observed.containsKey(name)).toList();
    String rest =
        foundNowhere.size() == unlinkedCount
            ? "unlinked"
            : "lost: "
                + foundNowhere.size()
                + " cases found nowhere, the batch counts "
                + unlinkedCount
                + " unlinked orders";
    foundNowhere.forEach(name -> observed.put(name, rest));
    return observed;
  }

  private static void landed(Map<String, String> observed, String name, String destination) {
    observed.merge(name, destination, (first, second) -> first + ", " + second);
  }

  public static List<Case> load() {
    ObjectMapper mapper = new ObjectMapper();
    List<Case> cases = new ArrayList<>();
    try (BufferedReader reader =
        new BufferedReader(
            new InputStreamReader(
                HostileCorpus.class.getResourceAsStream("/hostile-inputs.jsonl"),
                StandardCharsets.UTF_8))) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        cases.add(parse(mapper, mapper.readTree(line)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read hostile-inputs.jsonl", e);
    }
    return cases;
  }

  private static Case parse(ObjectMapper mapper, JsonNode node) {
    String name = node.get("case").asText();
    String expect = node.get("expect").asText();
    if (!DESTINATIONS.contains(expect)) {
      throw new IllegalArgumentException(name + ": unknown destination " + expect);
    }
    Headers headers = new RecordHeaders();
    headers.add(CASE_HEADER, name.getBytes(StandardCharsets.UTF_8));
    for (JsonNode header : node.get("headers")) {
      byte[] value =
          header.has("base64")
              ? Base64.getDecoder().decode(header.get("base64").asText())
              : header.get("value").asText().getBytes(StandardCharsets.UTF_8);
      headers.add(header.get("key").asText(), value);
    }
    byte[] value = null;
    String orderId = null;
    if (node.hasNonNull("valueBase64")) {
      value = Base64.getDecoder().decode(node.get("valueBase64").asText());
    } else if (node.hasNonNull("value")) {
      String text = node.get("value").asText();
      if (node.has("padBytes")) {
        text =
            text.substring(0, text.length() - 1)
                + ",\"padding\":\""
                + "p".repeat(node.get("padBytes").asInt())
                + "\"}";
      }
      value = text.getBytes(StandardCharsets.UTF_8);
      orderId = orderIdOf(mapper, text);
    }
    String key = node.get("key").isNull() ? null : node.get("key").asText();
    return new Case(name, expect, orderId, key, value, headers);
  }

  private static String orderIdOf(ObjectMapper mapper, String text) {
    try {
      JsonNode order = mapper.readTree(text);
      return order != null && order.has("orderId") ? order.get("orderId").asText() : null;
    } catch (IOException notJson) {
      return null;
    }
  }
}
