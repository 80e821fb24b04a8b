package dev.skein.client;

/**
 * One topic config as the cluster applies it: its effective value and where the value comes from.
 *
 * @param source TOPIC (set on the topic), BROKER_DEFAULTS (a cluster-wide default set through
 *     the quorum), STATIC_BROKER (a flag of the broker that answered) or DEFAULT (built in)
 */
public record ConfigEntry(String name, String value, Source source) {

  /** Where a config's value comes from, most specific first. */
  public enum Source { TOPIC, BROKER_DEFAULTS, STATIC_BROKER, DEFAULT }

  static ConfigEntry from(dev.skein.proto.v1.ConfigEntry entry) {
    Source source = switch (entry.getSource()) {
      case CONFIG_SOURCE_TOPIC -> Source.TOPIC;
      case CONFIG_SOURCE_BROKER_DEFAULTS -> Source.BROKER_DEFAULTS;
      case CONFIG_SOURCE_STATIC_BROKER -> Source.STATIC_BROKER;
      default -> Source.DEFAULT;
    };
    return new ConfigEntry(entry.getName(), entry.getValue(), source);
  }
}
