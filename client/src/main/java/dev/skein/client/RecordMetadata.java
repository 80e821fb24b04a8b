package dev.skein.client;

/**
 * Where a sent record landed. With acks=0 the producer does not wait for the broker, so
 * the offset is unknown: -1.
 */
public record RecordMetadata(TopicPartition topicPartition, long offset, long timestamp) {}
