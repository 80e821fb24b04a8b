package dev.skein.client;

/** A topic's name and shape, as {@link SkeinAdmin#listTopics} returns it. */
public record TopicListing(String name, String topicId, int partitionCount, int replicationFactor, boolean internal) {}
