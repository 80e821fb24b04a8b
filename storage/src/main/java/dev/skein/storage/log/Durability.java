package dev.skein.storage.log;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The {@code durability} topic config: when an appended batch counts as stored.
 *
 * <p>{@link #NONE} (the default, as in Kafka) leaves written batches in the page cache: they survive a
 * broker process crash but not a machine's power loss until a roll, flush.messages or flush.ms fsyncs them.
 * {@link #FSYNC} has every append fsynced by the log directory's group flusher ({@link LogFlusher}) and
 * lets replication count a batch as committed only once it is fsynced on every in-sync replica.
 */
public enum Durability {
  NONE("none"),
  FSYNC("fsync");

  private final String configValue;

  Durability(String configValue) {
    this.configValue = configValue;
  }

  public String configValue() {
    return configValue;
  }

  static Durability fromConfigValue(String value) {
    for (Durability d : values()) {
      if (d.configValue.equals(value)) {
        return d;
      }
    }
    throw new IllegalArgumentException("Invalid value '" + value + "' for configuration '" + LogConfig.DURABILITY
        + "': expected one of " + Arrays.stream(values()).map(Durability::configValue)
        .collect(Collectors.joining(", ")));
  }
}
