package dev.spanlinks.streams.state;

import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.TraceStateBuilder;
import java.util.ArrayList;
import java.util.List;

/**
 * Converts a {@link TraceState} to and from its W3C header form ({@code k1=v1,k2=v2}), so a stored
 * order keeps the tracestate it arrived with, entry order included.
 */
public final class TraceStates {
  private TraceStates() {}

  /** The W3C form; empty for the empty trace state. */
  public static String format(TraceState traceState) {
    StringBuilder out = new StringBuilder();
    traceState.forEach(
        (key, value) -> {
          if (out.length() > 0) {
            out.append(',');
          }
          out.append(key).append('=').append(value);
        });
    return out.toString();
  }

  /**
   * Parses what {@link #format} wrote. Entries the API rejects are left out, as a propagator would.
   */
  public static TraceState parse(String header) {
    if (header == null || header.isEmpty()) {
      return TraceState.getDefault();
    }
    List<String[]> entries = new ArrayList<>();
    for (String member : header.split(",")) {
      int eq = member.indexOf('=');
      if (eq > 0) {
        entries.add(new String[] {member.substring(0, eq), member.substring(eq + 1)});
      }
    }
    // TraceStateBuilder.put adds to the front, so put the last entry first to keep the order.
    TraceStateBuilder builder = TraceState.builder();
    for (int i = entries.size() - 1; i >= 0; i--) {
      builder.put(entries.get(i)[0], entries.get(i)[1]);
    }
    return builder.build();
  }
}
