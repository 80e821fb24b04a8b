package dev.skein.client;

import java.util.Map;
import java.util.OptionalInt;

/**
 * A topic to create. An empty partition count or replication factor takes the broker's
 * default (num.partitions, default.replication.factor).
 */
public record NewTopic(String name, OptionalInt partitions, OptionalInt replicationFactor, Map<String, String> configs) {

  public NewTopic {
    configs = Map.copyOf(configs);
  }

  public static NewTopic of(String name) {
    return new NewTopic(name, OptionalInt.empty(), OptionalInt.empty(), Map.of());
  }

  public static NewTopic of(String name, int partitions, int replicationFactor) {
    return new NewTopic(name, OptionalInt.of(partitions), OptionalInt.of(replicationFactor), Map.of());
  }

  public NewTopic withConfigs(Map<String, String> topicConfigs) {
    return new NewTopic(name, partitions, replicationFactor, topicConfigs);
  }
}
