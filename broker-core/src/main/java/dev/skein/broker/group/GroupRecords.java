package dev.skein.broker.group;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.skein.proto.internal.v1.GroupMetadataValue;
import dev.skein.proto.internal.v1.GroupRecordKey;
import dev.skein.proto.internal.v1.MemberValue;
import dev.skein.proto.internal.v1.OffsetKey;
import dev.skein.proto.internal.v1.OffsetValue;
import dev.skein.proto.internal.v1.PartitionSet;
import dev.skein.proto.v1.Record;
import dev.skein.proto.v1.RecordSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The records of {@code __consumer_offsets}: keys and values as protobuf, one key per group
 * (its whole membership) and one per committed offset, so that a key's last record is the
 * whole state for that key; a deletion is a record without a value.
 */
public final class GroupRecords {

  /** One record to write: a key and a value, or null for a tombstone. */
  public record Entry(GroupRecordKey key, com.google.protobuf.Message value) {}

  /** A committed offset as stored. */
  public record Committed(long offset, int leaderEpoch, String metadata, long commitTimestampMs) {
    OffsetValue toValue() {
      return OffsetValue.newBuilder().setOffset(offset).setLeaderEpoch(leaderEpoch).setMetadata(metadata)
          .setCommitTimestampMs(commitTimestampMs).build();
    }

    static Committed from(OffsetValue v) {
      return new Committed(v.getOffset(), v.getLeaderEpoch(), v.getMetadata(), v.getCommitTimestampMs());
    }
  }

  private GroupRecords() {}

  public static Entry group(String groupId, GroupState state) {
    return new Entry(GroupRecordKey.newBuilder().setGroup(groupId).build(), state == null ? null : toValue(state));
  }

  public static Entry offset(String groupId, TopicPartition tp, Committed committed) {
    return new Entry(offsetKey(groupId, tp), committed == null ? null : committed.toValue());
  }

  static GroupRecordKey offsetKey(String groupId, TopicPartition tp) {
    return GroupRecordKey.newBuilder().setOffset(OffsetKey.newBuilder().setGroup(groupId).setTopic(tp.topic())
        .setPartition(tp.partition())).build();
  }

  /** The records as one uncompressed RecordSet, numbered from 0. */
  public static RecordSet toRecordSet(List<Entry> entries, long timestampMs) {
    RecordSet.Builder set = RecordSet.newBuilder();
    int delta = 0;
    for (Entry e : entries) {
      Record.Builder r = Record.newBuilder().setOffsetDelta(delta++).setTimestampMs(timestampMs)
          .setKey(e.key().toByteString());
      if (e.value() != null) {
        r.setValue(e.value().toByteString());
      }
      set.addRecords(r);
    }
    return set.build();
  }

  /** Applies one stored record to the state being loaded. */
  public static void replay(Record record, Map<String, GroupState> groups,
      Map<String, Map<TopicPartition, Committed>> offsets) throws InvalidProtocolBufferException {
    GroupRecordKey key = GroupRecordKey.parseFrom(record.getKey());
    switch (key.getKeyCase()) {
      case GROUP -> {
        if (record.hasValue()) {
          groups.put(key.getGroup(), fromValue(key.getGroup(), GroupMetadataValue.parseFrom(record.getValue())));
        } else {
          groups.remove(key.getGroup());
        }
      }
      case OFFSET -> {
        OffsetKey k = key.getOffset();
        TopicPartition tp = new TopicPartition(k.getTopic(), k.getPartition());
        if (record.hasValue()) {
          offsets.computeIfAbsent(k.getGroup(), g -> new TreeMap<>())
              .put(tp, Committed.from(OffsetValue.parseFrom(record.getValue())));
        } else {
          Map<TopicPartition, Committed> of = offsets.get(k.getGroup());
          if (of != null) {
            of.remove(tp);
            if (of.isEmpty()) {
              offsets.remove(k.getGroup());
            }
          }
        }
      }
      default -> {
        // A record kind from a newer version: skipped, so an older broker can still load the rest.
      }
    }
  }

  static GroupMetadataValue toValue(GroupState s) {
    GroupMetadataValue.Builder v = GroupMetadataValue.newBuilder().setGroupEpoch(s.groupEpoch())
        .setLastMemberEpoch(s.lastMemberEpoch()).setAssignor(s.assignor()).putAllSubscribedTopics(s.subscribedTopics())
        .setEmptySinceMs(s.emptySinceMs());
    for (MemberState m : s.members().values()) {
      v.addMembers(MemberValue.newBuilder().setMemberId(m.memberId()).setInstanceId(m.instanceId())
          .setClientId(m.clientId()).setClientHost(m.clientHost()).setMemberEpoch(m.memberEpoch())
          .addAllTopics(m.topics()).setRegex(m.regex()).setAssignor(m.assignor())
          .addAllAssigned(toSets(m.assigned())).addAllRevoking(toSets(m.revoking())).addAllTarget(toSets(m.target()))
          .setDeparted(m.departed()));
    }
    return v.build();
  }

  static GroupState fromValue(String groupId, GroupMetadataValue v) {
    SortedMap<String, MemberState> members = new TreeMap<>();
    for (MemberValue m : v.getMembersList()) {
      members.put(m.getMemberId(), new MemberState(m.getMemberId(), m.getInstanceId(), m.getClientId(),
          m.getClientHost(), m.getMemberEpoch(), m.getTopicsList(), m.getRegex(), m.getAssignor(),
          fromSets(m.getAssignedList()), fromSets(m.getRevokingList()), fromSets(m.getTargetList()), m.getDeparted()));
    }
    return new GroupState(groupId, v.getGroupEpoch(), v.getLastMemberEpoch(), v.getAssignor(), members,
        new TreeMap<>(v.getSubscribedTopicsMap()), v.getEmptySinceMs());
  }

  public static List<PartitionSet> toSets(Set<TopicPartition> partitions) {
    Map<String, PartitionSet.Builder> byTopic = new TreeMap<>();
    for (TopicPartition tp : new TreeSet<>(partitions)) {
      byTopic.computeIfAbsent(tp.topic(), t -> PartitionSet.newBuilder().setTopic(t)).addPartitions(tp.partition());
    }
    List<PartitionSet> out = new ArrayList<>();
    byTopic.values().forEach(b -> out.add(b.build()));
    return out;
  }

  static TreeSet<TopicPartition> fromSets(List<PartitionSet> sets) {
    TreeSet<TopicPartition> out = new TreeSet<>();
    for (PartitionSet s : sets) {
      s.getPartitionsList().forEach(p -> out.add(new TopicPartition(s.getTopic(), p)));
    }
    return out;
  }

}
