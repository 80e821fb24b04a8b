package dev.skein.metadata.image;

import dev.skein.proto.internal.v1.MirrorLinkRecord;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Mirror links this cluster runs (by name) and its mirror topics (by topic id). A topic that is
 * a mirror and not promoted refuses producers.
 *
 * @param links each link as its last {@link MirrorLinkRecord}
 * @param topics mirror topics, promoted ones included, by topic id
 */
public record MirrorsImage(Map<String, MirrorLinkRecord> links, Map<String, MirrorTopic> topics) {

  public static final MirrorsImage EMPTY = new MirrorsImage(Map.of(), Map.of());

  /** A topic this cluster mirrors from the link's source topic of the same name. */
  public record MirrorTopic(String topicId, String link, boolean promoted) {}

  public MirrorsImage {
    links = Map.copyOf(links);
    topics = Map.copyOf(topics);
  }

  public Optional<MirrorLinkRecord> link(String name) {
    return Optional.ofNullable(links.get(name));
  }

  public Optional<MirrorTopic> topic(String topicId) {
    return Optional.ofNullable(topics.get(topicId));
  }

  /** Whether producers are refused on this topic: it is a mirror topic not yet promoted. */
  public boolean isReadOnly(String topicId) {
    MirrorTopic topic = topics.get(topicId);
    return topic != null && !topic.promoted();
  }

  /** Links sorted by name. */
  public TreeMap<String, MirrorLinkRecord> sortedLinks() {
    return new TreeMap<>(links);
  }
}
