package dev.skein.metadata.image;

import java.util.HashMap;
import java.util.Map;

/**
 * Configs set explicitly, per resource. Defaults are not stored: a key missing here has its
 * default value (see {@code TopicConfigs}). A resource with no configs has no entry.
 */
public record ConfigsImage(Map<ConfigResource, Map<String, String>> configs) {

  public static final ConfigsImage EMPTY = new ConfigsImage(Map.of());

  public ConfigsImage {
    Map<ConfigResource, Map<String, String>> copy = new HashMap<>(configs.size() * 2);
    configs.forEach((resource, values) -> {
      if (!values.isEmpty()) {
        copy.put(resource, Map.copyOf(values));
      }
    });
    configs = Map.copyOf(copy);
  }

  public Map<String, String> configsOf(ConfigResource resource) {
    return configs.getOrDefault(resource, Map.of());
  }

  /** The configs set on a topic (by topic id). */
  public Map<String, String> topicConfigs(String topicId) {
    return configsOf(ConfigResource.topic(topicId));
  }

  /** The dynamic cluster-wide defaults for topic configs. */
  public Map<String, String> clusterDefaults() {
    return configsOf(ConfigResource.CLUSTER);
  }

  /**
   * What a topic's replicas use over their broker's own defaults: the topic's configs over the
   * cluster-wide defaults.
   */
  public Map<String, String> effectiveTopicConfigs(String topicId) {
    Map<String, String> defaults = clusterDefaults();
    if (defaults.isEmpty()) {
      return topicConfigs(topicId);
    }
    Map<String, String> merged = new HashMap<>(defaults);
    merged.putAll(topicConfigs(topicId));
    return merged;
  }
}
