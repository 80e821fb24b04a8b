package dev.skein.storage.log;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Builds a partition's producer state for its log as recovered (at open) or truncated: from the newest
 * stored snapshot at or below the log end, replaying the batch headers (no payloads, no CRCs) from its
 * offset to the log end; with no usable snapshot, from the log start.
 *
 * <p>A snapshot is usable if its offset lies in [log start, log end] and it reads back consistently. The
 * others are deleted (durably) first: one above the log end describes batches a crash or a truncation
 * removed, and must not describe different batches written at the same offsets later. The log start only
 * moves when the log is emptied, which deletes every snapshot, so one below it cannot occur yet; retention,
 * once it moves the log start, will want to keep such snapshots instead.
 *
 * <p>After a clean close the newest snapshot is at the log end and nothing is replayed; after a crash, the
 * batches since the last snapshot are.
 */
final class ProducerStateLoader {

  private static final Logger log = LoggerFactory.getLogger(ProducerStateLoader.class);

  /**
   * What loading found and did, for tests and logs.
   *
   * @param snapshotOffset     the offset of the snapshot loaded, -1 if none
   * @param replayedFromOffset where the header replay began (the snapshot's offset or the log start)
   * @param batchesReplayed    batch headers read by the replay (0 after a clean close)
   * @param snapshotsDeleted   offsets of the snapshots deleted as unusable
   */
  record Report(long snapshotOffset, long replayedFromOffset, long batchesReplayed, List<Long> snapshotsDeleted) {
    boolean snapshotLoaded() {
      return snapshotOffset >= 0;
    }
  }

  /**
   * @param snapshotOffsets the offsets of the snapshots still stored, ascending
   */
  record Loaded(ProducerStateManager state, NavigableSet<Long> snapshotOffsets, Report report) {
  }

  private ProducerStateLoader() {
  }

  static Loaded load(Path dir, NavigableMap<Long, LogSegment> segments, long logStartOffset, long logEndOffset,
            ProducerStateCheckpoint checkpoint, int maxProducers) {
    NavigableSet<Long> offsets = new TreeSet<>(checkpoint.offsets());
    List<Long> unusable = new ArrayList<>();
    ProducerStateSnapshot snapshot = null;
    for (Long offset : offsets.descendingSet()) {
      if (offset > logEndOffset || offset < logStartOffset) {
        unusable.add(offset);
        continue;
      }
      if (snapshot != null) {
        continue; // an older one: kept for truncations below the newest
      }
      Optional<ProducerStateSnapshot> read = checkpoint.read(offset);
      if (read.isPresent() && isConsistent(read.get(), offset)) {
        snapshot = read.get();
      } else {
        log.warn("Producer state snapshot of {} at offset {} is unreadable or inconsistent; not using it", dir,
            offset);
        unusable.add(offset);
      }
    }
    if (!unusable.isEmpty()) {
      checkpoint.delete(unusable);
      offsets.removeAll(unusable);
      log.info("Deleted producer state snapshots of {} at offsets {} (log offsets {} to {})", dir, unusable,
          logStartOffset, logEndOffset);
    }
    ProducerStateManager state = new ProducerStateManager(dir.toString(), maxProducers);
    long from = logStartOffset;
    if (snapshot != null) {
      snapshot.entries().forEach(state::restore);
      from = snapshot.offset();
    }
    long replayed = replay(state, segments, from, logEndOffset);
    if (snapshot == null || replayed > 0) {
      log.info("Rebuilt the producer state of {} ({} producers) from {} and {} batch headers from offset {} to {}",
          dir, state.size(), snapshot == null ? "scratch" : "the snapshot at offset " + snapshot.offset(), replayed,
          from, logEndOffset);
    }
    return new Loaded(state, offsets, new Report(snapshot == null ? -1 : snapshot.offset(), from, replayed,
        List.copyOf(unusable)));
  }

  /** Each producer once, every batch below the snapshot's offset. */
  private static boolean isConsistent(ProducerStateSnapshot snapshot, long offset) {
    if (snapshot.offset() != offset) {
      return false;
    }
    Set<Long> seen = new HashSet<>();
    for (ProducerStateEntry entry : snapshot.entries()) {
      if (!seen.add(entry.producerId()) || entry.lastOffset() >= offset) {
        return false;
      }
    }
    return true;
  }

  /** Folds the headers of the batches from the one holding {@code from} up to {@code to} into {@code state}. */
  private static long replay(ProducerStateManager state, NavigableMap<Long, LogSegment> segments, long from,
                long to) {
    if (from >= to) {
      return 0;
    }
    long[] replayed = new long[1];
    Long firstKey = segments.floorKey(from);
    for (LogSegment segment : (firstKey == null ? segments : segments.tailMap(firstKey, true)).values()) {
      if (segment.baseOffset() >= to) {
        break;
      }
      int fromPosition = 0;
      if (segment.baseOffset() < from) {
        BatchLocation first = segment.locate(from, segment.size());
        if (first == null) {
          continue;
        }
        fromPosition = first.position();
      }
      segment.forEachRawHeader(fromPosition, segment.size(), (chunk, index) -> {
        replayed[0]++;
        state.updateFromHeader(chunk, index);
      });
    }
    return replayed[0];
  }
}
