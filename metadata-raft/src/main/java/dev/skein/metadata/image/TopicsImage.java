package dev.skein.metadata.image;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.pcollections.HashTreePMap;
import org.pcollections.PMap;

/**
 * Every topic, by id and by name.
 *
 * <p>Both maps hold the same topics; {@code byName} is an index kept alongside so that a lookup
 * by name (what clients send) costs as little as one by id (what records carry). They are
 * persistent maps: {@link #with} and {@link #without} change one topic in O(log topics) and
 * share everything else, so a metadata write does not copy the topic list. Build instances with
 * {@link #of(Map)} or from {@link #EMPTY}.
 *
 * @param byId unmodifiable
 * @param byName unmodifiable
 */
public record TopicsImage(Map<String, TopicImage> byId, Map<String, TopicImage> byName) {

  public static final TopicsImage EMPTY = new TopicsImage(HashTreePMap.empty(), HashTreePMap.empty());

  public TopicsImage {
    byId = persistent(byId);
    byName = persistent(byName);
    if (byId.size() != byName.size()) {
      throw new IllegalArgumentException("topic indexes disagree: " + byId.size() + " ids, " + byName.size() + " names");
    }
  }

  /** The image of these topics, keyed by id. */
  public static TopicsImage of(Map<String, TopicImage> topicsById) {
    TopicsImage image = EMPTY;
    for (TopicImage topic : topicsById.values()) {
      if (image.byName.containsKey(topic.name())) {
        throw new IllegalArgumentException("two topics are named " + topic.name());
      }
      image = image.with(topic);
    }
    return image;
  }

  /**
   * These topics with {@code topic} added, or put in place of the topic with its id. A topic of
   * the same name but another id must have been removed first.
   */
  public TopicsImage with(TopicImage topic) {
    Objects.requireNonNull(topic, "topic");
    TopicImage sameName = byName.get(topic.name());
    if (sameName != null && !sameName.id().equals(topic.id())) {
      throw new IllegalArgumentException("two topics are named " + topic.name());
    }
    TopicImage previous = byId.get(topic.id());
    PMap<String, TopicImage> names = (PMap<String, TopicImage>) byName;
    if (previous != null && !previous.name().equals(topic.name())) {
      names = names.minus(previous.name());
    }
    return new TopicsImage(((PMap<String, TopicImage>) byId).plus(topic.id(), topic), names.plus(topic.name(), topic));
  }

  /** These topics without the one with this id (the same topics if there is none). */
  public TopicsImage without(String topicId) {
    TopicImage topic = byId.get(topicId);
    if (topic == null) {
      return this;
    }
    return new TopicsImage(((PMap<String, TopicImage>) byId).minus(topicId),
        ((PMap<String, TopicImage>) byName).minus(topic.name()));
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

  private static PMap<String, TopicImage> persistent(Map<String, TopicImage> topics) {
    return topics instanceof PMap<String, TopicImage> map ? map : HashTreePMap.from(topics);
  }
}
