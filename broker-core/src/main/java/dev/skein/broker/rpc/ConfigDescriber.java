package dev.skein.broker.rpc;

import dev.skein.metadata.config.ConfigDef;
import dev.skein.metadata.config.TopicConfigs;
import dev.skein.metadata.image.ConfigsImage;
import dev.skein.proto.v1.ConfigEntry;
import dev.skein.proto.v1.ConfigSource;
import dev.skein.storage.log.LogConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every topic config with its effective value and its source, most specific first: set on the
 * topic, set as a cluster-wide default through the quorum, a flag of this broker, or the
 * built-in default (Kafka's).
 */
final class ConfigDescriber {

  /** The values this broker's flags give, for the keys a flag can set. */
  private final Map<String, String> staticBroker;

  ConfigDescriber(LogConfig brokerDefaults) {
    Map<String, String> flags = new HashMap<>();
    flags.put(LogConfig.SEGMENT_BYTES, Integer.toString(brokerDefaults.segmentBytes()));
    flags.put(LogConfig.SEGMENT_MS, Long.toString(brokerDefaults.segmentMs()));
    flags.put(LogConfig.RETENTION_MS, Long.toString(brokerDefaults.retentionMs()));
    flags.put(LogConfig.RETENTION_BYTES, Long.toString(brokerDefaults.retentionBytes()));
    flags.put(LogConfig.MAX_MESSAGE_BYTES, Integer.toString(brokerDefaults.maxMessageBytes()));
    flags.put(LogConfig.FLUSH_MESSAGES, Long.toString(brokerDefaults.flushMessages()));
    flags.put(LogConfig.FLUSH_MS, Long.toString(brokerDefaults.flushMs()));
    // Only flags that differ from the built-in default count as set.
    flags.entrySet().removeIf(e -> TopicConfigs.find(e.getKey()).map(ConfigDef::defaultText)
        .filter(e.getValue()::equals).isPresent());
    this.staticBroker = Map.copyOf(flags);
  }

  /** Every topic config for a topic with these overrides. */
  List<ConfigEntry> forTopic(Map<String, String> topicConfigs, ConfigsImage configs) {
    Map<String, String> clusterDefaults = configs.clusterDefaults();
    List<ConfigEntry> entries = new ArrayList<>();
    for (ConfigDef<?> def : TopicConfigs.all()) {
      String name = def.name();
      ConfigEntry.Builder entry = ConfigEntry.newBuilder().setName(name);
      if (topicConfigs.containsKey(name)) {
        entry.setValue(topicConfigs.get(name)).setSource(ConfigSource.CONFIG_SOURCE_TOPIC);
      } else if (clusterDefaults.containsKey(name)) {
        entry.setValue(clusterDefaults.get(name)).setSource(ConfigSource.CONFIG_SOURCE_BROKER_DEFAULTS);
      } else if (staticBroker.containsKey(name)) {
        entry.setValue(staticBroker.get(name)).setSource(ConfigSource.CONFIG_SOURCE_STATIC_BROKER);
      } else {
        entry.setValue(def.defaultText()).setSource(ConfigSource.CONFIG_SOURCE_DEFAULT);
      }
      entries.add(entry.build());
    }
    return entries;
  }

  /** The cluster-wide defaults that are set. */
  List<ConfigEntry> clusterDefaults(ConfigsImage configs) {
    List<ConfigEntry> entries = new ArrayList<>();
    configs.clusterDefaults().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> entries.add(
        ConfigEntry.newBuilder().setName(e.getKey()).setValue(e.getValue())
            .setSource(ConfigSource.CONFIG_SOURCE_BROKER_DEFAULTS).build()));
    return entries;
  }
}
