package dev.skein.chaos.checker;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * What the checker found, with the counts a report needs.
 *
 * @param leadersMicros from the heal until every partition had a leader again
 * @param recoveryMicros from the heal until every partition took an acknowledged write again (of a send
 *     invoked once every broker answered again, or after the heal in a history that does not say when)
 */
public record CheckResult(List<Anomaly> anomalies, Counts counts, OptionalLong leadersMicros,
    OptionalLong recoveryMicros) {

  /**
   * Operations by outcome.
   *
   * @param reads records given to consumers, {@code assign} and group members alike
   * @param commits partition offsets group members committed successfully
   */
  public record Counts(long sendsOk, long sendsFailed, long sendsUnknown, long reads, long drained, long commits,
      long durationMicros) {}

  public CheckResult {
    anomalies = List.copyOf(anomalies);
  }

  public boolean valid() {
    return anomalies.isEmpty();
  }

  public Map<Anomaly.Kind, List<Anomaly>> byKind() {
    Map<Anomaly.Kind, List<Anomaly>> result = new EnumMap<>(Anomaly.Kind.class);
    for (Anomaly a : anomalies) {
      result.computeIfAbsent(a.kind(), k -> new java.util.ArrayList<>()).add(a);
    }
    return result;
  }
}
