package dev.skein.client.internal;

import dev.skein.client.ConsumerConfig;
import dev.skein.client.SkeinException;
import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.HeartbeatRequest;
import dev.skein.proto.v1.HeartbeatResponse;
import dev.skein.proto.v1.TopicPartitions;
import dev.skein.rpc.ErrorReason;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consumer's membership of its group: a background thread heartbeats at the interval the
 * coordinator asks for, and keeps the latest assignment it was given. The consumer's own
 * thread applies assignments (in {@code poll}) and reports back what it owns and at which
 * epoch; only then does the coordinator count a revoked partition as released.
 */
public final class GroupMember implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(GroupMember.class);

  /** An assignment to apply: what the member may own as of {@code epoch}. */
  public record Assignment(int epoch, Set<TopicPartition> partitions) {}

  private final ConsumerConfig config;
  private final GroupCalls calls;
  private final List<String> topics;
  private final String regex;
  private final ScheduledExecutorService thread;

  /**
   * Chosen here and kept for the member's life (rejoins included), so a join retried after its
   * answer was lost cannot leave a second member behind on the coordinator.
   */
  private final String memberId = java.util.UUID.randomUUID().toString();
  // Guarded by this.
  /** The coordinator confirmed membership under the current incarnation. */
  private boolean joined;
  /** A join was sent under the current incarnation (its answer may have been lost). */
  private boolean joinSent;
  /** Bumped by every rejoin, to recognise answers meant for an earlier incarnation. */
  private int incarnation;
  private int receivedEpoch;
  private Set<TopicPartition> received = Set.of();
  private int appliedEpoch;
  private Set<TopicPartition> owned = Set.of();
  /** The coordinator no longer knows us: everything owned is lost; wait for the consumer to drop it. */
  private boolean fenced;
  private boolean leaving;
  private SkeinException fatal;
  private ScheduledFuture<?> next;
  private long sessionTimeoutMs = -1;

  public GroupMember(ConsumerConfig config, GroupCalls calls, List<String> topics, String regex) {
    this.config = config;
    this.calls = calls;
    this.topics = List.copyOf(new TreeSet<>(topics));
    this.regex = regex;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "skein-heartbeat-" + calls.groupId());
      t.setDaemon(true);
      return t;
    });
  }

  public synchronized void start() {
    schedule(0);
  }

  /** Heartbeats at once (after revoking, so the partitions move on without waiting for the interval). */
  public synchronized void heartbeatNow() {
    schedule(0);
  }

  /** The assignment to apply, if a newer one than the applied one arrived. */
  public synchronized Assignment pending() {
    if (fatal != null) {
      SkeinException e = fatal;
      fatal = null;
      throw e;
    }
    if (fenced || receivedEpoch <= appliedEpoch || !joined) {
      return null;
    }
    return new Assignment(receivedEpoch, received);
  }

  /** Whether the coordinator removed this member: the consumer must drop its partitions as lost, then {@link #rejoin}. */
  public synchronized boolean fenced() {
    return fenced;
  }

  /** The consumer applied {@code epoch}'s assignment and owns exactly {@code partitions}. */
  public synchronized void applied(int epoch, Set<TopicPartition> partitions) {
    appliedEpoch = epoch;
    owned = Set.copyOf(partitions);
  }

  /** After the consumer dropped everything it owned as lost: join again as a new member. */
  public synchronized void rejoin() {
    fenced = false;
    joined = false;
    joinSent = false;
    incarnation++;
    receivedEpoch = 0;
    received = Set.of();
    appliedEpoch = 0;
    owned = Set.of();
    schedule(0);
  }

  /** The id commits carry: empty until the coordinator has confirmed the membership. */
  public synchronized String memberId() {
    return joined ? memberId : "";
  }

  /** The epoch commits carry: that of the assignment applied. */
  public synchronized int commitEpoch() {
    return appliedEpoch;
  }

  public synchronized Set<TopicPartition> owned() {
    return owned;
  }

  private void schedule(long delayMs) {
    if (leaving || thread.isShutdown()) {
      return;
    }
    if (next != null) {
      next.cancel(false);
    }
    next = thread.schedule(this::heartbeat, delayMs, TimeUnit.MILLISECONDS);
  }

  private void heartbeat() {
    HeartbeatRequest request;
    int sentIn;
    synchronized (this) {
      if (fenced || leaving) {
        return;
      }
      int epoch = !joined ? 0 : appliedEpoch > 0 ? appliedEpoch : receivedEpoch;
      joinSent |= epoch == 0;
      sentIn = incarnation;
      request = request(epoch, owned);
    }
    long interval;
    try {
      long timeout = sessionTimeoutMs > 0 ? Math.max(1_000, sessionTimeoutMs / 3) : config.client().requestTimeout().toMillis();
      HeartbeatResponse response = calls.call(stub -> stub.heartbeat(request), timeout);
      synchronized (this) {
        if (leaving || fenced) {
          return;
        }
        if (sentIn != incarnation) {
          return; // an answer for an incarnation we have already left behind
        }
        joined = true;
        sessionTimeoutMs = response.getSessionTimeoutMs();
        if (response.getMemberEpoch() != receivedEpoch) {
          receivedEpoch = response.getMemberEpoch();
          received = fromProto(response.getAssignmentList());
        }
        interval = response.getHeartbeatIntervalMs();
      }
    } catch (SkeinException e) {
      synchronized (this) {
        if (e.reason().filter(r -> r == ErrorReason.UNKNOWN_MEMBER_ID || r == ErrorReason.FENCED_MEMBER_EPOCH)
            .isPresent()) {
          log.info("group '{}': member {} was fenced ({}); it gives up its partitions and joins again",
              calls.groupId(), memberId, e.getMessage());
          fenced = true;
          return;
        }
        if (!e.retriable()) {
          fatal = e;
          return;
        }
      }
      log.debug("group '{}': heartbeat failed, retrying: {}", calls.groupId(), e.getMessage());
      interval = config.client().retryBackoff().toMillis();
    } catch (RuntimeException e) {
      log.warn("group '{}': heartbeat failed", calls.groupId(), e);
      interval = config.client().retryBackoff().toMillis();
    }
    synchronized (this) {
      schedule(Math.max(0, interval));
    }
  }

  private HeartbeatRequest request(int epoch, Set<TopicPartition> ownedNow) {
    return HeartbeatRequest.newBuilder().setGroupId(calls.groupId()).setMemberId(memberId).setMemberEpoch(epoch)
        .setInstanceId(config.groupInstanceId()).addAllSubscribedTopicNames(topics).setSubscribedTopicRegex(regex)
        .setAssignor(config.groupRemoteAssignor()).addAllOwnedPartitions(toProto(ownedNow))
        .setClientId(config.client().clientId()).build();
  }

  /**
   * Leaves the group (a static member only for a restart: it keeps its partitions for the
   * session timeout) and stops heartbeating. Call after revoking everything owned.
   */
  public void leave() {
    HeartbeatRequest request;
    synchronized (this) {
      leaving = true;
      if (next != null) {
        next.cancel(false);
      }
      if (!joinSent || fenced) {
        request = null;
      } else {
        request = request(config.groupInstanceId().isEmpty() ? -1 : -2, Set.of());
      }
    }
    if (request != null) {
      try {
        calls.call(stub -> stub.heartbeat(request), Math.min(5_000, config.client().requestTimeout().toMillis()));
      } catch (SkeinException e) {
        log.info("group '{}': leaving failed ({}); the coordinator will remove the member after its session timeout",
            calls.groupId(), e.getMessage());
      }
    }
  }

  @Override
  public void close() {
    synchronized (this) {
      leaving = true;
    }
    thread.shutdownNow();
  }

  static List<TopicPartitions> toProto(Set<TopicPartition> partitions) {
    Map<String, TopicPartitions.Builder> byTopic = new TreeMap<>();
    for (TopicPartition tp : new TreeSet<>(partitions)) {
      byTopic.computeIfAbsent(tp.topic(), t -> TopicPartitions.newBuilder().setTopic(t)).addPartitions(tp.partition());
    }
    List<TopicPartitions> out = new ArrayList<>();
    byTopic.values().forEach(b -> out.add(b.build()));
    return out;
  }

  static Set<TopicPartition> fromProto(List<TopicPartitions> list) {
    Set<TopicPartition> out = new TreeSet<>();
    list.forEach(t -> t.getPartitionsList().forEach(p -> out.add(new TopicPartition(t.getTopic(), p))));
    return java.util.Collections.unmodifiableSet(out);
  }
}
