package dev.skein.metadata.image;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Every topic, by id and by name.
 *
 * <p>Both maps hold the same topics; {@code byName} is an index kept alongside so that a lookup
 * by name (what clients send) costs as little as one by id (what records carry). Build instances
 * with {@link #of(Map)}.
 */
public record TopicsImage(Map<String, TopicImage> byId, Map<String, TopicImage> byName) {

  public static final TopicsImage EMPTY = new TopicsImage(Map.of(), Map.of());

  public TopicsImage {
    byId = Map.copyOf(byId);
    byName = Map.copyOf(byName);
    if (byId.size() != byName.size()) {
      throw new IllegalArgumentException("topic indexes disagree: " + byId.size() + " ids, " + byName.size() + " names");
    }
  }

  /** The image of these topics, keyed by id. */
  public static TopicsImage of(Map<String, TopicImage> topicsById) {
    Map<String, TopicImage> byName = new HashMap<>(topicsById.size() * 2);
    for (TopicImage topic : topicsById.values()) {
      if (byName.put(topic.name(), topic) != null) {
        throw new IllegalArgumentException("two topics are named " + topic.name());
      }
    }
    return new TopicsImage(topicsById, byName);
  }

  public Optional<TopicImage> byId(String topicId) {
    return Optional.ofNullable(byId.get(topicId));
  }

  public Optional<TopicImage> byName(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  public int size() {
    return byId.size();
  }
}
