package dev.skein.client;

import java.util.List;

/**
 * A consumer group with its members and, per partition, the committed offset, the log end
 * offset (the high watermark the partition's leader knows) and the lag between them.
 */
public record ConsumerGroupDescription(String groupId, String state, int groupEpoch, String assignor,
    int coordinatorId, List<Member> members, List<PartitionLag> partitions) {

  public ConsumerGroupDescription {
    members = List.copyOf(members);
    partitions = List.copyOf(partitions);
  }

  /** A member: {@code assignment} is what it owns now, {@code target} where the assignor wants it to end up. */
  public record Member(String memberId, String instanceId, String clientId, String host, int memberEpoch,
      List<TopicPartition> assignment, List<TopicPartition> target) {
    public Member {
      assignment = List.copyOf(assignment);
      target = List.copyOf(target);
    }
  }

  /**
   * One partition the group has a committed offset for or has assigned. {@code committedOffset}
   * is -1 without a commit; {@code lag} is then -1 too. The member fields are empty when no member owns it.
   */
  public record PartitionLag(TopicPartition partition, long committedOffset, long logEndOffset, long lag,
      String memberId, String host, String clientId) {}

  /** The sum of the known lags. */
  public long totalLag() {
    return partitions.stream().mapToLong(PartitionLag::lag).filter(l -> l > 0).sum();
  }
}
