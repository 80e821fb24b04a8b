package dev.skein.metadata.image;

import java.util.Objects;

/**
 * What a config belongs to.
 *
 * @param name the topic id for topics, the broker id for brokers, empty for the cluster
 */
public record ConfigResource(Type type, String name) {

  public enum Type { TOPIC, BROKER, CLUSTER }

  public ConfigResource {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(name, "name");
  }

  /** The cluster-wide topic config defaults. */
  public static final ConfigResource CLUSTER = new ConfigResource(Type.CLUSTER, "");

  public static ConfigResource topic(String topicId) {
    return new ConfigResource(Type.TOPIC, topicId);
  }
}
