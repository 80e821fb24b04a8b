package dev.skein.broker.replica;

import dev.skein.broker.fetch.DataWatchers.PartitionKey;
import dev.skein.proto.internal.v1.ReplicaFetchPartition;
import dev.skein.proto.internal.v1.ReplicaFetchRequest;
import dev.skein.proto.internal.v1.ReplicaPartitionRef;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The leader's memory of one follower's replication stream: the partitions it fetches, each
 * with its latest fetch state and what the leader last told it (KIP-227's fetch session). The
 * stream is the session's identity, so it needs no id or epoch: a new stream starts with a
 * full request. With thousands of partitions between two brokers, most of them idle, this
 * keeps each request and response down to the partitions that changed.
 *
 * <p>Requests on a stream come one at a time, each after the previous response; their
 * handling and the fetches' completions run on different threads, so every method locks.
 */
final class FetchSession {

  /** One partition of the session. */
  static final class Entry {
    private final PartitionKey key;
    private ReplicaFetchPartition request;
    /** The high watermark and log start last sent, or {@link #UNSENT} to send them next time. */
    private long sentHighWatermark = UNSENT;
    private long sentLogStart = UNSENT;

    private Entry(PartitionKey key, ReplicaFetchPartition request) {
      this.key = key;
      this.request = request;
    }

    PartitionKey key() {
      return key;
    }
  }

  /** A partition's state as one fetch sees it, fixed when the fetch starts. */
  record Fetched(Entry entry, ReplicaFetchPartition request, long sentHighWatermark, long sentLogStart) {}

  private static final long UNSENT = Long.MIN_VALUE;

  /** In fetch order: a partition that got data moves to the back, so none starves under max_bytes. */
  private final LinkedHashMap<PartitionKey, Entry> entries = new LinkedHashMap<>();
  private boolean incremental;

  /**
   * Applies a request to the session and returns every partition it fetches: all of the
   * session's, each with its latest state.
   */
  synchronized List<Fetched> apply(ReplicaFetchRequest request) {
    incremental = request.getIncremental();
    if (!incremental) {
      entries.clear();
    }
    for (ReplicaPartitionRef removed : request.getRemovedList()) {
      entries.remove(new PartitionKey(removed.getTopic(), removed.getPartition()));
    }
    for (ReplicaFetchPartition p : request.getPartitionsList()) {
      PartitionKey key = new PartitionKey(p.getTopic(), p.getPartition());
      Entry entry = entries.get(key);
      if (entry == null) {
        entries.put(key, new Entry(key, p));
      } else {
        if (entry.request.getCurrentLeaderEpoch() != p.getCurrentLeaderEpoch()
            || !entry.request.getTopicId().equals(p.getTopicId())) {
          // Followed anew: what the follower was told before may not have been applied.
          entry.sentHighWatermark = UNSENT;
          entry.sentLogStart = UNSENT;
        }
        entry.request = p;
      }
    }
    List<Fetched> fetched = new ArrayList<>(entries.size());
    for (Entry e : entries.values()) {
      fetched.add(new Fetched(e, e.request, e.sentHighWatermark, e.sentLogStart));
    }
    return fetched;
  }

  /** Whether responses leave out the partitions with nothing new for the follower. */
  synchronized boolean incremental() {
    return incremental;
  }

  synchronized int size() {
    return entries.size();
  }

  /**
   * Records what a response told the follower about a partition.
   *
   * @param gotData whether it carried batches: the partition then moves to the back of the order
   */
  synchronized void sent(Entry entry, long highWatermark, long logStart, boolean gotData) {
    if (entries.get(entry.key) != entry) {
      return;
    }
    entry.sentHighWatermark = highWatermark;
    entry.sentLogStart = logStart;
    if (gotData) {
      entries.remove(entry.key);
      entries.put(entry.key, entry);
    }
  }

  /** A partition was answered with an error: whatever comes next for it is sent in full. */
  synchronized void sentError(Entry entry) {
    entry.sentHighWatermark = UNSENT;
    entry.sentLogStart = UNSENT;
  }

  /** The partitions in the session, in fetch order; for tests. */
  synchronized List<PartitionKey> keys() {
    return List.copyOf(entries.keySet());
  }

  /**
   * Whether a partition with no data and no error belongs in the response: always in a full
   * session, otherwise only when its high watermark or log start moved since last sent.
   */
  static boolean mustDescribe(boolean incremental, Fetched f, long highWatermark, long logStart) {
    return !incremental || f.sentHighWatermark() != highWatermark || f.sentLogStart() != logStart;
  }
}
