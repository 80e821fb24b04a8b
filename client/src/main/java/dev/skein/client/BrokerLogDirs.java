package dev.skein.client;

import dev.skein.proto.v1.DescribeLogDirsResponse;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one broker stores, as {@link SkeinAdmin#describeLogDirs} found it: its log directories
 * with the partition replicas in each, or, when the broker could not be reached or did not
 * answer, why ({@link #error()}; the directories are empty then).
 */
public record BrokerLogDirs(int brokerId, BrokerAddress address, List<LogDir> logDirs,
    Optional<SkeinException> error) {

  public BrokerLogDirs {
    logDirs = List.copyOf(logDirs);
    Objects.requireNonNull(error, "error");
  }

  /**
   * One log directory on the broker.
   *
   * @param totalBytes size of the file system holding it; -1 if the broker could not read it
   * @param usableBytes bytes of that file system still available to the broker; -1 if unknown
   * @param replicas the replicas stored in it, by topic, then partition
   */
  public record LogDir(String path, long totalBytes, long usableBytes, List<ReplicaLog> replicas) {
    public LogDir {
      replicas = List.copyOf(replicas);
    }
  }

  /**
   * One partition replica's log on the broker.
   *
   * @param sizeBytes bytes in its segment files (indexes not counted)
   * @param segmentCount segments, the active one included
   * @param leader whether this broker leads the partition
   */
  public record ReplicaLog(TopicPartition partition, long sizeBytes, int segmentCount, long logStartOffset,
      long logEndOffset, boolean leader) {}

  static BrokerLogDirs answered(BrokerNode broker, DescribeLogDirsResponse response) {
    return new BrokerLogDirs(broker.id(), broker.address(), response.getLogDirsList().stream()
        .map(d -> new LogDir(d.getPath(), d.getTotalBytes(), d.getUsableBytes(), d.getReplicasList().stream()
            .map(r -> new ReplicaLog(new TopicPartition(r.getTopic(), r.getPartition()), r.getSizeBytes(),
                r.getSegmentCount(), r.getLogStartOffset(), r.getLogEndOffset(), r.getLeader()))
            .toList()))
        .toList(), Optional.empty());
  }

  static BrokerLogDirs failed(BrokerNode broker, SkeinException error) {
    return new BrokerLogDirs(broker.id(), broker.address(), List.of(), Optional.of(error));
  }

  /** Whether the broker answered; if not, {@link #error()} says why. */
  public boolean answered() {
    return error.isEmpty();
  }

  /** Every replica on the broker, over all its directories. */
  public List<ReplicaLog> replicas() {
    return logDirs.stream().flatMap(d -> d.replicas().stream()).toList();
  }

  /** The broker's replica of a partition, if it holds one (and answered). */
  public Optional<ReplicaLog> replica(TopicPartition partition) {
    return replicas().stream().filter(r -> r.partition().equals(partition)).findFirst();
  }
}
