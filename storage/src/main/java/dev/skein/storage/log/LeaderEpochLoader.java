package dev.skein.storage.log;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;

/**
 * Brings a partition's stored leader-epoch cache in line with its log as recovered by {@link LogLoader}.
 *
 * <p>The log writes a new entry before the batches it describes and removes entries after the batches
 * are gone, so after any crash the stored list covers the log and may hold more: entries at or above the
 * log end are dropped, and the earliest entry is moved up to the log start. Cheap checks then confirm
 * the list fits the log's tail: the last batch's epoch must not be above the latest epoch, and the latest
 * entry must point at the first batch of its epoch (an index lookup and a short header scan each). That
 * is all a normal restart costs.
 *
 * <p>If a check fails (a write was lost), the entries are checked the same way from the latest down until
 * one passes; the list is cut there and the rest rebuilt by scanning batch headers from that entry's start.
 * With nothing stored at all (a data directory from before the cache existed) the whole log's headers are
 * scanned, once. A lost write is only noticed through the log's tail, so this repair relies on epochs not
 * falling along the log, which the replication protocol ensures (leader appends in an older epoch are
 * fenced; a follower truncates to where it diverges before it appends).
 */
final class LeaderEpochLoader {

  private static final Logger log = LoggerFactory.getLogger(LeaderEpochLoader.class);

  /**
   * What loading the cache found and did, for tests and logs.
   *
   * @param storedFound       whether the checkpoint held a readable list
   * @param changed           whether the cache differs from the stored list (and was written back)
   * @param scannedFromOffset the offset the header scan began at, or -1 if nothing was scanned
   * @param batchesScanned    batch headers read by that scan
   */
  record Report(boolean storedFound, boolean changed, long scannedFromOffset, long batchesScanned) {
    boolean scanned() {
      return scannedFromOffset >= 0;
    }
  }

  record Loaded(LeaderEpochCache cache, int lastBatchEpoch, Report report) {
  }

  private final Path dir;
  private final NavigableMap<Long, LogSegment> segments;
  private final long logStartOffset;
  private final long logEndOffset;
  private long scannedFromOffset = -1;
  private long batchesScanned;
  /** The entries a header scan has built so far. */
  private List<EpochEntry> rebuilt;

  private LeaderEpochLoader(Path dir, NavigableMap<Long, LogSegment> segments, long logStartOffset,
                long logEndOffset) {
    this.dir = dir;
    this.segments = segments;
    this.logStartOffset = logStartOffset;
    this.logEndOffset = logEndOffset;
  }

  static Loaded load(Path dir, NavigableMap<Long, LogSegment> segments, long logStartOffset, long logEndOffset,
            LeaderEpochCheckpoint checkpoint) {
    return new LeaderEpochLoader(dir, segments, logStartOffset, logEndOffset).load(checkpoint);
  }

  private Loaded load(LeaderEpochCheckpoint checkpoint) {
    int lastBatchEpoch = lastBatchEpoch(segments, logStartOffset, logEndOffset);
    Optional<List<EpochEntry>> stored = checkpoint.read();
    if (stored.isPresent() && !LeaderEpochCache.isStrictlyIncreasing(stored.get())) {
      log.warn("Stored leader epoch cache of {} is out of order, rebuilding it: {}", dir, stored.get());
      stored = Optional.empty();
    }
    List<EpochEntry> entries;
    if (stored.isEmpty()) {
      entries = rebuildFrom(List.of(), logStartOffset);
      log.info("Rebuilt the leader epoch cache of {} from {} batch headers: {}", dir, batchesScanned, entries);
    } else {
      entries = withinLog(stored.get());
      if (!fitsTheTail(entries, lastBatchEpoch)) {
        entries = repair(entries);
        log.warn("Leader epoch cache of {} did not match its log; repaired it from the batch headers at offsets {}"
            + " to {}: {} -> {}", dir, scannedFromOffset, logEndOffset, stored.get(), entries);
      }
    }
    boolean changed = !stored.equals(Optional.of(entries));
    if (changed) {
      checkpoint.write(entries);
    }
    return new Loaded(new LeaderEpochCache(entries, checkpoint), lastBatchEpoch,
        new Report(stored.isPresent(), changed, scannedFromOffset, batchesScanned));
  }

  private boolean fitsTheTail(List<EpochEntry> entries, int lastBatchEpoch) {
    if (entries.isEmpty()) {
      return lastBatchEpoch < 0;
    }
    EpochEntry latest = entries.get(entries.size() - 1);
    return lastBatchEpoch <= latest.epoch() && pointsAtItsBatch(latest);
  }

  /** Keeps the entries up to the latest one that points at its batch, and rebuilds the rest from there. */
  private List<EpochEntry> repair(List<EpochEntry> entries) {
    for (int i = entries.size() - 1; i >= 0; i--) {
      if (pointsAtItsBatch(entries.get(i))) {
        return rebuildFrom(entries.subList(0, i + 1), entries.get(i).startOffset());
      }
    }
    return rebuildFrom(List.of(), logStartOffset);
  }

  /**
   * Whether the entry marks where its epoch begins: the batch holding its start offset was written in its
   * epoch and begins there, and the batch before it was written in an older epoch. At the log start (where
   * the earliest entry may have been moved, inside a batch) only the epoch is checked.
   */
  private boolean pointsAtItsBatch(EpochEntry entry) {
    long start = entry.startOffset();
    if (start >= logEndOffset || start < logStartOffset) {
      return false;
    }
    BatchHeader holding = batchHolding(start);
    if (holding == null || holding.leaderEpoch() != entry.epoch()) {
      return false;
    }
    if (start == logStartOffset) {
      return true;
    }
    BatchHeader previous = batchHolding(start - 1);
    return holding.baseOffset() == start && previous != null && previous.leaderEpoch() < entry.epoch();
  }

  private record BatchHeader(long baseOffset, int leaderEpoch) {
  }

  /** The batch holding {@code offset} (an index lookup and a short header scan), or null if there is none. */
  private BatchHeader batchHolding(long offset) {
    Map.Entry<Long, LogSegment> floor = segments.floorEntry(offset);
    if (floor == null) {
      return null;
    }
    LogSegment segment = floor.getValue();
    BatchLocation batch = segment.locate(offset, segment.size());
    if (batch == null || batch.baseOffset() > offset) {
      return null;
    }
    return new BatchHeader(batch.baseOffset(), segment.leaderEpochAt(batch.position()));
  }

  /**
   * {@code prefix} followed by the epochs of the batches from the one holding {@code fromOffset} to the log
   * end, each assigned as the log does when it appends; the result starts no lower than the log start.
   */
  private List<EpochEntry> rebuildFrom(List<EpochEntry> prefix, long fromOffset) {
    scannedFromOffset = fromOffset;
    rebuilt = List.copyOf(prefix);
    Long firstKey = segments.floorKey(fromOffset);
    for (LogSegment segment : (firstKey == null ? segments : segments.tailMap(firstKey, true)).values()) {
      int fromPosition = 0;
      if (segment.baseOffset() < fromOffset) {
        BatchLocation first = segment.locate(fromOffset, segment.size());
        if (first == null) {
          continue;
        }
        fromPosition = first.position();
      }
      segment.forEachBatchHeader(fromPosition, segment.size(), (baseOffset, leaderEpoch) -> {
        batchesScanned++;
        if (leaderEpoch >= 0) {
          rebuilt = LeaderEpochCache.withAssigned(rebuilt, new EpochEntry(leaderEpoch, baseOffset));
        }
      });
    }
    return withinLog(rebuilt);
  }

  /** The entries cut to the log: none at or above its end, the earliest moved up to its start. */
  private List<EpochEntry> withinLog(List<EpochEntry> entries) {
    return LeaderEpochCache.withTruncatedFromEnd(LeaderEpochCache.withTruncatedFromStart(entries, logStartOffset),
        logEndOffset);
  }

  /**
   * The leader_epoch of the last batch below {@code logEndOffset} (-1 if the log has none at or above its
   * start): one index lookup and a short header scan. The segments must not change meanwhile.
   */
  static int lastBatchEpoch(NavigableMap<Long, LogSegment> segments, long logStartOffset, long logEndOffset) {
    if (logEndOffset <= logStartOffset) {
      return -1;
    }
    for (Map.Entry<Long, LogSegment> e = segments.floorEntry(logEndOffset - 1); e != null;
       e = segments.lowerEntry(e.getKey())) {
      LogSegment segment = e.getValue();
      BatchLocation last = segment.locate(logEndOffset - 1, segment.size());
      if (last != null) {
        return segment.leaderEpochAt(last.position());
      }
    }
    return -1;
  }
}
