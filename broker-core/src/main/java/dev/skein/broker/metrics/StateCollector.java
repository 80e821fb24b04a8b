package dev.skein.broker.metrics;

import dev.skein.broker.group.GroupCoordinator;
import dev.skein.broker.group.GroupRecords;
import dev.skein.broker.group.GroupState;
import dev.skein.broker.group.TopicPartition;
import dev.skein.broker.replica.Partition;
import dev.skein.metadata.MetadataQuorum;
import dev.skein.metadata.image.BrokerRegistration;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.PartitionRegistration;
import dev.skein.metadata.image.TopicImage;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The broker's state as gauges, read once per scrape: partition health as this broker sees it, its
 * logs, its followers' lag, the metadata quorum, and the groups it coordinates. Nothing here is kept
 * between scrapes. Cluster-wide figures that every broker could report (offline partitions, fenced
 * brokers) are reported by the active controller only, as Kafka does, so that summing over brokers
 * gives the cluster's value.
 */
final class StateCollector implements MultiCollector {

  private final BrokerMetrics.Sources sources;
  private final boolean partitionLevel;

  StateCollector(BrokerMetrics.Sources sources, boolean partitionLevel) {
    this.sources = sources;
    this.partitionLevel = partitionLevel;
  }

  /** One gauge family being filled. */
  private static final class Family {
    final GaugeSnapshot.Builder builder;
    int points;

    Family(String name, String help) {
      this.builder = GaugeSnapshot.builder().name(name).help(help);
    }

    Family add(double value, String... labels) {
      builder.dataPoint(GaugeDataPointSnapshot.builder().value(value).labels(Labels.of(labels)).build());
      points++;
      return this;
    }
  }

  private final class Snapshot {
    final List<Family> families = new ArrayList<>();

    Family family(String name, String help) {
      Family f = new Family(name, help);
      families.add(f);
      return f;
    }

    MetricSnapshots build() {
      List<MetricSnapshot> out = new ArrayList<>(families.size());
      for (Family f : families) {
        if (f.points > 0) {
          out.add(f.builder.build());
        }
      }
      return new MetricSnapshots(out);
    }
  }

  @Override
  public MetricSnapshots collect() {
    Snapshot s = new Snapshot();
    String node = Integer.toString(sources.nodeId());
    s.family("skein_broker_info", "This broker's node id (join on instance to name brokers)").add(1, "node_id", node);
    collectPartitions(s);
    collectQuorum(s);
    collectGroups(s);
    return s.build();
  }

  private void collectPartitions(Snapshot s) {
    Family hosted = s.family("skein_partitions", "Partition replicas hosted on this broker");
    Family led = s.family("skein_partitions_leader", "Partitions this broker leads");
    Family under = s.family("skein_partitions_under_replicated",
        "Partitions led here whose ISR is smaller than their replica set");
    Family underMin = s.family("skein_partitions_under_min_isr",
        "Partitions led here whose ISR is smaller than min.insync.replicas (acks=all writes are refused)");
    Family atMin = s.family("skein_partitions_at_min_isr",
        "Partitions led here whose ISR has exactly min.insync.replicas members (one more loss refuses writes)");
    Family size = s.family("skein_logs_size_bytes", "Bytes in all partition logs on this broker");
    Family segments = s.family("skein_logs_segments", "Segments in all partition logs on this broker");
    Family maxLag = s.family("skein_replica_lag_records_max",
        "Largest follower lag (records behind the leader's log end) over the partitions led here");
    Family maxLagTime = s.family("skein_replica_lag_seconds_max",
        "Longest time any follower of a partition led here has not been caught up");
    Family pSize = s.family("skein_log_size_bytes", "Bytes in this replica's log");
    Family pSegments = s.family("skein_log_segments", "Segments in this replica's log");
    Family pStart = s.family("skein_log_start_offset", "This replica's log start offset");
    Family pEnd = s.family("skein_log_end_offset", "This replica's log end offset");
    Family pHw = s.family("skein_log_high_watermark", "This replica's high watermark (what consumers can read up to)");
    Family pLeader = s.family("skein_partition_leader", "1 if this broker leads the partition");
    Family pIsr = s.family("skein_partition_isr", "In-sync replicas of a partition led here");
    Family pReplicas = s.family("skein_partition_replicas", "Replicas of a partition led here");
    Family pUnder = s.family("skein_partition_under_replicated", "1 if a partition led here is under-replicated");
    Family fLag = s.family("skein_replica_lag_records", "A follower's lag behind its leader, in records");
    Family fLagTime = s.family("skein_replica_lag_seconds", "Time since a follower last had all of its leader's log");

    long count = 0;
    long leaders = 0;
    long underReplicated = 0;
    long underMinIsr = 0;
    long atMinIsr = 0;
    long totalSize = 0;
    long totalSegments = 0;
    long worstLag = 0;
    long worstLagMs = 0;
    for (Partition p : sources.replicas().hostedPartitions()) {
      count++;
      Partition.LogSummary logSummary;
      try {
        logSummary = p.logSummary();
      } catch (RuntimeException closedMeanwhile) {
        continue;
      }
      long bytes = logSummary.sizeBytes();
      int segs = logSummary.segmentCount();
      totalSize += bytes;
      totalSegments += segs;
      Partition.Leadership l = p.leadership();
      boolean leader = p.isLeader();
      String topic = p.id().topic();
      String partition = Integer.toString(p.id().partition());
      if (partitionLevel) {
        pSize.add(bytes, "topic", topic, "partition", partition);
        pSegments.add(segs, "topic", topic, "partition", partition);
        pStart.add(logSummary.logStartOffset(), "topic", topic, "partition", partition);
        pEnd.add(logSummary.logEndOffset(), "topic", topic, "partition", partition);
        pHw.add(logSummary.highWatermark(), "topic", topic, "partition", partition);
        pLeader.add(leader ? 1 : 0, "topic", topic, "partition", partition);
      }
      if (!leader) {
        continue;
      }
      leaders++;
      int isr = l.isr().size();
      int minIsr = p.settings().minInsyncReplicas();
      boolean isUnder = isr < l.replicas().size();
      if (isUnder) {
        underReplicated++;
      }
      if (isr < minIsr) {
        underMinIsr++;
      } else if (isr == minIsr) {
        atMinIsr++;
      }
      if (partitionLevel) {
        pIsr.add(isr, "topic", topic, "partition", partition);
        pReplicas.add(l.replicas().size(), "topic", topic, "partition", partition);
        pUnder.add(isUnder ? 1 : 0, "topic", topic, "partition", partition);
      }
      for (Partition.FollowerLag lag : p.followerLags()) {
        worstLag = Math.max(worstLag, lag.lagRecords());
        worstLagMs = Math.max(worstLagMs, lag.lagMs());
        if (partitionLevel) {
          String follower = Integer.toString(lag.replicaId());
          fLag.add(lag.lagRecords(), "topic", topic, "partition", partition, "follower", follower);
          fLagTime.add(lag.lagMs() / 1000.0, "topic", topic, "partition", partition, "follower", follower);
        }
      }
    }
    hosted.add(count);
    led.add(leaders);
    under.add(underReplicated);
    underMin.add(underMinIsr);
    atMin.add(atMinIsr);
    size.add(totalSize);
    segments.add(totalSegments);
    maxLag.add(worstLag);
    maxLagTime.add(worstLagMs / 1000.0);
  }

  private void collectQuorum(Snapshot s) {
    MetadataQuorum quorum = sources.quorum();
    ClusterImage image = quorum.image();
    boolean active = quorum.isActiveController();
    s.family("skein_controller_active", "1 if the controller runs on this broker (sums to 1 over a healthy cluster)")
        .add(active ? 1 : 0);
    s.family("skein_metadata_offset", "Offset of the newest metadata image applied on this broker")
        .add(image.offset());
    MetadataQuorum.LocalRaftState raft = quorum.localRaftState();
    if (raft != null) {
      s.family("skein_raft_leader", "1 if this broker's quorum member is the Raft leader").add(raft.leader() ? 1 : 0);
      s.family("skein_raft_term", "The Raft term this member is in").add(raft.term());
      s.family("skein_raft_commit_index", "The highest Raft index this member knows to be committed")
          .add(raft.commitIndex());
      s.family("skein_raft_applied_index", "The highest Raft index this member has applied").add(raft.lastAppliedIndex());
      Family memberLag = s.family("skein_raft_member_lag_entries",
          "Raft leader only: how many committed entries each member has still to commit");
      raft.memberCommitIndexes().forEach((member, index) ->
          memberLag.add(Math.max(0, raft.commitIndex() - index), "member", Integer.toString(member)));
    }
    if (!active) {
      return;
    }
    long fenced = 0;
    long registered = 0;
    long shuttingDown = 0;
    for (BrokerRegistration b : image.brokers().brokers().values()) {
      registered++;
      if (b.fenced()) {
        fenced++;
      }
      if (b.inControlledShutdown()) {
        shuttingDown++;
      }
    }
    long offline = 0;
    long partitions = 0;
    long preferredNotLeading = 0;
    for (TopicImage topic : image.topics().byId().values()) {
      for (PartitionRegistration p : topic.partitions().values()) {
        partitions++;
        if (!p.hasLeader()) {
          offline++;
        } else if (p.leader() != p.preferredLeader()) {
          preferredNotLeading++;
        }
      }
    }
    s.family("skein_controller_registered_brokers", "Active controller only: brokers registered").add(registered);
    s.family("skein_controller_fenced_brokers", "Active controller only: brokers fenced (not serving)").add(fenced);
    s.family("skein_controller_shutting_down_brokers", "Active controller only: brokers in controlled shutdown")
        .add(shuttingDown);
    s.family("skein_controller_topics", "Active controller only: topics").add(image.topics().size());
    s.family("skein_controller_partitions", "Active controller only: partitions").add(partitions);
    s.family("skein_controller_offline_partitions", "Active controller only: partitions without a leader")
        .add(offline);
    s.family("skein_controller_preferred_replica_imbalance",
        "Active controller only: partitions led by a replica other than their preferred one").add(preferredNotLeading);
  }

  private void collectGroups(Snapshot s) {
    GroupCoordinator coordinator = sources.groups();
    List<GroupCoordinator.Description> groups;
    try {
      groups = coordinator.list();
    } catch (RuntimeException notReady) {
      return;
    }
    Family count = s.family("skein_groups", "Consumer groups this broker coordinates");
    Family members = s.family("skein_group_members", "Members of a group coordinated here");
    Family state = s.family("skein_group_state", "1 for the group's current state (empty, stable, reconciling)");
    Family topicLag = s.family("skein_group_topic_lag_records",
        "Records of a topic not yet committed by a group (sum over partitions whose high watermark this broker "
            + "knows: it hosts a replica)");
    Family partitionLag = s.family("skein_group_lag_records",
        "High watermark minus committed offset, per group and partition hosted here");
    count.add(groups.size());
    for (GroupCoordinator.Description d : groups) {
      String group = d.groupId();
      GroupState gs = d.state();
      int n = gs == null ? 0 : gs.members().size();
      String current = gs == null || gs.isEmpty() ? "empty" : gs.stable() ? "stable" : "reconciling";
      members.add(n, "group", group);
      for (String st : new String[] {"empty", "stable", "reconciling"}) {
        state.add(st.equals(current) ? 1 : 0, "group", group, "state", st);
      }
      Map<String, Long> lagByTopic = new TreeMap<>();
      for (Map.Entry<TopicPartition, GroupRecords.Committed> e : d.offsets().entrySet()) {
        TopicPartition tp = e.getKey();
        Optional<Partition> hosted = sources.replicas().partition(tp.topic(), tp.partition());
        if (hosted.isEmpty()) {
          continue;
        }
        long lag = Math.max(0, hosted.get().highWatermark() - e.getValue().offset());
        lagByTopic.merge(tp.topic(), lag, Long::sum);
        if (partitionLevel) {
          partitionLag.add(lag, "group", group, "topic", tp.topic(), "partition", Integer.toString(tp.partition()));
        }
      }
      lagByTopic.forEach((topic, lag) -> topicLag.add(lag, "group", group, "topic", topic));
    }
  }

  @Override
  public List<String> getPrometheusNames() {
    return List.of();
  }
}
