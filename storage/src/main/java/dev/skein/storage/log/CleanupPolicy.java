package dev.skein.storage.log;

import java.util.Arrays;
import java.util.stream.Collectors;

/** Kafka's {@code cleanup.policy} values. Delete is enforced by {@link Retention}, compact by {@link LogCleaner}. */
public enum CleanupPolicy {
  DELETE("delete"),
  COMPACT("compact");

  private final String configValue;

  CleanupPolicy(String configValue) {
    this.configValue = configValue;
  }

  public String configValue() {
    return configValue;
  }

  static CleanupPolicy fromConfigValue(String value) {
    for (CleanupPolicy policy : values()) {
      if (policy.configValue.equals(value)) {
        return policy;
      }
    }
    throw new IllegalArgumentException("Invalid value '" + value + "' in configuration '"
        + LogConfig.CLEANUP_POLICY + "': expected one of " + Arrays.stream(values())
        .map(CleanupPolicy::configValue).collect(Collectors.joining(", ")));
  }
}
