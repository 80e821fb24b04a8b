package dev.skein.storage.log;

import dev.skein.storage.state.PartitionCheckpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The log of one partition: a directory of segments holding record batches exactly as they are served.
 *
 * <p><b>Concurrency.</b> One writer at a time (appends, rolls, truncation); reads run concurrently with
 * appends. After each append the writer publishes the new log end (offset, segment, byte position) in one
 * volatile write, and a read never looks past the end it saw, so it never sees part of a batch. Truncation,
 * close and delete exclude readers with a read-write lock that reads hold only while they run. Lock order:
 * snapshot lock, append lock, flush lock, structure lock.
 *
 * <p><b>Durability.</b> Appends go to the page cache. {@link #flush()} fsyncs up to the log end and moves
 * the recovery point there. As in Kafka the defaults only fsync when a segment is rolled (the finished
 * segment, inline or on an executor given to {@link #open}) and at {@link #close()}; flush.messages makes
 * appends flush once that many records are unflushed, and flush.ms is applied by the {@link LogManager}'s
 * background task. A durable log ({@link LogConfig#durable()}: durability=fsync or flush.messages=1) asks
 * the log directory's {@link LogFlusher} to fsync its data after every append; {@link #flushedOffset()}
 * says how far that has got, and replication counts a durable topic's batch as committed only below it.
 *
 * <p><b>Leader epochs.</b> The log keeps its {@link LeaderEpochCache} (the first offset of each leader
 * epoch it holds) in step with its batches: appends that bring a higher epoch add it, truncation trims it,
 * and every change is written to the {@link LeaderEpochCheckpoint} given to {@link #open} before the call
 * returns (new entries before the batches they describe), so opening finds it consistent with the
 * recovered log without scanning it.
 *
 * <p><b>Producer state.</b> For idempotent producers (producer_id &ge; 0) the log keeps each producer's
 * epoch and last five batches ({@link #producerState}). A leader append checks the batch against them under
 * the append lock before writing: a retry of a cached batch is answered with the original's offsets and
 * not written ({@link LogAppendResult#duplicate()}); a stale epoch, a sequence gap or an unknown producer is
 * refused. Follower appends update the state from the headers without checking. Snapshots go to the
 * {@link ProducerStateCheckpoint} given to {@link #open} when {@link #snapshotProducerState()} is called
 * (the {@link LogManager} does every checkpoint interval) and at {@link #close()}; opening and truncation
 * start from the newest usable snapshot and replay the batch headers after it.
 *
 * <p><b>Compaction.</b> The {@link LogCleaner} reads closed segments through {@link #readForCleaner} (shared
 * lock, per chunk) and swaps cleaned ones in with {@link #replaceSegments}, which takes only the structure
 * write lock: appends never touch closed segments, so they go on during a swap; readers wait only for its
 * renames. Truncation, restarting and raising the log start bump a generation counter that makes a cleaning
 * begun before them abort instead of swapping in a stale copy.
 *
 * <p><b>Errors.</b> Requests the log refuses throw a {@link LogException}; an {@link UncheckedIOException}
 * means the disk failed and the log should be taken offline. Do not interrupt threads that call into a
 * log: the JDK closes a {@code FileChannel} whose reader or writer is interrupted.
 */
public final class PartitionLog implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PartitionLog.class);
  /** How much {@link #batchesFrom(long)} reads at a time. */
  private static final int SCAN_CHUNK_BYTES = 1 << 20;
  /**
   * Producer-state snapshots kept besides the newest one at or below the high watermark (which truncation
   * does not go below while replication works): older ones let truncation start close to its target.
   */
  static final int PRODUCER_SNAPSHOTS_KEPT = 3;

  /** What a reader may see: the offset after the last whole batch, where it ends, in which segment. */
  private record LogEnd(long nextOffset, LogSegment segment, int position) {
  }

  private final Path dir;
  private final Clock clock;
  /** Runs the fsync of a segment finished by a roll: in the appending thread, or in the background. */
  private final Executor rollFlushExecutor;
  private final RecoveryReport recoveryReport;
  private final NavigableMap<Long, LogSegment> segments = new ConcurrentSkipListMap<>();
  /** Serializes producer-state snapshot writes with truncation, close and delete; taken before the append lock. */
  private final ReentrantLock snapshotLock = new ReentrantLock();
  private final ReentrantLock appendLock = new ReentrantLock();
  private final ReentrantLock flushLock = new ReentrantLock();
  private final ReentrantReadWriteLock structureLock = new ReentrantReadWriteLock();
  /** Header of the batch being appended; used only under the append lock. Direct: written as is. */
  private final ByteBuffer header = ByteBuffer.allocateDirect(BatchLayout.HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
  /** Segment files were created since the last fsync of the directory. */
  private final AtomicBoolean directoryDirty = new AtomicBoolean();

  private volatile LogConfig config;
  private volatile LogEnd end;
  private volatile long logStartOffset;
  private volatile long highWatermark;
  private volatile long recoveryPoint;
  /**
   * Every batch below this offset has its data fsynced (at least the recovery point; only the recovery point
   * also vouches for the indexes). Durable topics count a batch as committed only below it.
   */
  private volatile long flushedOffset;
  /** The log directory's group flusher, for durable topics; null: durable appends flush inline. */
  private volatile LogFlusher flusher;
  private volatile long lastFlushTimeMs;
  /** Where flush times go; set once by the log manager after opening. */
  private volatile LogStats stats;
  private volatile boolean closed;
  /**
   * Changes whenever segments are removed or rewritten other than by the cleaner (truncation, restarting,
   * raising the log start), so a cleaning that started before sees that its copy is stale. Structure write lock.
   */
  private volatile long structureGeneration;
  /** The lowest log end a truncation left since the cleaner last asked; see {@link #takeLowestTruncation()}. */
  private final java.util.concurrent.atomic.AtomicLong lowestTruncation =
      new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);
  /** Changed under the append lock (appends, epoch assignment) or the exclusive lock (truncation). */
  private final LeaderEpochCache epochCache;
  private final LeaderEpochLoader.Report epochLoadReport;
  /** leader_epoch of the last batch, -1 if none; written with the epoch cache. */
  private volatile int lastBatchEpoch;

  private final ProducerStateCheckpoint producerCheckpoint;
  private final int maxProducers;
  /** Changed and read under the append lock; replaced under the exclusive lock (truncation). */
  private ProducerStateManager producers;
  private ProducerStateLoader.Report producerLoadReport;
  /** The offsets of the stored producer-state snapshots. Snapshot lock. */
  private NavigableSet<Long> snapshotOffsets;
  /** The log end and state version the last snapshot written describes, -1 if none does. Snapshot lock. */
  private long snapshotLogEnd = -1;
  private long snapshotVersion = -1;

  private PartitionLog(Path dir, LogConfig config, Clock clock, Executor rollFlushExecutor, LogLoader.Loaded loaded,
             long highWatermark, LeaderEpochCheckpoint epochCheckpoint, ProducerStateCheckpoint producerCheckpoint,
             int maxProducers) {
    this.dir = dir;
    this.config = config;
    this.clock = clock;
    this.rollFlushExecutor = rollFlushExecutor;
    this.recoveryReport = loaded.report();
    for (LogSegment segment : loaded.segments()) {
      segments.put(segment.baseOffset(), segment);
    }
    LogSegment active = segments.lastEntry().getValue();
    this.end = new LogEnd(loaded.logEndOffset(), active, active.size());
    this.logStartOffset = loaded.logStartOffset();
    this.recoveryPoint = loaded.recoveryPoint();
    // The loader fsynced what it recovered and trusted the rest because it was fsynced before.
    this.flushedOffset = loaded.logEndOffset();
    this.highWatermark = clamp(highWatermark, logStartOffset, loaded.logEndOffset());
    this.lastFlushTimeMs = clock.millis();
    LeaderEpochLoader.Loaded epochs = LeaderEpochLoader.load(dir, segments, logStartOffset, loaded.logEndOffset(),
        epochCheckpoint);
    this.epochCache = epochs.cache();
    this.epochLoadReport = epochs.report();
    this.lastBatchEpoch = epochs.lastBatchEpoch();
    this.producerCheckpoint = producerCheckpoint;
    this.maxProducers = maxProducers;
    loadProducerState(loaded.logEndOffset());
  }

  /**
   * Opens the log in {@code dir} (creating an empty one if there is none), recovering whatever the
   * checkpoint does not vouch for; see {@link #recoveryReport()}. The fsync of a segment finished by a
   * roll runs in the appending thread. The leader-epoch cache is not persisted: it is rebuilt from the
   * batch headers at every open.
   *
   * @param lastCheckpoint the last checkpoint written for this log, or {@link PartitionCheckpoint#NONE}
   */
  public static PartitionLog open(Path dir, LogConfig config, PartitionCheckpoint lastCheckpoint, Clock clock) {
    return open(dir, config, lastCheckpoint, new InMemoryLeaderEpochCheckpoint(), clock, Runnable::run);
  }

  /**
   * As {@link #open(Path, LogConfig, PartitionCheckpoint, Clock)}, but the fsync of a segment finished by
   * a roll (up to segment.bytes of data) runs on {@code rollFlushExecutor}, as Kafka schedules it, so the
   * append that rolled does not wait for the disk. The recovery point advances when it completes.
   */
  public static PartitionLog open(Path dir, LogConfig config, PartitionCheckpoint lastCheckpoint, Clock clock,
                  Executor rollFlushExecutor) {
    return open(dir, config, lastCheckpoint, new InMemoryLeaderEpochCheckpoint(), clock, rollFlushExecutor);
  }

  /**
   * As {@link #open(Path, LogConfig, PartitionCheckpoint, Clock)}, keeping the leader-epoch cache in
   * {@code epochCheckpoint}: what it holds is reconciled with the recovered log (see {@link #epochEntries()}),
   * and every later change is written to it.
   */
  public static PartitionLog open(Path dir, LogConfig config, PartitionCheckpoint lastCheckpoint,
                  LeaderEpochCheckpoint epochCheckpoint, Clock clock) {
    return open(dir, config, lastCheckpoint, epochCheckpoint, clock, Runnable::run);
  }

  /**
   * As {@link #open(Path, LogConfig, PartitionCheckpoint, Clock, Executor)}, keeping the leader-epoch cache
   * in {@code epochCheckpoint}. Producer state is not persisted: it is rebuilt from the batch headers at
   * every open.
   */
  public static PartitionLog open(Path dir, LogConfig config, PartitionCheckpoint lastCheckpoint,
                  LeaderEpochCheckpoint epochCheckpoint, Clock clock, Executor rollFlushExecutor) {
    return open(dir, config, lastCheckpoint, epochCheckpoint, new InMemoryProducerStateCheckpoint(), clock,
        rollFlushExecutor);
  }

  /**
   * As {@link #open(Path, LogConfig, PartitionCheckpoint, LeaderEpochCheckpoint, Clock, Executor)}, keeping
   * producer-state snapshots in {@code producerCheckpoint}: the state is loaded from the newest one at or
   * below the recovered log end plus the batch headers after it (see {@link #snapshotProducerState()}).
   */
  public static PartitionLog open(Path dir, LogConfig config, PartitionCheckpoint lastCheckpoint,
                  LeaderEpochCheckpoint epochCheckpoint, ProducerStateCheckpoint producerCheckpoint,
                  Clock clock, Executor rollFlushExecutor) {
    return open(dir, config, lastCheckpoint, epochCheckpoint, producerCheckpoint, clock, rollFlushExecutor,
        ProducerStateManager.DEFAULT_MAX_PRODUCERS);
  }

  /** As above, tracking at most {@code maxProducers} producers (for tests of eviction). */
  static PartitionLog open(Path dir, LogConfig config, PartitionCheckpoint lastCheckpoint,
               LeaderEpochCheckpoint epochCheckpoint, ProducerStateCheckpoint producerCheckpoint, Clock clock,
               Executor rollFlushExecutor, int maxProducers) {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(lastCheckpoint, "lastCheckpoint");
    Objects.requireNonNull(epochCheckpoint, "epochCheckpoint");
    Objects.requireNonNull(producerCheckpoint, "producerCheckpoint");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(rollFlushExecutor, "rollFlushExecutor");
    LogLoader.Loaded loaded;
    try {
      Files.createDirectories(dir);
      loaded = LogLoader.load(dir, config, lastCheckpoint, clock.millis());
    } catch (IOException e) {
      throw new UncheckedIOException("Could not open the partition log in " + dir, e);
    }
    try {
      return new PartitionLog(dir, config, clock, rollFlushExecutor, loaded, lastCheckpoint.highWatermark(),
          epochCheckpoint, producerCheckpoint, maxProducers);
    } catch (RuntimeException e) {
      for (LogSegment segment : loaded.segments()) {
        try {
          segment.close();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  // ---------------------------------------------------------------- appends

  /**
   * Appends one batch as the leader: assigns its offsets from the log end, stamps the leader epoch (and,
   * for LOG_APPEND_TIME, max_timestamp = now), computes the CRC and writes header and payload in one
   * gathering write. The payload is never decoded or copied by the log. The first batch of a new epoch
   * adds it to the leader-epoch cache (written before the batch).
   *
   * <p>A batch of an idempotent producer (producer_id &ge; 0) is checked against the producer's state first.
   * A retry of one of its last {@value ProducerStateEntry#MAX_BATCHES} batches (same epoch, same first and
   * last sequence) is not written: the result is {@linkplain LogAppendResult#duplicate() marked duplicate}
   * and carries the original's offsets and timestamp.
   *
   * @throws RecordBatchTooLargeException  if the stored entry would exceed max.message.bytes
   * @throws FencedLeaderEpochException    if the log already holds a higher epoch
   * @throws InvalidProducerEpochException if the producer's epoch is below the one the log holds for it
   * @throws OutOfOrderSequenceException   if the base sequence does not follow the producer's last one (or is
   *                                       not 0 in a new producer epoch)
   * @throws UnknownProducerIdException    if the log has no state for the producer and the base sequence is not 0
   * @throws InvalidBatchException         if an idempotent producer's epoch or sequence is negative
   */
  public LogAppendResult appendAsLeader(BatchAppend batch, int leaderEpoch) {
    LogConfig cfg = config;
    long entrySize = batch.entrySize();
    if (entrySize > cfg.maxMessageBytes()) {
      throw new RecordBatchTooLargeException(entrySize, cfg.maxMessageBytes());
    }
    LogAppendResult result;
    long flushThrough;
    appendLock.lock();
    try {
      ensureOpen();
      LogSegment previousActive = end.segment();
      long baseOffset = end.nextOffset();
      long lastOffset = Math.addExact(baseOffset, batch.recordCount() - 1L);
      OptionalInt latestEpoch = epochCache.latestEpoch();
      if (latestEpoch.isPresent() && leaderEpoch < latestEpoch.getAsInt()) {
        // A leader that another has replaced: its batch would contradict the epoch history.
        throw new FencedLeaderEpochException(leaderEpoch, latestEpoch.getAsInt());
      }
      boolean logAppendTime = batch.timestampType() == BatchLayout.TIMESTAMP_TYPE_LOG_APPEND_TIME;
      if (ProducerStateManager.isIdempotent(batch.producerId())) {
        Optional<ProducerBatchMetadata> original = producers.checkLeaderAppend(batch.producerId(),
            batch.producerEpoch(), batch.baseSequence(), batch.recordCount());
        if (original.isPresent()) {
          log.debug("Batch of producer {} epoch {} with sequence {} repeats offsets {}..{} of {}: not appended",
              batch.producerId(), batch.producerEpoch(), batch.baseSequence(), original.get().firstOffset(),
              original.get().lastOffset(), dir);
          return LogAppendResult.duplicateOf(original.get(), logAppendTime);
        }
      }
      if (leaderEpoch >= 0 && (latestEpoch.isEmpty() || leaderEpoch > latestEpoch.getAsInt())) {
        epochCache.assign(leaderEpoch, baseOffset); // before the batch, so a crash cannot lose it
      }
      long now = clock.millis();
      long maxTimestamp = logAppendTime ? now : batch.maxTimestamp();
      LogSegment segment = segmentFor(entrySize, lastOffset, now, cfg);

      header.clear();
      BatchLayout.writeHeader(header, baseOffset, leaderEpoch, batch, maxTimestamp);
      // The CRC covers max_timestamp, so it is computed after stamping.
      header.putInt(BatchLayout.CRC_POSITION, BatchLayout.crc(header, batch.payload()));
      BatchLocation location = new BatchLocation(0, (int) entrySize, baseOffset, lastOffset, maxTimestamp);
      int position = segment.append(new ByteBuffer[] {header.duplicate(), batch.payload().duplicate()},
          List.of(location), now, cfg.indexIntervalBytes());
      lastBatchEpoch = leaderEpoch;
      end = new LogEnd(lastOffset + 1, segment, segment.size());
      if (ProducerStateManager.isIdempotent(batch.producerId())) {
        producers.update(batch.producerId(), batch.producerEpoch(), batch.baseSequence(),
            ProducerBatchMetadata.incrementSequence(batch.baseSequence(), batch.recordCount() - 1), baseOffset,
            lastOffset, maxTimestamp);
      }
      result = new LogAppendResult(baseOffset, lastOffset, maxTimestamp,
          logAppendTime ? now : LogAppendResult.NO_TIMESTAMP, segment.baseOffset(), position, entrySize);
      flushThrough = segment != previousActive ? segment.baseOffset() : -1;
    } catch (IOException e) {
      throw new UncheckedIOException("Append to " + dir + " failed", e);
    } finally {
      appendLock.unlock();
    }
    afterAppend(flushThrough);
    return result;
  }

  /**
   * Appends entries fetched from the leader, byte for byte. Every entry is validated (layout and CRC) and
   * the offsets must continue exactly from the log end, before anything is written. Each batch whose epoch
   * is above every earlier one adds that epoch to the leader-epoch cache (written before the batches); cache
   * entries at or above the log end (a leadership of this replica in which nothing was written) are dropped
   * first, since the leader's batches replace that history. The producer state is updated from the batch
   * headers without checking them: the leader did.
   *
   * @param entries whole entries from its position to its limit (the position is not moved)
   * @throws InvalidBatchException           if any entry is malformed, truncated or fails its CRC
   * @throws UnexpectedAppendOffsetException if the offsets do not continue the log densely (a gap is accepted
   *                                         only before a batch the leader's cleaner marked with
   *                                         {@link BatchLayout#FLAG_OFFSET_GAP_BEFORE})
   */
  public LogAppendResult appendAsFollower(ByteBuffer entries) {
    ByteBuffer source = entries.slice().order(ByteOrder.LITTLE_ENDIAN);
    List<BatchLocation> batches = new ArrayList<>();
    List<EpochEntry> risingEpochs = new ArrayList<>(1);
    int firstBatchFlags = 0;
    long maxTimestamp = LogAppendResult.NO_TIMESTAMP;
    while (source.hasRemaining()) {
      int position = source.position();
      StoredBatch batch = StoredBatch.readFrom(source);
      if (batches.isEmpty()) {
        firstBatchFlags = batch.flags();
      } else if (!follows(batches.get(batches.size() - 1).nextOffset(), batch.baseOffset(), batch.flags())) {
        throw new UnexpectedAppendOffsetException(batches.get(batches.size() - 1).nextOffset(), batch.baseOffset());
      }
      batches.add(BatchLocation.of(batch, position));
      maxTimestamp = Math.max(maxTimestamp, batch.maxTimestamp());
      int epoch = batch.leaderEpoch();
      if (epoch >= 0 && (risingEpochs.isEmpty() || epoch > risingEpochs.get(risingEpochs.size() - 1).epoch())) {
        risingEpochs.add(new EpochEntry(epoch, batch.baseOffset()));
      }
    }
    LogAppendResult result;
    long flushThrough = -1;
    appendLock.lock();
    try {
      ensureOpen();
      LogEnd current = end;
      if (batches.isEmpty()) {
        return new LogAppendResult(current.nextOffset(), current.nextOffset() - 1, LogAppendResult.NO_TIMESTAMP,
            LogAppendResult.NO_TIMESTAMP, current.segment().baseOffset(), current.position(), 0);
      }
      if (!follows(current.nextOffset(), batches.get(0).baseOffset(), firstBatchFlags)) {
        throw new UnexpectedAppendOffsetException(current.nextOffset(), batches.get(0).baseOffset());
      }
      epochCache.truncateFromEnd(current.nextOffset());
      epochCache.assign(risingEpochs); // keeps only those above its latest epoch
      LogConfig cfg = config;
      long now = clock.millis();
      LogSegment firstSegment = null;
      int firstPosition = 0;
      int runStart = 0;
      while (runStart < batches.size()) {
        BatchLocation first = batches.get(runStart);
        LogSegment segment = segmentFor(first.size(), first.lastOffset(), now, cfg);
        if (segment != current.segment()) {
          flushThrough = segment.baseOffset();
        }
        // Write as many batches as the segment takes in one go.
        int runEnd = runStart + 1;
        long runBytes = first.size();
        while (runEnd < batches.size() && segment.canAppend(runBytes + batches.get(runEnd).size(),
            runEnd - runStart + 1, batches.get(runEnd).lastOffset(), now, cfg)) {
          runBytes += batches.get(runEnd).size();
          runEnd++;
        }
        List<BatchLocation> run = new ArrayList<>(runEnd - runStart);
        for (BatchLocation b : batches.subList(runStart, runEnd)) {
          run.add(new BatchLocation(b.position() - first.position(), b.size(), b.baseOffset(),
              b.lastOffset(), b.maxTimestamp()));
        }
        ByteBuffer bytes = source.slice(first.position(), (int) runBytes);
        int position = segment.append(new ByteBuffer[] {bytes}, run, now, cfg.indexIntervalBytes());
        if (firstSegment == null) {
          firstSegment = segment;
          firstPosition = position;
        }
        lastBatchEpoch = source.getInt(batches.get(runEnd - 1).position() + BatchLayout.LEADER_EPOCH_POSITION);
        end = new LogEnd(batches.get(runEnd - 1).nextOffset(), segment, segment.size());
        for (BatchLocation written : batches.subList(runStart, runEnd)) {
          producers.updateFromHeader(source, written.position());
        }
        runStart = runEnd;
      }
      BatchLocation last = batches.get(batches.size() - 1);
      result = new LogAppendResult(batches.get(0).baseOffset(), last.lastOffset(), maxTimestamp,
          LogAppendResult.NO_TIMESTAMP, firstSegment.baseOffset(), firstPosition, source.limit());
    } catch (IOException e) {
      throw new UncheckedIOException("Append to " + dir + " failed", e);
    } finally {
      appendLock.unlock();
    }
    afterAppend(flushThrough);
    return result;
  }

  /** Whether a batch at {@code baseOffset} may follow a log or batch ending at {@code expected}. */
  private static boolean follows(long expected, long baseOffset, int flags) {
    return baseOffset == expected
        || (baseOffset > expected && (flags & BatchLayout.FLAG_OFFSET_GAP_BEFORE) != 0);
  }

  /** The segment a batch goes to: the active one, or a new one if it must roll first. Append lock held. */
  private LogSegment segmentFor(long entrySize, long lastOffset, long now, LogConfig cfg) throws IOException {
    LogEnd current = end;
    if (current.segment().canAppend(entrySize, 1, lastOffset, now, cfg)) {
      return current.segment();
    }
    return roll(current, cfg);
  }

  private LogSegment roll(LogEnd current, LogConfig cfg) throws IOException {
    LogSegment old = current.segment();
    LogSegment created = LogSegment.create(dir, current.nextOffset(), cfg);
    try {
      old.seal();
    } catch (IOException | RuntimeException e) {
      try {
        old.makeWritable(cfg);
        created.deleteFiles();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    segments.put(created.baseOffset(), created);
    directoryDirty.set(true);
    end = new LogEnd(current.nextOffset(), created, 0);
    log.debug("Rolled {} to a new segment at offset {}", dir, created.baseOffset());
    return created;
  }

  /**
   * Flushes as a roll, durability or flush.messages requires, outside the append lock so appends continue
   * meanwhile. A durable log is handed to the group flusher rather than fsynced here, so concurrent appends
   * share fsyncs.
   */
  private void afterAppend(long rolledAt) {
    if (rolledAt >= 0) {
      Runnable flushRolled = () -> flushAfterRoll(rolledAt);
      try {
        rollFlushExecutor.execute(flushRolled);
      } catch (RejectedExecutionException e) {
        flushRolled.run(); // the executor is shutting down
      }
    }
    LogConfig cfg = config;
    if (cfg.durable()) {
      requestFlush();
    } else if (unflushedMessages() >= cfg.flushMessages()) {
      flush();
    }
  }

  /** Fsyncs the segment(s) a roll finished, as Kafka does on roll. */
  private void flushAfterRoll(long rolledAt) {
    try {
      flushUpTo(rolledAt, true);
    } catch (LogClosedException e) {
      log.debug("{} was closed before its rolled segment was flushed; closing flushed it", dir);
    } catch (RuntimeException e) {
      log.error("Flush of {} after rolling at offset {} failed", dir, rolledAt, e);
      throw e;
    }
  }

  // ---------------------------------------------------------------- reads

  /**
   * Reads whole entries starting with the batch that contains {@code startOffset} (so the first entry may
   * start below it), from one segment.
   *
   * @param maxBytes           at most this many bytes, except that with {@code minOneBatch} a first batch
   *                           larger than this is returned alone
   * @param maxOffsetExclusive no entry whose last offset is at or above this is returned (pass the high
   *                           watermark for consumers, {@link Long#MAX_VALUE} for replicas)
   * @return the entries; empty when reading exactly at the log end or when nothing fits the limits
   * @throws OffsetOutOfRangeException if {@code startOffset} is below the log start or above the log end
   */
  public LogReadResult read(long startOffset, int maxBytes, long maxOffsetExclusive, boolean minOneBatch) {
    return read(startOffset, maxBytes, maxOffsetExclusive, minOneBatch, ReadBuffers.FRESH);
  }

  /** {@link #read(long, int, long, boolean)} into buffers from {@code buffers}. */
  public LogReadResult read(long startOffset, int maxBytes, long maxOffsetExclusive, boolean minOneBatch,
      ReadBuffers buffers) {
    if (maxBytes < 0) {
      throw new IllegalArgumentException("maxBytes must not be negative: " + maxBytes);
    }
    structureLock.readLock().lock();
    try {
      ensureOpen();
      LogEnd snapshot = end;
      long start = logStartOffset;
      long hw = highWatermark;
      if (startOffset < start || startOffset > snapshot.nextOffset()) {
        throw new OffsetOutOfRangeException(startOffset, start, snapshot.nextOffset());
      }
      if (startOffset == snapshot.nextOffset() || maxOffsetExclusive <= startOffset) {
        return LogReadResult.empty(start, snapshot.nextOffset(), hw);
      }
      for (Map.Entry<Long, LogSegment> e = segments.floorEntry(startOffset);
         e != null && e.getKey() < snapshot.nextOffset(); e = segments.higherEntry(e.getKey())) {
        LogSegment segment = e.getValue();
        int maxPosition = maxPosition(segment, snapshot);
        BatchLocation first = segment.locate(startOffset, maxPosition);
        if (first == null) {
          continue; // only when offsets have gaps (compaction, later): try the next segment
        }
        if (first.lastOffset() >= maxOffsetExclusive) {
          break;
        }
        int limit = maxPosition;
        if (maxOffsetExclusive < snapshot.nextOffset()) {
          BatchLocation stop = segment.locate(maxOffsetExclusive, maxPosition);
          if (stop != null) {
            limit = stop.position();
          }
        }
        int length;
        if (first.size() > maxBytes) {
          if (!minOneBatch) {
            break;
          }
          length = first.size();
        } else {
          length = Math.min(maxBytes, limit - first.position());
        }
        ByteBuffer bytes = segment.read(first.position(), length, buffers);
        bytes.limit(BatchLayout.lengthOfWholeEntries(bytes));
        long next = BatchLayout.nextOffsetOf(bytes, BatchLayout.lastEntryStart(bytes));
        // The caller's own copy, handed over writable: gRPC drains an array-backed buffer into its
        // transport buffers in one copy, a read-only one only through a scratch array.
        return new LogReadResult(bytes, first.baseOffset(), next, start,
            snapshot.nextOffset(), hw);
      }
      return LogReadResult.empty(start, snapshot.nextOffset(), hw);
    } finally {
      structureLock.readLock().unlock();
    }
  }

  /** Readers of the active segment stop at the published end; older segments no longer change. */
  private static int maxPosition(LogSegment segment, LogEnd snapshot) {
    return segment == snapshot.segment() ? snapshot.position() : segment.size();
  }

  /**
   * The first batch at or above the log start offset whose max_timestamp is at least {@code timestamp}
   * (found through the segments' maximum timestamps and time indexes, then a short scan), as a copy.
   * Not bounded by the high watermark: the caller decides what it may expose.
   */
  public Optional<StoredBatch> findFirstBatchAtOrAfterTimestamp(long timestamp) {
    structureLock.readLock().lock();
    try {
      ensureOpen();
      LogEnd snapshot = end;
      long start = logStartOffset;
      Long firstKey = segments.floorKey(start);
      for (LogSegment segment : (firstKey == null ? segments : segments.tailMap(firstKey, true)).values()) {
        if (segment.baseOffset() >= snapshot.nextOffset()) {
          break;
        }
        if (segment.maxTimestamp() < timestamp) {
          continue;
        }
        BatchLocation found = segment.findByTimestamp(timestamp, start, maxPosition(segment, snapshot));
        if (found != null) {
          return Optional.of(StoredBatch.readFrom(segment.read(found.position(), found.size())));
        }
      }
      return Optional.empty();
    } finally {
      structureLock.readLock().unlock();
    }
  }

  /**
   * Iterates over the batches from the one containing {@code startOffset} until it catches up with the
   * log end, reading {@value #SCAN_CHUNK_BYTES} bytes at a time. Each batch is validated and owns its
   * bytes. {@link Iterator#hasNext()} throws {@link OffsetOutOfRangeException} if the log is truncated
   * below the iterator's position meanwhile.
   */
  public Iterator<StoredBatch> batchesFrom(long startOffset) {
    return new Iterator<>() {
      private long nextOffset = startOffset;
      private Iterator<StoredBatch> chunk = Collections.emptyIterator();

      @Override
      public boolean hasNext() {
        while (!chunk.hasNext()) {
          LogReadResult result = read(nextOffset, SCAN_CHUNK_BYTES, Long.MAX_VALUE, true);
          if (result.isEmpty()) {
            return false;
          }
          nextOffset = result.nextOffset();
          chunk = result.batches().iterator();
        }
        return true;
      }

      @Override
      public StoredBatch next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return chunk.next();
      }
    };
  }

  // ---------------------------------------------------------------- offsets

  public long logStartOffset() {
    return logStartOffset;
  }

  /** The offset the next batch will get. */
  public long logEndOffset() {
    return end.nextOffset();
  }

  public long highWatermark() {
    return highWatermark;
  }

  /**
   * Sets the high watermark (the broker decides it), clamped to [log start offset, log end offset].
   *
   * @return the value stored
   */
  public long updateHighWatermark(long newHighWatermark) {
    structureLock.readLock().lock(); // not concurrently with a truncation lowering the log end
    try {
      long clamped = clamp(newHighWatermark, logStartOffset, end.nextOffset());
      highWatermark = clamped;
      return clamped;
    } finally {
      structureLock.readLock().unlock();
    }
  }

  /** Every batch below this offset has been fsynced. */
  public long recoveryPoint() {
    return recoveryPoint;
  }

  /** Records appended but not yet fsynced (offsets between the recovery point and the log end). */
  public long unflushedMessages() {
    return end.nextOffset() - recoveryPoint;
  }

  /** Clock time of the last flush (or of opening). */
  public long lastFlushTimeMs() {
    return lastFlushTimeMs;
  }

  /** The values to checkpoint in the state store. */
  public PartitionCheckpoint checkpoint() {
    return new PartitionCheckpoint(recoveryPoint, logStartOffset, highWatermark);
  }

  // ---------------------------------------------------------------- leader epochs

  /**
   * The latest epoch in the leader-epoch cache. It can be above {@link #lastBatchEpoch()}: a new leader's
   * epoch is cached (by {@link #assignEpoch}) before it writes anything.
   */
  public OptionalInt latestEpoch() {
    return epochCache.latestEpoch();
  }

  /** The leader_epoch of the last batch in the log, or -1 if it has none. */
  public int lastBatchEpoch() {
    return lastBatchEpoch;
  }

  /**
   * Where {@code epoch} ends in this log (KIP-101): for the latest epoch, (latest, log end offset); below
   * the earliest cached epoch, above the latest, or with no epochs cached, {@link EpochEndOffset#UNDEFINED};
   * otherwise the largest cached epoch at or below {@code epoch}, ending where the first cached epoch above
   * {@code epoch} starts. Consistent with the log end offset even while appends and truncation run.
   */
  public EpochEndOffset endOffsetForEpoch(int epoch) {
    structureLock.readLock().lock(); // truncation changes the log end and the cache together
    try {
      long logEnd = end.nextOffset(); // before the cache: an epoch cached meanwhile starts at or after it
      return epochCache.endOffsetFor(epoch, logEnd);
    } finally {
      structureLock.readLock().unlock();
    }
  }

  /**
   * Records that leader epoch {@code epoch} starts at {@code startOffset}, which must be the log end offset:
   * for a replica that becomes leader, so that followers asking where the previous epoch ends get an
   * answer before it writes anything. Ignored if {@code epoch} is not above the latest cached epoch. The
   * entry is replaced by the epoch of the next append (as follower) or dropped by {@link #truncateTo} or a
   * reopening if nothing is written in the epoch.
   *
   * @return whether the cache changed
   * @throws IllegalArgumentException if {@code startOffset} is not the log end offset, or either is negative
   */
  public boolean assignEpoch(int epoch, long startOffset) {
    appendLock.lock();
    try {
      ensureOpen();
      if (startOffset != end.nextOffset()) {
        throw new IllegalArgumentException("Leader epoch " + epoch + " must start at the log end offset "
            + end.nextOffset() + ", not at " + startOffset);
      }
      return epochCache.assign(epoch, startOffset);
    } finally {
      appendLock.unlock();
    }
  }

  /** The leader-epoch cache: for each epoch, the first offset written in it, ascending (a snapshot). */
  public List<EpochEntry> epochEntries() {
    return epochCache.epochEntries();
  }

  /** The epoch {@code offset} was written in according to the cache, if it knows. */
  public OptionalInt epochForOffset(long offset) {
    return epochCache.epochForOffset(offset);
  }

  /** What opening found in the stored leader-epoch cache and did about it. */
  LeaderEpochLoader.Report epochLoadReport() {
    return epochLoadReport;
  }

  // ---------------------------------------------------------------- producer state

  /** What the log knows of idempotent producer {@code producerId}: its epoch, last sequence and offset. */
  public Optional<ProducerStateEntry> producerState(long producerId) {
    appendLock.lock();
    try {
      return producers.entry(producerId);
    } finally {
      appendLock.unlock();
    }
  }

  /** Every idempotent producer the log tracks, least recently appended first (a snapshot). */
  public List<ProducerStateEntry> producerStates() {
    appendLock.lock();
    try {
      return producers.entries();
    } finally {
      appendLock.unlock();
    }
  }

  /**
   * Forgets the producers whose last batch's max_timestamp is at least {@code maxIdleMs} before
   * {@code nowMs} (Kafka's producer.id.expiration.ms, 24 hours by default; the {@link LogManager} calls this
   * periodically). A forgotten producer's next batch must start at sequence 0. The snapshots already stored
   * may still hold them, so a truncation or crash can bring some back until the next round.
   *
   * @return how many were forgotten
   */
  public int expireProducers(long nowMs, long maxIdleMs) {
    if (maxIdleMs < 0) {
      throw new IllegalArgumentException("maxIdleMs must not be negative: " + maxIdleMs);
    }
    appendLock.lock();
    try {
      return closed ? 0 : producers.expire(nowMs, maxIdleMs);
    } finally {
      appendLock.unlock();
    }
  }

  /**
   * Stores a snapshot of the producer state at the log end, unless the last one stored already describes
   * the same log end and state, and drops old snapshots: it keeps the newest {@value #PRODUCER_SNAPSHOTS_KEPT}
   * and the newest one at or below the high watermark. Appends continue while it is written; truncation and
   * close wait.
   *
   * @return whether a snapshot was written
   */
  public boolean snapshotProducerState() {
    snapshotLock.lock();
    try {
      ProducerStateSnapshot snapshot;
      long version;
      long hw;
      appendLock.lock();
      try {
        ensureOpen();
        long logEnd = end.nextOffset();
        if (logEnd == snapshotLogEnd && producers.version() == snapshotVersion) {
          return false;
        }
        snapshot = producers.snapshot(logEnd);
        version = producers.version();
        hw = highWatermark;
      } finally {
        appendLock.unlock();
      }
      writeSnapshot(snapshot, version, hw);
      return true;
    } finally {
      snapshotLock.unlock();
    }
  }

  /** Snapshot lock held. */
  private void writeSnapshot(ProducerStateSnapshot snapshot, long version, long hw) {
    NavigableSet<Long> kept = new TreeSet<>(snapshotOffsets);
    kept.add(snapshot.offset());
    Long belowHighWatermark = kept.floor(hw);
    List<Long> ascending = List.copyOf(kept);
    List<Long> obsolete = new ArrayList<>();
    for (int i = 0; i < ascending.size() - PRODUCER_SNAPSHOTS_KEPT; i++) {
      if (!ascending.get(i).equals(belowHighWatermark)) {
        obsolete.add(ascending.get(i));
      }
    }
    producerCheckpoint.write(snapshot, obsolete);
    kept.removeAll(obsolete);
    snapshotOffsets = kept;
    snapshotLogEnd = snapshot.offset();
    snapshotVersion = version;
  }

  /**
   * Builds the producer state for a log ending at {@code logEnd} from the stored snapshots and the batch
   * headers; at open and after truncation (exclusive lock held, or not yet shared).
   */
  private void loadProducerState(long logEnd) {
    ProducerStateLoader.Loaded loaded = ProducerStateLoader.load(dir, segments, logStartOffset, logEnd,
        producerCheckpoint, maxProducers);
    producers = loaded.state();
    producerLoadReport = loaded.report();
    snapshotOffsets = loaded.snapshotOffsets();
    // A snapshot exactly at the log end describes the state as loaded; anything replayed needs a new one.
    boolean current = loaded.report().snapshotOffset() == logEnd;
    snapshotLogEnd = current ? logEnd : -1;
    snapshotVersion = current ? producers.version() : -1;
  }

  /** Deletes every stored producer-state snapshot, durably (exclusive lock held). */
  private void deleteProducerSnapshots() {
    if (!snapshotOffsets.isEmpty()) {
      producerCheckpoint.delete(List.copyOf(snapshotOffsets));
      snapshotOffsets = new TreeSet<>();
    }
    snapshotLogEnd = -1;
    snapshotVersion = -1;
  }

  /** What opening (or the last truncation) found in the stored producer state and did about it. */
  ProducerStateLoader.Report producerLoadReport() {
    appendLock.lock();
    try {
      return producerLoadReport;
    } finally {
      appendLock.unlock();
    }
  }

  // ---------------------------------------------------------------- retention

  /**
   * A closed (not active) segment as retention sees it: the offsets it holds are in
   * [{@code baseOffset}, {@code nextOffset}); {@code maxTimestampMs} is its batches' largest
   * timestamp, or the file's modification time when none carries one.
   */
  public record SegmentSummary(long baseOffset, long nextOffset, long sizeInBytes, long maxTimestampMs) {}

  /** The closed segments at or above the log start, oldest first. */
  public List<SegmentSummary> closedSegments() {
    structureLock.readLock().lock();
    try {
      ensureOpen();
      LogEnd current = end;
      List<SegmentSummary> out = new ArrayList<>();
      for (Map.Entry<Long, LogSegment> e : segments.entrySet()) {
        LogSegment segment = e.getValue();
        if (segment == current.segment()) {
          break;
        }
        Long next = segments.higherKey(e.getKey());
        long nextOffset = next == null ? current.nextOffset() : next;
        if (nextOffset <= logStartOffset) {
          continue;
        }
        long ts = segment.maxTimestamp();
        out.add(new SegmentSummary(segment.baseOffset(), nextOffset, segment.size(),
            ts == LogSegment.NO_TIMESTAMP ? segment.lastModifiedMs() : ts));
      }
      return out;
    } finally {
      structureLock.readLock().unlock();
    }
  }

  /**
   * Rolls the active segment if it holds data and is older than segment.ms, so that time
   * retention can remove it although nothing more is written (a roll otherwise happens only on
   * an append). The finished segment is flushed as on any roll.
   *
   * @return whether it rolled
   */
  public boolean rollIfQuiet() {
    long rolledAt;
    appendLock.lock();
    try {
      ensureOpen();
      LogEnd current = end;
      if (!current.segment().dueToRoll(clock.millis(), config)) {
        return false;
      }
      rolledAt = roll(current, config).baseOffset();
    } catch (IOException e) {
      throw new UncheckedIOException("Roll of " + dir + " failed", e);
    } finally {
      appendLock.unlock();
    }
    afterAppend(rolledAt);
    return true;
  }

  /**
   * Raises the log start offset to {@code newStart} (never lowers it, never past the log end)
   * and deletes every closed segment that then holds only offsets below it. Offsets do not
   * change: a read below the new start gets {@link OffsetOutOfRangeException}. The caller
   * bounds {@code newStart} (a leader by its high watermark) and checkpoints the new start.
   * Readers are excluded only while files are removed; reads return copies, so none is cut short.
   *
   * @return the log start offset now
   */
  public long advanceLogStartOffset(long newStart) {
    lockExclusively();
    try {
      ensureOpen();
      LogEnd current = end;
      long target = Math.min(newStart, current.nextOffset());
      if (target <= logStartOffset) {
        return logStartOffset;
      }
      logStartOffset = target;
      highWatermark = Math.max(highWatermark, target);
      structureGeneration++;
      long removedBytes = 0;
      int removedSegments = 0;
      for (Map.Entry<Long, LogSegment> e : new ArrayList<>(segments.entrySet())) {
        LogSegment segment = e.getValue();
        Long next = segments.higherKey(e.getKey());
        if (segment == current.segment() || next == null || next > target) {
          break;
        }
        removedBytes += segment.size();
        removedSegments++;
        segments.remove(e.getKey());
        segment.deleteFiles();
      }
      if (removedSegments > 0) {
        FileUtil.fsyncDirectory(dir);
      }
      epochCache.truncateFromStart(target);
      log.info("Log start of {} moved to offset {}: deleted {} segments ({} bytes)", dir, target, removedSegments,
          removedBytes);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("Deleting segments of " + dir + " failed", e);
    } finally {
      unlockExclusively();
    }
  }

  // ---------------------------------------------------------------- compaction

  /**
   * A closed segment as the cleaner sees it: the segment itself (so a later read or swap can check it is still
   * part of the log), the offsets [baseOffset, nextOffset) it spans, its size, its largest batch timestamp
   * ({@link LogSegment#NO_TIMESTAMP} if none) and when its file was last written.
   */
  record CleanableSegment(LogSegment segment, long baseOffset, long nextOffset, long sizeInBytes,
              long maxTimestampMs, long lastModifiedMs) {
  }

  /** What a cleaning starts from: the closed segments oldest first, and the offsets bounding what it may do. */
  record CleanerView(List<CleanableSegment> closedSegments, long logStartOffset, long highWatermark,
             long generation, LogConfig config) {
  }

  /** The closed segments (the active one is never cleaned) and the current bounds; see {@link LogCleaner}. */
  CleanerView cleanerView() {
    structureLock.readLock().lock();
    try {
      ensureOpen();
      LogEnd current = end;
      List<CleanableSegment> out = new ArrayList<>();
      for (Map.Entry<Long, LogSegment> e : segments.entrySet()) {
        LogSegment segment = e.getValue();
        if (segment == current.segment()) {
          break;
        }
        Long next = segments.higherKey(e.getKey());
        long nextOffset = next == null ? current.nextOffset() : next;
        out.add(new CleanableSegment(segment, segment.baseOffset(), nextOffset, segment.size(),
            segment.maxTimestamp(), segment.lastModifiedMs()));
      }
      return new CleanerView(out, logStartOffset, highWatermark, structureGeneration, config);
    } finally {
      structureLock.readLock().unlock();
    }
  }

  /**
   * The lowest offset the log was truncated to since the last call ({@link Long#MAX_VALUE} if none), and
   * forgets it: the cleaned-up-to point must come down to it, since what is written there anew is dirty.
   */
  long takeLowestTruncation() {
    return lowestTruncation.getAndSet(Long.MAX_VALUE);
  }

  /**
   * The last offset of every idempotent producer's last batch: the cleaner keeps those batches (emptied if
   * need be), so producer state rebuilt from batch headers still knows each producer's epoch and sequence.
   */
  java.util.Set<Long> producerLastOffsets() {
    appendLock.lock();
    try {
      java.util.Set<Long> out = new java.util.HashSet<>();
      for (ProducerStateEntry entry : producers.entries()) {
        out.add(entry.lastOffset());
      }
      return out;
    } finally {
      appendLock.unlock();
    }
  }

  /**
   * Reads {@code length} bytes at {@code position} of a segment the cleaner copies, under the shared lock.
   *
   * @throws CleaningAbortedException if the segment is no longer part of the log, or the log changed shape
   */
  ByteBuffer readForCleaner(LogSegment segment, long generation, int position, int length) {
    structureLock.readLock().lock();
    try {
      if (closed || generation != structureGeneration || segments.get(segment.baseOffset()) != segment) {
        throw new CleaningAbortedException(dir + " changed while it was being cleaned");
      }
      return segment.read(position, length);
    } finally {
      structureLock.readLock().unlock();
    }
  }

  /**
   * Replaces the consecutive closed segments {@code group} with the cleaned segment the cleaner wrote next to
   * them (files with {@link LogSegment#CLEANED_SUFFIX}, fsynced, starting at the group's base offset and
   * ending where the group ends). Crash-safe by renames: the cleaned files become {@code .swap} files (the
   * commit point: {@link LogLoader} completes a swap it finds), the group's other segments are deleted, then
   * the swap files are renamed over the first segment's files. Readers are excluded only for these renames;
   * appends continue (they never touch closed segments).
   *
   * @return false, deleting the cleaned files, if the log changed shape since {@code generation}
   */
  boolean replaceSegments(List<LogSegment> group, long generation, CleanerHook hook) throws IOException {
    LogSegment first = group.get(0);
    long base = first.baseOffset();
    Path log = LogSegment.logFile(dir, base);
    Path index = LogSegment.indexFile(dir, base);
    Path timeIndex = LogSegment.timeIndexFile(dir, base);
    structureLock.writeLock().lock();
    try {
      if (closed || generation != structureGeneration || !isRunOfClosedSegments(group)) {
        for (Path file : List.of(log, index, timeIndex)) {
          Files.deleteIfExists(LogSegment.withSuffix(file, LogSegment.CLEANED_SUFFIX));
        }
        return false;
      }
      // The log's .swap file last: its presence means the index swaps are complete too.
      for (Path file : List.of(index, timeIndex, log)) {
        FileUtil.atomicMove(LogSegment.withSuffix(file, LogSegment.CLEANED_SUFFIX),
            LogSegment.withSuffix(file, LogSegment.SWAP_SUFFIX));
      }
      FileUtil.fsyncDirectory(dir);
      hook.reached(CleanerHook.Step.SWAP_CREATED);
      for (LogSegment old : group.subList(1, group.size())) {
        segments.remove(old.baseOffset());
        old.deleteFiles();
      }
      hook.reached(CleanerHook.Step.OLD_SEGMENTS_DELETED);
      for (Path file : List.of(index, timeIndex, log)) {
        FileUtil.atomicMove(LogSegment.withSuffix(file, LogSegment.SWAP_SUFFIX), file);
      }
      hook.reached(CleanerHook.Step.SWAP_RENAMED);
      first.close();
      LogSegment replacement = LogSegment.open(dir, base, config, false);
      try {
        replacement.loadTrusted();
      } catch (CorruptIndexException e) {
        replacement.recover(config);
        replacement.seal();
        replacement.flush();
      }
      segments.put(base, replacement);
      FileUtil.fsyncDirectory(dir);
      return true;
    } finally {
      structureLock.writeLock().unlock();
    }
  }

  /** Whether {@code group} is still a run of consecutive closed segments of this log. Structure lock held. */
  private boolean isRunOfClosedSegments(List<LogSegment> group) {
    LogSegment active = end.segment();
    for (int i = 0; i < group.size(); i++) {
      LogSegment segment = group.get(i);
      if (segment == active || segments.get(segment.baseOffset()) != segment) {
        return false;
      }
      Long next = segments.higherKey(segment.baseOffset());
      if (next == null || (i + 1 < group.size() && next != group.get(i + 1).baseOffset())) {
        return false;
      }
    }
    return true;
  }

  // ---------------------------------------------------------------- truncation

  /**
   * Removes every batch that holds an offset at or above {@code offset}. Batches are never split, so the
   * log is cut at the start of the batch containing {@code offset}: the new log end offset (returned) is
   * that batch's base offset, which may be below {@code offset}. No batch is removed at or above the log
   * end. An offset below the first segment empties the log and restarts it there. The high watermark, log
   * start offset and recovery point are lowered to the new log end if above it; the new end is made durable.
   * Leader-epoch cache entries at or above the new log end are removed, after the batches; this is done even
   * when {@code offset} is at or above the log end (as Kafka does), which drops the entry of a leadership
   * in which this replica wrote nothing. The producer state becomes that of the remaining log: rebuilt from
   * the newest snapshot at or below the new end (those above it are deleted) and the headers after it.
   */
  public long truncateTo(long offset) {
    if (offset < 0) {
      throw new IllegalArgumentException("Cannot truncate to negative offset " + offset);
    }
    lockExclusively();
    try {
      ensureOpen();
      LogEnd current = end;
      if (offset >= current.nextOffset()) {
        epochCache.truncateFromEnd(current.nextOffset());
        return current.nextOffset();
      }
      if (offset < segments.firstKey()) {
        startAt(offset);
        return offset;
      }
      structureGeneration++;
      LogSegment containing = segments.floorEntry(offset).getValue();
      BatchLocation cut = containing.locate(offset, maxPosition(containing, current));
      if (cut == null) {
        throw new IllegalStateException("No batch of " + containing + " holds offset " + offset);
      }
      long removedBytes = 0;
      for (LogSegment later : new ArrayList<>(segments.tailMap(containing.baseOffset(), false).values())) {
        removedBytes += later.size();
        later.deleteFiles();
        segments.remove(later.baseOffset());
      }
      removedBytes += containing.truncateTo(offset, config);
      if (containing != current.segment()) {
        containing.initRollingBaseTime(clock.millis());
      }
      FileUtil.fsyncDirectory(dir);
      long newEnd = cut.baseOffset();
      lowestTruncation.accumulateAndGet(newEnd, Math::min);
      end = new LogEnd(newEnd, containing, containing.size());
      recoveryPoint = Math.min(recoveryPoint, newEnd);
      flushedOffset = Math.min(flushedOffset, newEnd); // the cut was forced to disk above
      highWatermark = Math.min(highWatermark, newEnd);
      logStartOffset = Math.min(logStartOffset, newEnd);
      // After the batches are gone: a crash in between leaves entries above the log end, dropped at open.
      epochCache.truncateFromEnd(newEnd);
      lastBatchEpoch = LeaderEpochLoader.lastBatchEpoch(segments, logStartOffset, newEnd);
      try {
        loadProducerState(newEnd);
      } catch (RuntimeException e) {
        // The state store failed: forget every producer rather than keep state of batches now gone (which
        // would answer retries of them as duplicates). Producers then get UNKNOWN_PRODUCER_ID and restart.
        producers = new ProducerStateManager(dir.toString(), maxProducers);
        snapshotLogEnd = -1;
        throw e;
      }
      log.info("Truncated {} to offset {} (asked for {}), removing {} bytes", dir, newEnd, offset, removedBytes);
      return newEnd;
    } catch (IOException e) {
      throw new UncheckedIOException("Truncation of " + dir + " failed", e);
    } finally {
      unlockExclusively();
    }
  }

  /**
   * Deletes every segment and restarts the log empty at {@code offset}, which becomes the log start offset.
   * The leader-epoch cache and the producer state are emptied.
   */
  public void truncateFullyAndStartAt(long offset) {
    if (offset < 0) {
      throw new IllegalArgumentException("Cannot start a log at negative offset " + offset);
    }
    lockExclusively();
    try {
      ensureOpen();
      startAt(offset);
    } catch (IOException e) {
      throw new UncheckedIOException("Truncation of " + dir + " failed", e);
    } finally {
      unlockExclusively();
    }
  }

  private void startAt(long offset) throws IOException {
    structureGeneration++;
    lowestTruncation.accumulateAndGet(offset, Math::min);
    // Snapshots first: one left at the new log end after a crash would bring back producers of deleted data.
    deleteProducerSnapshots();
    for (LogSegment segment : segments.values()) {
      segment.deleteFiles();
    }
    segments.clear();
    LogSegment fresh = LogSegment.create(dir, offset, config);
    segments.put(offset, fresh);
    FileUtil.fsyncDirectory(dir);
    end = new LogEnd(offset, fresh, 0);
    logStartOffset = offset;
    highWatermark = offset;
    recoveryPoint = offset;
    flushedOffset = offset;
    lastBatchEpoch = -1;
    epochCache.clear();
    producers.clear();
    log.info("Emptied {} and restarted it at offset {}", dir, offset);
  }

  // ---------------------------------------------------------------- durability and lifecycle

  /** Fsyncs every batch up to the log end and advances the recovery point there. */
  public void flush() {
    flushUpTo(Long.MAX_VALUE, false);
  }

  /**
   * Fsyncs the segments holding offsets from the recovery point up to {@code offset}. After a roll the
   * segment just sealed is included even if its data was flushed before: sealing trimmed its indexes.
   */
  private void flushUpTo(long offset, boolean afterRoll) {
    flushLock.lock();
    structureLock.readLock().lock();
    try {
      ensureOpen();
      long target = Math.min(offset, end.nextOffset());
      if (target > recoveryPoint || afterRoll) {
        long flushStart = System.nanoTime();
        flushSegments(afterRoll ? Math.min(recoveryPoint, target - 1) : recoveryPoint, target);
        recoveryPoint = Math.max(recoveryPoint, target);
        flushedOffset = Math.max(flushedOffset, target);
        LogStats s = stats;
        if (s != null) {
          s.onFlush(System.nanoTime() - flushStart);
        }
      }
      lastFlushTimeMs = clock.millis();
    } catch (IOException e) {
      throw new UncheckedIOException("Flush of " + dir + " failed", e);
    } finally {
      structureLock.readLock().unlock();
      flushLock.unlock();
    }
  }

  /**
   * Asks for the data up to the current log end to be fsynced, by the group flusher if one is attached (see
   * {@link LogFlusher}), otherwise now in this thread. The future completes when it is; {@link #flushedOffset()}
   * is then at least the log end of the time of the call.
   */
  public CompletableFuture<Void> requestFlush() {
    LogFlusher f = flusher;
    if (f != null) {
      return f.flush(this);
    }
    try {
      flushDurable();
      return CompletableFuture.completedFuture(null);
    } catch (RuntimeException e) {
      // As from the flusher: the caller learns it from the future (a closed log, a failed disk).
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Fsyncs the data (not the indexes) of the segments from the flushed offset up to the log end, and the
   * directory if segments were created, then moves the flushed offset there. Called by the group flusher.
   *
   * @return whether anything needed an fsync
   */
  boolean flushDurable() {
    flushLock.lock();
    structureLock.readLock().lock();
    try {
      ensureOpen();
      long from = flushedOffset;
      long target = end.nextOffset();
      if (target <= from && !directoryDirty.get()) {
        return false;
      }
      long flushStart = System.nanoTime();
      Long firstKey = segments.floorKey(from);
      for (LogSegment segment : (firstKey == null ? segments : segments.tailMap(firstKey, true)).values()) {
        if (segment.baseOffset() >= target) {
          break;
        }
        segment.flushData();
      }
      if (directoryDirty.getAndSet(false)) {
        FileUtil.fsyncDirectory(dir);
      }
      flushedOffset = Math.max(flushedOffset, target);
      LogStats s = stats;
      if (s != null) {
        s.onFlush(System.nanoTime() - flushStart);
      }
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException("Flush of " + dir + " failed", e);
    } finally {
      structureLock.readLock().unlock();
      flushLock.unlock();
    }
  }

  /** Every batch below this offset has its data fsynced: it survives a power loss. */
  public long flushedOffset() {
    return flushedOffset;
  }

  /** Hands durable flushes to {@code logFlusher} (the log directory's); set once after opening. */
  public void attachFlusher(LogFlusher logFlusher) {
    this.flusher = logFlusher;
  }

  /**
   * For tests that simulate losing the page cache: each segment's log file and how many of its bytes are
   * known to be on disk.
   */
  Map<Path, Integer> durableSegmentSizes() {
    Map<Path, Integer> sizes = new java.util.LinkedHashMap<>();
    for (LogSegment segment : segments.values()) {
      sizes.put(segment.logFile(), segment.durableSize());
    }
    return sizes;
  }

  /** Fsyncs the segments holding offsets in [from, to), then the directory if segments were created. */
  private void flushSegments(long from, long to) throws IOException {
    Long firstKey = segments.floorKey(from);
    for (LogSegment segment : (firstKey == null ? segments : segments.tailMap(firstKey, true)).values()) {
      if (segment.baseOffset() >= to) {
        break;
      }
      segment.flush();
    }
    if (directoryDirty.getAndSet(false)) {
      FileUtil.fsyncDirectory(dir);
    }
  }

  /**
   * Flushes everything, seals the active segment (trimming its indexes), stores a producer-state snapshot at
   * the log end and closes the files. After a close the recovery point equals the log end, so the next
   * {@link #open} recovers nothing and replays no batch headers.
   */
  @Override
  public void close() {
    lockExclusively();
    try {
      if (closed) {
        return;
      }
      LogSegment active = end.segment();
      active.seal();
      flushSegments(recoveryPoint, end.nextOffset());
      active.flush(); // its trimmed indexes, even if its data was flushed before
      recoveryPoint = end.nextOffset();
      flushedOffset = end.nextOffset();
      try {
        if (end.nextOffset() != snapshotLogEnd || producers.version() != snapshotVersion) {
          writeSnapshot(producers.snapshot(end.nextOffset()), producers.version(), highWatermark);
        }
      } catch (RuntimeException e) {
        // Only costs a longer replay at the next open.
        log.warn("Could not store the producer state of {} at close", dir, e);
      }
      closeSegments();
      log.debug("Closed {} at log end offset {}", dir, end.nextOffset());
    } catch (IOException e) {
      throw new UncheckedIOException("Close of " + dir + " failed", e);
    } finally {
      closed = true;
      unlockExclusively();
    }
  }

  /** Closes the log and deletes its directory with everything in it, and its producer-state snapshots. */
  public void delete() {
    lockExclusively();
    try {
      closed = true;
      for (LogSegment segment : segments.values()) {
        segment.deleteFiles();
      }
      segments.clear();
      FileUtil.deleteRecursively(dir);
      deleteProducerSnapshots();
      log.debug("Deleted {}", dir);
    } catch (IOException e) {
      throw new UncheckedIOException("Deletion of " + dir + " failed", e);
    } finally {
      unlockExclusively();
    }
  }

  /**
   * Closes the files without flushing or sealing, as a crash would leave them: for a log about to be
   * deleted, and for tests that simulate a crash (the page cache keeps what was written).
   */
  void abandon() {
    lockExclusively();
    try {
      closed = true;
      closeSegments();
    } catch (IOException e) {
      throw new UncheckedIOException("Close of " + dir + " failed", e);
    } finally {
      unlockExclusively();
    }
  }

  private void closeSegments() throws IOException {
    IOException failure = null;
    for (LogSegment segment : segments.values()) {
      try {
        segment.close();
      } catch (IOException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  public boolean isClosed() {
    return closed;
  }

  public Path dir() {
    return dir;
  }

  public LogConfig config() {
    return config;
  }

  /** Applies new topic settings; they take effect from the next append (index sizes from the next segment). */
  public void updateConfig(LogConfig newConfig) {
    this.config = Objects.requireNonNull(newConfig, "newConfig");
  }

  /** What {@link #open} found and repaired. */
  public RecoveryReport recoveryReport() {
    return recoveryReport;
  }

  void reportTo(LogStats logStats) {
    this.stats = logStats;
  }

  /** Segments in the log, the active one included. */
  public int segmentCount() {
    return segments.size();
  }

  /** Bytes in all segments. */
  public long sizeInBytes() {
    long size = 0;
    for (LogSegment segment : segments.values()) {
      size += segment.size();
    }
    return size;
  }

  /** Base offsets of the segments, ascending. */
  List<Long> segmentBaseOffsets() {
    return List.copyOf(segments.keySet());
  }

  private void lockExclusively() {
    snapshotLock.lock();
    appendLock.lock();
    flushLock.lock();
    structureLock.writeLock().lock();
  }

  private void unlockExclusively() {
    structureLock.writeLock().unlock();
    flushLock.unlock();
    appendLock.unlock();
    snapshotLock.unlock();
  }

  private void ensureOpen() {
    if (closed) {
      throw new LogClosedException("The log in " + dir + " is closed");
    }
  }

  private static long clamp(long value, long min, long max) {
    return Math.max(min, Math.min(value, max));
  }

  @Override
  public String toString() {
    return "PartitionLog[" + dir + ", offsets " + logStartOffset + ".." + end.nextOffset() + "]";
  }
}
