package dev.skein.metadata.controller;

import dev.skein.metadata.config.TopicConfigs;
import dev.skein.metadata.controller.PartitionLeaderElector.Election;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.PartitionRegistration;
import dev.skein.metadata.image.TopicImage;
import dev.skein.proto.internal.v1.MetadataRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * The partition changes that follow a broker's state change: who leads, and who stays in the
 * ISR, when a broker stops or starts being usable; and the moves of leaderships back to
 * preferred leaders. At most one change per partition, so the changes can share a batch.
 */
final class LeadershipChanges {

  /** Preferred-leader moves per batch: a cluster-wide rebalance must not become one huge write. */
  static final int PREFERRED_LEADERS_PER_BATCH = 100;

  private LeadershipChanges() {}

  /**
   * A broker stops being usable (fenced, replaced by a new registration, or shutting down): it
   * loses every leadership, to the first usable ISR member, or to nobody if there is none (and
   * unclean election is off). It also leaves every ISR it is in, unless it is the last member:
   * a partition always keeps the replica that has its committed records, so that it can lead
   * again when it comes back.
   */
  static List<MetadataRecord> brokerLeaving(ClusterImage image, int brokerId) {
    IntPredicate usable = broker -> broker != brokerId && image.brokers().isUsable(broker);
    List<MetadataRecord> records = new ArrayList<>();
    for (TopicImage topic : image.topics().byId().values()) {
      for (Map.Entry<Integer, PartitionRegistration> entry : topic.partitions().entrySet()) {
        PartitionRegistration partition = entry.getValue();
        boolean leads = partition.leader() == brokerId;
        if (!leads && !partition.isInIsr(brokerId)) {
          continue;
        }
        List<Integer> isr = partition.isr();
        if (isr.size() > 1 && isr.contains(brokerId)) {
          isr = isr.stream().filter(member -> member != brokerId).toList();
        }
        int leader = partition.leader();
        boolean unclean = false;
        if (leads) {
          Election election = PartitionLeaderElector.elect(partition.replicas(), isr, usable,
              uncleanAllowed(image, topic));
          leader = election.leader();
          if (election.unclean()) {
            isr = List.of(leader);
            unclean = true;
          }
        }
        MetadataRecords.partitionChange(topic.id(), entry.getKey(), partition, leader, isr, unclean)
            .ifPresent(records::add);
      }
    }
    return records;
  }

  /**
   * A broker becomes usable (unfenced): partitions without a leader elect one now that it is
   * available, which is it if it is their first usable ISR member.
   */
  static List<MetadataRecord> brokerJoining(ClusterImage image, int brokerId) {
    IntPredicate usable = broker -> broker == brokerId || image.brokers().isUsable(broker);
    List<MetadataRecord> records = new ArrayList<>();
    for (TopicImage topic : image.topics().byId().values()) {
      for (Map.Entry<Integer, PartitionRegistration> entry : topic.partitions().entrySet()) {
        PartitionRegistration partition = entry.getValue();
        if (partition.hasLeader() || !partition.isReplica(brokerId)) {
          continue;
        }
        Election election = PartitionLeaderElector.elect(partition.replicas(), partition.isr(), usable,
            uncleanAllowed(image, topic));
        if (election.hasLeader()) {
          List<Integer> isr = election.unclean() ? List.of(election.leader()) : partition.isr();
          MetadataRecords.partitionChange(topic.id(), entry.getKey(), partition, election.leader(), isr,
              election.unclean()).ifPresent(records::add);
        }
      }
    }
    return records;
  }

  /**
   * Leaderships back to preferred leaders (Kafka's auto leader rebalance): every partition led
   * by another broker, or by nobody, whose preferred leader is usable and in the ISR moves to
   * it, with a new leader epoch and the same ISR. Kafka waits until a broker's share of
   * misplaced leaderships passes a threshold; we move every one, at most {@code limit} per call
   * (each call sees the moves of the last, so calls repeat until this is empty).
   */
  static List<MetadataRecord> preferredLeaders(ClusterImage image, int limit) {
    IntPredicate usable = image.brokers()::isUsable;
    List<MetadataRecord> records = new ArrayList<>();
    for (TopicImage topic : image.topics().byId().values()) {
      for (Map.Entry<Integer, PartitionRegistration> entry : topic.partitions().entrySet()) {
        PartitionRegistration partition = entry.getValue();
        if (partition.hasPreferredLeader()) {
          continue;
        }
        Election election = PartitionLeaderElector.electPreferred(partition.replicas(), partition.isr(), usable);
        if (election.hasLeader()) {
          MetadataRecords.partitionChange(topic.id(), entry.getKey(), partition, election.leader(), partition.isr(),
              false).ifPresent(records::add);
          if (records.size() >= limit) {
            return records;
          }
        }
      }
    }
    return records;
  }

  /** Whether the broker leads any partition. */
  static boolean leadsAny(ClusterImage image, int brokerId) {
    for (TopicImage topic : image.topics().byId().values()) {
      for (PartitionRegistration partition : topic.partitions().values()) {
        if (partition.leader() == brokerId) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean uncleanAllowed(ClusterImage image, TopicImage topic) {
    return TopicConfigs.UNCLEAN_LEADER_ELECTION_ENABLE.valueIn(image.configs().topicConfigs(topic.id()));
  }
}
