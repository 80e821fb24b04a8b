package dev.skein.storage.log;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A partition directory found in a data directory.
 *
 * @param topicId the id in its partition.metadata, or empty if that file is missing or unreadable
 */
public record LogDirectory(String topic, int partition, Optional<String> topicId, Path path) {
}
