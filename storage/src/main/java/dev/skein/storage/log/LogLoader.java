package dev.skein.storage.log;

import dev.skein.storage.state.PartitionCheckpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a partition directory and its last checkpoint into open segments, recovering what needs it.
 *
 * <ul>
 *   <li>A segment that ends at or below the recovery point was fsynced: it is trusted, and only its indexes
 *       are checked (O(1)). A missing or corrupt index is rebuilt by recovering that segment.</li>
 *   <li>The last segment, when the recovery point equals its end (a clean shutdown), is trusted after
 *       checking its indexes and re-validating the batches after its last index entry.</li>
 *   <li>Every other segment, from the one containing the recovery point on, is recovered: every batch is
 *       re-validated (layout, CRC, dense offsets) and its indexes rebuilt.</li>
 * </ul>
 * The log is cut at the first torn or corrupt batch, or at a gap between segments, and every later segment
 * is deleted, so nothing after a bad batch is ever served. Recovered segments are fsynced, so afterwards
 * the whole log is below the recovery point.
 */
final class LogLoader {

  private static final Logger log = LoggerFactory.getLogger(LogLoader.class);
  private static final Pattern SWAP_LOG_FILE = Pattern.compile("\\d{20}\\.log\\.swap");
  private static final Pattern SEGMENT_FILE = Pattern.compile("(\\d{20})(\\.log|\\.index|\\.timeindex)");

  record Loaded(List<LogSegment> segments, long logEndOffset, long logStartOffset, long recoveryPoint,
         RecoveryReport report) {
  }

  private final Path dir;
  private final LogConfig config;
  private final PartitionCheckpoint checkpoint;
  private final long nowMs;

  private final List<LogSegment> kept = new ArrayList<>();
  private final List<LogSegment> recovered = new ArrayList<>();
  private int indexesRebuilt;
  private long bytesTruncated;
  private int segmentsDeleted;
  private long truncatedAtOffset = -1;

  private LogLoader(Path dir, LogConfig config, PartitionCheckpoint checkpoint, long nowMs) {
    this.dir = dir;
    this.config = config;
    this.checkpoint = checkpoint;
    this.nowMs = nowMs;
  }

  static Loaded load(Path dir, LogConfig config, PartitionCheckpoint checkpoint, long nowMs) throws IOException {
    LogLoader loader = new LogLoader(dir, config, checkpoint, nowMs);
    try {
      return loader.load();
    } catch (IOException | RuntimeException e) {
      for (LogSegment segment : loader.kept) {
        try {
          segment.close();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  private Loaded load() throws IOException {
    completeInterruptedCleaning();
    List<Long> bases = findSegmentBases();
    long recoveryPoint = checkpoint.recoveryPoint();
    Long knownNextOffset = null;
    for (int i = 0; i < bases.size(); i++) {
      long base = bases.get(i);
      if (knownNextOffset != null && base != knownNextOffset) {
        log.warn("Segment {} of {} does not continue the log, which ends at offset {}", base, dir, knownNextOffset);
        truncatedAtOffset = knownNextOffset;
        deleteSegments(bases.subList(i, bases.size()));
        break;
      }
      boolean last = i == bases.size() - 1;
      LogSegment segment = LogSegment.open(dir, base, config, last);
      kept.add(segment);
      if (!last && bases.get(i + 1) <= recoveryPoint) {
        try {
          segment.loadTrusted();
          knownNextOffset = null; // its end is the next segment's base, by construction
          continue;
        } catch (CorruptIndexException e) {
          log.warn("Rebuilding the indexes of {}: {}", segment.logFile(), e.getMessage());
          indexesRebuilt++;
        }
      } else if (last && base <= recoveryPoint) {
        OptionalLong end = segment.verifyCleanTail();
        if (end.isPresent() && end.getAsLong() == recoveryPoint) {
          knownNextOffset = recoveryPoint;
          continue;
        }
      }
      LogSegment.Recovery recovery = segment.recover(config);
      recovered.add(segment);
      knownNextOffset = recovery.nextOffset();
      if (recovery.truncated()) {
        log.warn("Truncated {} bytes of {} at offset {}: {} ({})", recovery.truncatedBytes(), segment.logFile(),
            recovery.nextOffset(), recovery.problem().getMessage(), recovery.problem().reason());
        bytesTruncated += recovery.truncatedBytes();
        truncatedAtOffset = recovery.nextOffset();
        deleteSegments(bases.subList(i + 1, bases.size()));
        break;
      }
    }
    return finish(bases.size(), knownNextOffset);
  }

  private Loaded finish(int segmentsFound, Long knownNextOffset) throws IOException {
    long logEndOffset;
    if (kept.isEmpty()) {
      logEndOffset = checkpoint.logStartOffset();
      kept.add(LogSegment.create(dir, logEndOffset, config));
      FileUtil.fsyncDirectory(dir);
    } else {
      if (knownNextOffset == null) {
        throw new IllegalStateException("Log end of " + dir + " unknown after loading"); // cannot happen
      }
      logEndOffset = knownNextOffset;
    }
    LogSegment active = kept.get(kept.size() - 1);
    for (LogSegment segment : recovered) {
      if (segment != active) {
        segment.seal();
      }
    }
    active.makeWritable(config);
    active.initRollingBaseTime(nowMs);
    if (!recovered.isEmpty() || segmentsDeleted > 0) {
      // What recovery validated may still be only in the page cache; make it durable so the whole
      // log is below the recovery point and the next start has nothing to recover.
      for (LogSegment segment : recovered) {
        segment.flush();
      }
      FileUtil.fsyncDirectory(dir);
    }
    if (checkpoint.recoveryPoint() > logEndOffset) {
      log.warn("Recovery point {} of {} is beyond its log end offset {}: flushed data is missing",
          checkpoint.recoveryPoint(), dir, logEndOffset);
    }
    long logStartOffset = Math.min(Math.max(checkpoint.logStartOffset(), kept.get(0).baseOffset()), logEndOffset);
    RecoveryReport report = new RecoveryReport(segmentsFound, recovered.size(), indexesRebuilt, bytesTruncated,
        segmentsDeleted, truncatedAtOffset);
    if (report.recoveryRan()) {
      log.info("Loaded {} with recovery: {}", dir, report);
    }
    return new Loaded(List.copyOf(kept), logEndOffset, logStartOffset, logEndOffset, report);
  }

  /**
   * Finishes or discards what a cleaning left when the process stopped (see
   * {@link PartitionLog#replaceSegments}): files still being written ({@code .cleaned}) are deleted; a
   * {@code <base>.log.swap} is a committed replacement of the segments in [base, its end), so those are
   * deleted and it takes the place of {@code <base>.log}. Its indexes are rebuilt by recovery.
   */
  private void completeInterruptedCleaning() throws IOException {
    List<Path> swaps = new ArrayList<>();
    List<Path> strays = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (name.endsWith(LogSegment.CLEANED_SUFFIX)) {
          strays.add(entry);
        } else if (SWAP_LOG_FILE.matcher(name).matches()) {
          swaps.add(entry);
        } else if (name.endsWith(LogSegment.SWAP_SUFFIX)) {
          strays.add(entry); // index swaps: deleted below, the indexes are rebuilt
        }
      }
    }
    for (Path stray : strays) {
      Files.deleteIfExists(stray);
    }
    for (Path swap : swaps) {
      long base = Long.parseLong(swap.getFileName().toString().substring(0, 20));
      long next = nextOffsetOfSwap(swap);
      if (next < 0) {
        log.warn("Deleting {}: it holds no valid batches", swap);
        Files.deleteIfExists(swap);
        continue;
      }
      for (long covered : findSegmentBases()) {
        if (covered > base && covered < next) {
          log.info("Completing an interrupted cleaning of {}: deleting segment {}", dir, covered);
          Files.deleteIfExists(LogSegment.logFile(dir, covered));
          Files.deleteIfExists(LogSegment.indexFile(dir, covered));
          Files.deleteIfExists(LogSegment.timeIndexFile(dir, covered));
        }
      }
      Files.deleteIfExists(LogSegment.indexFile(dir, base));
      Files.deleteIfExists(LogSegment.timeIndexFile(dir, base));
      FileUtil.atomicMove(swap, LogSegment.logFile(dir, base));
      log.info("Completed an interrupted cleaning of {}: segment {} replaced offsets {}..{}", dir, base, base, next - 1);
    }
    if (!swaps.isEmpty() || !strays.isEmpty()) {
      FileUtil.fsyncDirectory(dir);
    }
  }

  /** The offset after the last batch of a swap file, or -1 if it holds no valid batch. */
  private static long nextOffsetOfSwap(Path swap) throws IOException {
    try (FileChannel channel = FileChannel.open(swap, StandardOpenOption.READ)) {
      ValidatingBatchScanner scanner = new ValidatingBatchScanner(channel, 0, channel.size());
      long next = -1;
      try {
        for (BatchLocation batch = scanner.next(); batch != null; batch = scanner.next()) {
          next = batch.nextOffset();
        }
      } catch (InvalidBatchException e) {
        return -1; // fsynced before it was renamed, so this is damage, not a torn write
      }
      return next;
    }
  }

  /** Base offsets of the segments in the directory, ascending; removes index files that lost their log. */
  private List<Long> findSegmentBases() throws IOException {
    Set<Long> logs = new TreeSet<>();
    List<Path> indexFiles = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        Matcher matcher = SEGMENT_FILE.matcher(entry.getFileName().toString());
        if (!matcher.matches()) {
          continue;
        }
        if (matcher.group(2).equals(LogSegment.LOG_SUFFIX)) {
          logs.add(Long.parseLong(matcher.group(1)));
        } else {
          indexFiles.add(entry);
        }
      }
    }
    for (Path index : indexFiles) {
      String name = index.getFileName().toString();
      long base = Long.parseLong(name.substring(0, 20));
      if (!logs.contains(base)) {
        log.info("Deleting {}: its segment log is gone", index);
        Files.deleteIfExists(index);
      }
    }
    return new ArrayList<>(logs);
  }

  private void deleteSegments(List<Long> bases) throws IOException {
    for (long base : bases) {
      Path logFile = LogSegment.logFile(dir, base);
      long size = Files.size(logFile);
      log.warn("Deleting segment {} ({} bytes): it follows the truncation point", logFile, size);
      bytesTruncated += size;
      segmentsDeleted++;
      Files.deleteIfExists(logFile);
      Files.deleteIfExists(LogSegment.indexFile(dir, base));
      Files.deleteIfExists(LogSegment.timeIndexFile(dir, base));
    }
  }
}
