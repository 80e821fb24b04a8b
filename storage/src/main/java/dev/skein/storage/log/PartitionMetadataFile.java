package dev.skein.storage.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;

/**
 * The {@code partition.metadata} file in a partition directory, in Kafka's format:
 * <pre>
 * version: 0
 * topic_id: &lt;id&gt;
 * </pre>
 * It ties the directory's data to one incarnation of a topic, so data of a deleted topic is never served
 * under a new topic of the same name.
 */
final class PartitionMetadataFile {

  static final String FILE_NAME = "partition.metadata";
  private static final String VERSION_LINE = "version: 0";
  private static final String TOPIC_ID_PREFIX = "topic_id: ";

  private PartitionMetadataFile() {
  }

  /**
   * Writes the file into a partition directory just created, and fsyncs it; the caller fsyncs the
   * directory (with the first segment's files, so one directory fsync covers them all). There is
   * no earlier file to keep, so no temp file: a crash before the directory fsync leaves no file or
   * an unreadable one, and the log manager deletes and recreates such a directory.
   */
  static void write(Path partitionDir, String topicId) throws IOException {
    try (FileChannel channel = FileChannel.open(partitionDir.resolve(FILE_NAME), StandardOpenOption.CREATE_NEW,
        StandardOpenOption.WRITE)) {
      channel.write(ByteBuffer.wrap(content(topicId)));
      channel.force(true);
    }
  }

  private static byte[] content(String topicId) {
    return (VERSION_LINE + "\n" + TOPIC_ID_PREFIX + topicId + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /** The topic id, or empty if the file is missing or unreadable. */
  static Optional<String> readTopicId(Path partitionDir) {
    try {
      List<String> lines = Files.readAllLines(partitionDir.resolve(FILE_NAME), StandardCharsets.UTF_8);
      if (lines.size() >= 2 && lines.get(0).equals(VERSION_LINE) && lines.get(1).startsWith(TOPIC_ID_PREFIX)) {
        String topicId = lines.get(1).substring(TOPIC_ID_PREFIX.length());
        return topicId.isEmpty() ? Optional.empty() : Optional.of(topicId);
      }
      return Optional.empty();
    } catch (IOException e) { // missing (NoSuchFileException) or unreadable: the owner is unknown
      return Optional.empty();
    }
  }
}
