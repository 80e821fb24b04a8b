package dev.skein.broker.rpc;

import dev.skein.broker.BrokerException;
import dev.skein.broker.replica.Partition;
import dev.skein.broker.replica.ReplicaManager;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.proto.v1.DescribeLogDirsRequest;
import dev.skein.proto.v1.DescribeLogDirsResponse;
import dev.skein.proto.v1.LogDirDescription;
import dev.skein.proto.v1.ReplicaLogDescription;
import dev.skein.rpc.ErrorReason;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * DescribeLogDirs: this broker's replicas as its own logs have them. A broker keeps every log in
 * one directory ({@code <data-dir>/logs}), so the answer has one entry; the message has room for
 * more, as Kafka's {@code log.dirs}. The figures come from {@link Partition#logSummary()}, which
 * the metrics read too, so the console and a dashboard never disagree about a replica's size.
 */
final class LogDirDescriber {

  private static final Comparator<ReplicaLogDescription> BY_PARTITION =
      Comparator.comparing(ReplicaLogDescription::getTopic).thenComparingInt(ReplicaLogDescription::getPartition);

  private final int brokerId;
  private final Path logsDir;
  private final ReplicaManager replicas;
  private final Supplier<ClusterImage> image;

  LogDirDescriber(int brokerId, Path logsDir, ReplicaManager replicas, Supplier<ClusterImage> image) {
    this.brokerId = brokerId;
    this.logsDir = logsDir;
    this.replicas = replicas;
    this.image = image;
  }

  DescribeLogDirsResponse describe(DescribeLogDirsRequest request) {
    for (String name : request.getTopicsList()) {
      if (name.isEmpty()) {
        throw BrokerException.of(ErrorReason.INVALID_REQUEST, "an empty topic name in the topics filter");
      }
    }
    // A starting broker has not taken up its replicas yet: an empty answer would read as "holds nothing".
    replicas.requireCaughtUp();
    Set<String> topics = new HashSet<>(request.getTopicsList());
    ClusterImage current = image.get();
    for (String name : topics) {
      if (current.topics().byName(name).isEmpty()) {
        throw BrokerException.of(ErrorReason.UNKNOWN_TOPIC, "topic '" + name + "' does not exist",
            Map.of("topic", name));
      }
    }
    List<ReplicaLogDescription> stored = new ArrayList<>();
    for (Partition p : replicas.hostedPartitions()) {
      if (!topics.isEmpty() && !topics.contains(p.id().topic())) {
        continue;
      }
      Partition.LogSummary log = p.logSummary();
      stored.add(ReplicaLogDescription.newBuilder().setTopic(p.id().topic()).setPartition(p.id().partition())
          .setSizeBytes(log.sizeBytes()).setSegmentCount(log.segmentCount())
          .setLogStartOffset(log.logStartOffset()).setLogEndOffset(log.logEndOffset())
          .setLeader(p.isLeader()).build());
    }
    stored.sort(BY_PARTITION);
    LogDirDescription.Builder dir = LogDirDescription.newBuilder()
        .setPath(logsDir.toAbsolutePath().normalize().toString())
        .setTotalBytes(-1).setUsableBytes(-1).addAllReplicas(stored);
    try {
      FileStore store = Files.getFileStore(logsDir);
      dir.setTotalBytes(store.getTotalSpace()).setUsableBytes(store.getUsableSpace());
    } catch (IOException e) {
      // The sizes of the logs are still worth answering with; -1 says the disk's are unknown.
    }
    return DescribeLogDirsResponse.newBuilder().setBrokerId(brokerId).addLogDirs(dir).build();
  }
}
