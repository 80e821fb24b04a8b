package dev.skein.storage.log;

import dev.skein.storage.state.PartitionCheckpoint;
import dev.skein.storage.state.PartitionCheckpointStore;
import dev.skein.storage.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The partition logs of one data directory.
 *
 * <p>Layout: {@code <data-dir>/<topic>-<partition>/} per partition (Kafka's naming), each holding its
 * segments and a {@code partition.metadata} file with the topic id; {@code <data-dir>/.lock} keeps a second
 * process out. Checkpoints (recovery point, log start offset, high watermark), leader-epoch caches and
 * producer-state snapshots live in the broker's {@link StateStore} under the key
 * {@link #partitionKey(String, int)}; a log writes its epoch cache itself (synchronously) whenever it
 * changes.
 *
 * <p>Background threads fsync segments finished by a roll, flush logs whose flush.ms has passed, write
 * all checkpoints and producer-state snapshots every few seconds and expire idle producers;
 * {@link #close()} flushes every log and writes final checkpoints and snapshots, so a clean shutdown
 * leaves no recovery work for the next start. The manager does not own the state store: the caller opens
 * and closes it (after the manager).
 */
public final class LogManager implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(LogManager.class);

  /**
   * How many logs open, or close, at a time when many do at once (Kafka: num.recovery.threads.per.data.dir,
   * which defaults to 1; here the work is mostly fsyncs and small reads, which overlap on any disk).
   */
  public static final int OPEN_PARALLELISM = 8;

  static final String LOCK_FILE = ".lock";
  static final String DELETE_SUFFIX = "-delete";
  private static final Pattern LOG_DIRECTORY = Pattern.compile("(.+)-(\\d{1,10})");
  /** Kafka's legal topic names; also guarantees a topic name cannot escape the data directory. */
  private static final Pattern TOPIC_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

  private record TopicPartition(String topic, int partition) {
    String directoryName() {
      return topic + "-" + partition;
    }
  }

  private record ManagedLog(PartitionLog log, String topicId) {
  }

  private final Path dataDir;
  private final PartitionCheckpointStore checkpoints;
  private final LeaderEpochCheckpointStore epochCheckpoints;
  private final ProducerStateCheckpointStore producerCheckpoints;
  private final CleanerCheckpointStore cleanerCheckpoints;
  /** Runs the log.cleaner.threads cleaner tasks; null when compaction is off. */
  private final ScheduledThreadPoolExecutor cleanerPool;
  private final CleanerThrottle cleanerThrottle;
  private final List<LogCleaner> cleaners = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** Logs a cleaner is working on, so two threads never clean one log. */
  private final java.util.Set<TopicPartition> beingCleaned = ConcurrentHashMap.newKeySet();
  private final LogManagerConfig config;
  private final Clock clock;
  private final FileChannel lockChannel;
  private final FileLock directoryLock;
  private final ScheduledThreadPoolExecutor scheduler;
  private final Map<TopicPartition, ManagedLog> logs = new ConcurrentHashMap<>();
  private final LogStats stats = new LogStats();
  /** Group commit of the durable topics' logs in this directory. */
  private final LogFlusher flusher;
  /**
   * Creating and deleting logs hold the read side (and the lock of their partition's stripe), so
   * different partitions open in parallel; closing the manager holds the write side.
   */
  private final java.util.concurrent.locks.ReentrantReadWriteLock lifecycleLock =
      new java.util.concurrent.locks.ReentrantReadWriteLock();
  private final Object[] partitionLocks = new Object[64];
  private final StateStore stateStore;
  /** Orders checkpoint writes with the deletion of a deleted log's checkpoint. */
  private final Object checkpointLock = new Object();
  /**
   * Partition directories created with their data directory fsync deferred, and how many of them
   * a completed fsync of the data directory covers (under the lock).
   */
  private final AtomicLong directoriesCreated = new AtomicLong();
  private volatile long directoriesSynced;
  private final Object dataDirSyncLock = new Object();
  private volatile boolean closed;

  private LogManager(Path dataDir, StateStore stateStore, LogManagerConfig config, Clock clock,
            FileChannel lockChannel, FileLock directoryLock) {
    this.dataDir = dataDir;
    this.stateStore = stateStore;
    for (int i = 0; i < partitionLocks.length; i++) {
      partitionLocks[i] = new Object();
    }
    this.checkpoints = new PartitionCheckpointStore(stateStore);
    this.epochCheckpoints = new LeaderEpochCheckpointStore(stateStore);
    this.producerCheckpoints = new ProducerStateCheckpointStore(stateStore);
    this.cleanerCheckpoints = new CleanerCheckpointStore(stateStore);
    LogCleanerConfig cleanerConfig = config.cleaner();
    this.cleanerThrottle = Double.isInfinite(cleanerConfig.ioMaxBytesPerSecond()) ? CleanerThrottle.unlimited()
        : new CleanerThrottle(cleanerConfig.ioMaxBytesPerSecond());
    if (cleanerConfig.threads() > 0) {
      AtomicInteger cleanerThreads = new AtomicInteger();
      this.cleanerPool = new ScheduledThreadPoolExecutor(cleanerConfig.threads(), runnable -> {
        Thread thread = new Thread(runnable, "skein-log-cleaner-" + cleanerThreads.incrementAndGet());
        thread.setDaemon(true);
        return thread;
      });
      cleanerPool.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
      cleanerPool.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    } else {
      this.cleanerPool = null;
    }
    this.config = config;
    this.clock = clock;
    this.lockChannel = lockChannel;
    this.directoryLock = directoryLock;
    AtomicInteger threads = new AtomicInteger();
    this.scheduler = new ScheduledThreadPoolExecutor(2, runnable -> {
      Thread thread = new Thread(runnable, "skein-log-manager-" + threads.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    });
    scheduler.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
    scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.flusher = new LogFlusher(dataDir.getFileName() == null ? "data" : dataDir.getFileName().toString());
  }

  /**
   * Takes over {@code dataDir} (creating it if needed), starts the background task and schedules the
   * deletion of directories a previous run renamed for deletion but did not finish deleting.
   *
   * @throws IllegalStateException if another manager holds the directory
   */
  public static LogManager open(Path dataDir, StateStore stateStore, LogManagerConfig config, Clock clock) {
    Objects.requireNonNull(stateStore, "stateStore");
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(clock, "clock");
    FileChannel lockChannel = null;
    try {
      Files.createDirectories(dataDir);
      lockChannel = FileChannel.open(dataDir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = tryLock(lockChannel, dataDir);
      LogManager manager = new LogManager(dataDir, stateStore, config, clock, lockChannel, lock);
      manager.start();
      return manager;
    } catch (IOException | RuntimeException e) {
      if (lockChannel != null) {
        try {
          lockChannel.close();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      if (e instanceof IOException io) {
        throw new UncheckedIOException("Could not open data directory " + dataDir, io);
      }
      throw (RuntimeException) e;
    }
  }

  private static FileLock tryLock(FileChannel channel, Path dataDir) throws IOException {
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      lock = null;
    }
    if (lock == null) {
      throw new IllegalStateException("Data directory " + dataDir + " is in use by another log manager");
    }
    return lock;
  }

  private void start() throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dataDir,
        entry -> Files.isDirectory(entry) && entry.getFileName().toString().endsWith(DELETE_SUFFIX))) {
      for (Path leftover : entries) {
        scheduleDeletion(leftover);
      }
    }
    long flushMs = config.flushCheckInterval().toMillis();
    long checkpointMs = config.checkpointInterval().toMillis();
    scheduler.scheduleWithFixedDelay(this::flushDueLogs, flushMs, flushMs, TimeUnit.MILLISECONDS);
    scheduler.scheduleWithFixedDelay(this::checkpointQuietly, checkpointMs, checkpointMs, TimeUnit.MILLISECONDS);
    long expiryMs = config.producerIdExpirationCheckInterval().toMillis();
    scheduler.scheduleWithFixedDelay(this::expireProducersQuietly, expiryMs, expiryMs, TimeUnit.MILLISECONDS);
    long retentionMs = config.retentionCheckInterval().toMillis();
    scheduler.scheduleWithFixedDelay(this::enforceRetentionQuietly, retentionMs, retentionMs, TimeUnit.MILLISECONDS);
    if (cleanerPool != null) {
      long backoffMs = config.cleaner().backoff().toMillis();
      for (int i = 0; i < config.cleaner().threads(); i++) {
        LogCleaner cleaner = newCleaner();
        cleanerPool.scheduleWithFixedDelay(() -> cleanQuietly(cleaner), backoffMs, backoffMs, TimeUnit.MILLISECONDS);
      }
    }
  }

  private LogCleaner newCleaner() {
    LogCleaner cleaner = new LogCleaner(new OffsetMap(config.cleaner().dedupeBufferPerThread()), cleanerThrottle,
        config.cleaner().payloadCodec(), clock, CleanerHook.NONE);
    cleaners.add(cleaner);
    return cleaner;
  }

  // ---------------------------------------------------------------- compaction

  /**
   * Cleans logs with cleanup.policy containing compact until none needs it: each time the one with the
   * highest dirty ratio at or above its min.cleanable.dirty.ratio, or first one with dirty records older than
   * max.compaction.lag.ms. The cleaner threads do this every log.cleaner.backoff.ms; tests call it directly.
   *
   * @return how many cleaning passes ran
   */
  public int cleanLogs() {
    LogCleaner cleaner = newCleaner();
    try {
      return cleanWith(cleaner);
    } finally {
      cleaners.remove(cleaner);
    }
  }

  private void cleanQuietly(LogCleaner cleaner) {
    try {
      cleanWith(cleaner);
    } catch (RuntimeException e) {
      log.error("Cleaning the logs in {} failed", dataDir, e);
    }
  }

  private int cleanWith(LogCleaner cleaner) {
    int passes = 0;
    while (!closed) {
      Map.Entry<TopicPartition, ManagedLog> chosen = claimDirtiestLog();
      if (chosen == null) {
        return passes;
      }
      TopicPartition tp = chosen.getKey();
      ManagedLog managed = chosen.getValue();
      String key = partitionKey(managed.topicId(), tp.partition());
      try {
        long cleanedUpTo = cleanedUpTo(key, managed.log());
        LogCleaner.Result result = cleaner.clean(managed.log(), cleanedUpTo);
        stats.onCleaned(result.bytesRead(), result.bytesWritten(), result.recordsRemoved());
        if (result.cleanedUpTo() != cleanedUpTo && !managed.log().isClosed()) {
          cleanerCheckpoints.write(key, result.cleanedUpTo());
        }
        passes++;
      } catch (CleaningAbortedException | LogClosedException e) {
        log.info("Cleaning of {} stopped: {}", managed.log().dir(), e.getMessage());
        if (closed) {
          return passes;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Cleaning of " + managed.log().dir() + " failed", e);
      } finally {
        beingCleaned.remove(tp);
      }
    }
    return passes;
  }

  /** The checkpointed cleaned-up-to offset, lowered (durably) to where the log was truncated since. */
  private long cleanedUpTo(String key, PartitionLog partitionLog) {
    long checkpointed = cleanerCheckpoints.read(key);
    long truncatedTo = partitionLog.takeLowestTruncation();
    if (truncatedTo < checkpointed) {
      cleanerCheckpoints.write(key, truncatedTo);
      return truncatedTo;
    }
    return checkpointed;
  }

  /** Picks the log most in need of cleaning and marks it as being cleaned; null if none needs it. */
  private Map.Entry<TopicPartition, ManagedLog> claimDirtiestLog() {
    synchronized (beingCleaned) {
      long now = clock.millis();
      Map.Entry<TopicPartition, ManagedLog> best = null;
      double bestScore = -1;
      for (Map.Entry<TopicPartition, ManagedLog> e : logs.entrySet()) {
        PartitionLog partitionLog = e.getValue().log();
        if (!partitionLog.config().compacts() || beingCleaned.contains(e.getKey()) || partitionLog.isClosed()) {
          continue;
        }
        try {
          String key = partitionKey(e.getValue().topicId(), e.getKey().partition());
          LogCleaner.Assessment assessment = LogCleaner.assess(partitionLog.cleanerView(),
              cleanerCheckpoints.read(key), now);
          if (!assessment.hasDirty()) {
            continue;
          }
          double ratio = assessment.dirtyRatio();
          // A log past max.compaction.lag.ms goes first, whatever its ratio.
          double score = assessment.pastMaxLag() ? 2 + ratio : ratio;
          if ((assessment.pastMaxLag() || ratio >= partitionLog.config().minCleanableDirtyRatio()) && score > bestScore) {
            best = e;
            bestScore = score;
          }
        } catch (LogClosedException ex) {
          log.debug("{} was closed while choosing a log to clean", partitionLog.dir());
        }
      }
      if (best != null) {
        beingCleaned.add(best.getKey());
      }
      return best;
    }
  }

  /**
   * The state-store key of a partition's checkpoint, leader-epoch cache and producer-state snapshots:
   * {@code topicId + "-" + partition}.
   */
  public static String partitionKey(String topicId, int partition) {
    return topicId + "-" + partition;
  }

  /**
   * The open log of the partition, opening (and recovering) or creating it if needed. If the partition's
   * directory belongs to another topic id (a deleted topic of the same name), that data is deleted and the
   * log starts empty. If the log is open already, {@code config} replaces its settings.
   */
  public PartitionLog getOrCreateLog(String topic, int partition, String topicId, LogConfig config) {
    PartitionLog log = getOrCreateLog(new LogSpec(topic, partition, topicId, config), false);
    if (directoriesSynced < directoriesCreated.get()) {
      // A batch that created this log may have failed before its fsync of the data directory.
      syncDataDir();
    }
    return log;
  }

  private PartitionLog getOrCreateLog(LogSpec spec, boolean deferDataDirSync) {
    TopicPartition tp = validated(spec.topic(), spec.partition());
    validateTopicId(spec.topicId());
    Objects.requireNonNull(spec.config(), "config");
    lifecycleLock.readLock().lock();
    try {
      synchronized (partitionLock(tp)) {
        return getOrCreateLogLocked(tp, spec.partition(), spec.topicId(), spec.config(), deferDataDirSync);
      }
    } finally {
      lifecycleLock.readLock().unlock();
    }
  }

  /** What {@link #getOrCreateLogs} opens: one partition's log and its settings. */
  public record LogSpec(String topic, int partition, String topicId, LogConfig config) {}

  /**
   * Opens (recovering) or creates many logs at once, {@code parallelism} at a time, on threads that end
   * when it returns: opening a log is mostly waiting for the disk (fsyncs of new files and directories,
   * reads of existing segments), which overlaps well. Otherwise as {@link #getOrCreateLog} for each.
   *
   * @throws RuntimeException the first failure, after every other open has finished
   */
  public void getOrCreateLogs(List<LogSpec> specs, int parallelism) {
    // A new log writes its leader-epoch cache as it opens. If the caller groups those syncs
    // (deferStateSyncs), the opening threads do too: its scope syncs once they have all finished.
    boolean callerDefers = epochCheckpoints.deferringSyncs();
    // New partition directories become durable entries of the data directory with one fsync of it
    // after all of them, before this returns (and so before any of them takes a record).
    try {
      forEachInParallel(specs, parallelism, "skein-log-open-", spec -> {
        try (LeaderEpochCheckpointStore.DeferScope covered =
            callerDefers ? epochCheckpoints.deferSyncsToCaller() : null) {
          getOrCreateLog(spec, true);
        }
      });
    } catch (RuntimeException e) {
      try {
        syncDataDir();
      } catch (RuntimeException syncFailure) {
        e.addSuppressed(syncFailure);
      }
      throw e;
    }
    syncDataDir();
  }

  /**
   * Fsyncs the data directory unless a completed fsync already covers every partition directory
   * created so far; waits for one in progress. If it fails, the next {@link #getOrCreateLog} tries
   * again before it returns a log: none is handed out while its directory entry may be lost.
   */
  private void syncDataDir() {
    long target = directoriesCreated.get();
    synchronized (dataDirSyncLock) {
      if (directoriesSynced >= target) {
        return;
      }
      try {
        FileUtil.fsyncDirectory(dataDir);
      } catch (IOException e) {
        throw new UncheckedIOException("Could not fsync " + dataDir + " after creating logs in it", e);
      }
      directoriesSynced = target;
    }
  }

  private static <T> void forEachInParallel(java.util.Collection<T> items, int parallelism, String threadPrefix,
      java.util.function.Consumer<T> action) {
    if (items.size() <= 1 || parallelism <= 1) {
      items.forEach(action);
      return;
    }
    AtomicInteger threads = new AtomicInteger();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
        Math.min(parallelism, items.size()), runnable -> {
          Thread thread = new Thread(runnable, threadPrefix + threads.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
    try {
      List<java.util.concurrent.Future<?>> futures = new ArrayList<>(items.size());
      for (T item : items) {
        futures.add(pool.submit(() -> action.accept(item)));
      }
      RuntimeException failure = null;
      boolean interrupted = false;
      for (java.util.concurrent.Future<?> future : futures) {
        while (true) {
          try {
            future.get();
            break;
          } catch (InterruptedException e) {
            interrupted = true; // finish waiting: the caller must not see half-opened state
          } catch (java.util.concurrent.ExecutionException e) {
            RuntimeException cause = e.getCause() instanceof RuntimeException r ? r : new RuntimeException(e.getCause());
            failure = accumulate(failure, cause);
            break;
          }
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      if (failure != null) {
        throw failure;
      }
    } finally {
      pool.shutdown();
    }
  }

  private Object partitionLock(TopicPartition tp) {
    return partitionLocks[Math.floorMod(tp.hashCode(), partitionLocks.length)];
  }

  /**
   * @param deferDataDirSync whether the caller fsyncs the data directory once for every partition
   *     directory it creates ({@link #syncDataDir}) instead of here for each
   */
  private PartitionLog getOrCreateLogLocked(TopicPartition tp, int partition, String topicId, LogConfig config,
      boolean deferDataDirSync) {
    {
      ensureOpen();
      ManagedLog existing = logs.get(tp);
      if (existing != null) {
        if (existing.topicId().equals(topicId)) {
          if (!existing.log().config().equals(config)) {
            existing.log().updateConfig(config);
          }
          return existing.log();
        }
      }
      try {
        if (existing != null) {
          log.warn("Open log {} belongs to topic id {}, not {}: deleting it", tp.directoryName(),
              existing.topicId(), topicId);
          deleteLogLocked(tp);
        }
        Path dir = dataDir.resolve(tp.directoryName());
        PartitionCheckpoint checkpoint = PartitionCheckpoint.NONE;
        if (Files.exists(dir)) {
          Optional<String> onDisk = PartitionMetadataFile.readTopicId(dir);
          if (onDisk.isPresent() && onDisk.get().equals(topicId)) {
            checkpoint = checkpoints.read(partitionKey(topicId, partition)).orElse(PartitionCheckpoint.NONE);
          } else {
            log.warn("Directory {} holds data of topic id {}, not {}: deleting it", dir,
                onDisk.orElse("(unknown)"), topicId);
            deleteLogLocked(tp);
          }
        }
        if (!Files.exists(dir)) {
          Files.createDirectories(dir);
          // Fsynced as a file; its directory entry with the first segment's, when the log opens.
          PartitionMetadataFile.write(dir, topicId);
          if (deferDataDirSync) {
            directoriesCreated.incrementAndGet();
          } else {
            FileUtil.fsyncDirectory(dataDir);
          }
          deletePersistedState(partitionKey(topicId, partition)); // stale state must not apply to new data
        }
        String key = partitionKey(topicId, partition);
        long openStart = System.nanoTime();
        PartitionLog opened = PartitionLog.open(dir, config, checkpoint, epochCheckpoints.forPartition(key),
            producerCheckpoints.forPartition(key), clock, scheduler);
        stats.onLoaded(System.nanoTime() - openStart, opened.recoveryReport());
        opened.reportTo(stats);
        opened.attachFlusher(flusher);
        logs.put(tp, new ManagedLog(opened, topicId));
        return opened;
      } catch (IOException e) {
        throw new UncheckedIOException("Could not create the log of " + tp.directoryName(), e);
      }
    }
  }

  /** A scope that groups durable state writes; see {@link #deferStateSyncs()}. */
  public interface SyncScope extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Groups the fsyncs of this thread's leader-epoch cache writes (and those of the {@link #getOrCreateLogs}
   * it calls) until the returned scope closes, on the same thread, which syncs them all at once: taking up
   * thousands of partitions as leader (a new topic, a failover) otherwise waits for one fsync per
   * partition. Other threads' writes are synced as usual. A crash inside the scope may lose some of those
   * writes; the next start repairs each partition's cache from its batch headers.
   */
  public SyncScope deferStateSyncs() {
    return epochCheckpoints.deferSyncs()::close;
  }

  /** Fsyncs of the state store's write-ahead log since it was opened (checkpoints, leader epochs). */
  public long stateSyncs() {
    return stateStore.walSyncs();
  }

  /** The group flusher of this directory's durable logs. */
  public LogFlusher flusher() {
    return flusher;
  }

  /** Running totals of flushes, cleaning and log loading, for metrics. */
  public LogStats stats() {
    return stats;
  }

  /** The open log of the partition, if any. */
  public Optional<PartitionLog> log(String topic, int partition) {
    ManagedLog managed = logs.get(new TopicPartition(topic, partition));
    return managed == null ? Optional.empty() : Optional.of(managed.log());
  }

  /** The open logs, by directory name ({@code <topic>-<partition>}). */
  public Map<String, PartitionLog> logs() {
    Map<String, PartitionLog> result = new HashMap<>();
    logs.forEach((tp, managed) -> result.put(tp.directoryName(), managed.log()));
    return result;
  }

  /**
   * Deletes the partition's log, open or not: closes it, renames its directory to
   * {@code <topic>-<partition>.<uuid>-delete} at once (so the name is free for a new log) and deletes the
   * files in the background; removes its checkpoint, leader-epoch cache and producer-state snapshots.
   *
   * @return whether there was a log or a directory to delete
   */
  public boolean deleteLog(String topic, int partition) {
    TopicPartition tp = validated(topic, partition);
    lifecycleLock.readLock().lock();
    try {
      synchronized (partitionLock(tp)) {
        ensureOpen();
        return deleteLogLocked(tp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not delete the log of " + tp.directoryName(), e);
    } finally {
      lifecycleLock.readLock().unlock();
    }
  }

  private boolean deleteLogLocked(TopicPartition tp) throws IOException {
    ManagedLog removed = logs.remove(tp);
    Path dir = dataDir.resolve(tp.directoryName());
    Optional<String> topicId = removed != null ? Optional.of(removed.topicId()) : PartitionMetadataFile.readTopicId(dir);
    if (removed != null) {
      removed.log().abandon(); // its data is going away: no point flushing it
    }
    boolean existed = Files.exists(dir);
    if (existed) {
      Path doomed = dataDir.resolve(tp.directoryName() + "." + UUID.randomUUID().toString().replace("-", "")
          + DELETE_SUFFIX);
      Files.move(dir, doomed, StandardCopyOption.ATOMIC_MOVE);
      FileUtil.fsyncDirectory(dataDir);
      scheduleDeletion(doomed);
      log.info("Deleted log {} (files go in the background from {})", tp.directoryName(), doomed.getFileName());
    }
    // After abandon(): the closed log writes its epoch cache no more.
    topicId.ifPresent(id -> deletePersistedState(partitionKey(id, tp.partition())));
    return removed != null || existed;
  }

  private void deletePersistedState(String partitionKey) {
    synchronized (checkpointLock) {
      checkpoints.delete(partitionKey);
    }
    epochCheckpoints.delete(partitionKey);
    producerCheckpoints.deleteAll(partitionKey);
    cleanerCheckpoints.delete(partitionKey);
  }

  private void scheduleDeletion(Path dir) {
    try {
      scheduler.execute(() -> {
        try {
          FileUtil.deleteRecursively(dir);
          log.debug("Deleted {}", dir);
        } catch (IOException | RuntimeException e) {
          log.warn("Could not delete {}; the next start will try again", dir, e);
        }
      });
    } catch (RejectedExecutionException e) {
      log.info("Shutting down: {} will be deleted at the next start", dir);
    }
  }

  /**
   * The partition directories in the data directory, open or not, so the broker can delete the ones it
   * no longer hosts ({@link #deleteLog}). Directories being deleted are not listed.
   */
  public List<LogDirectory> listLogDirectories() {
    List<LogDirectory> found = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dataDir, Files::isDirectory)) {
      for (Path entry : entries) {
        Matcher matcher = LOG_DIRECTORY.matcher(entry.getFileName().toString());
        if (!matcher.matches() || !TOPIC_NAME.matcher(matcher.group(1)).matches()) {
          continue;
        }
        long partition = Long.parseLong(matcher.group(2));
        if (partition > Integer.MAX_VALUE) {
          continue;
        }
        found.add(new LogDirectory(matcher.group(1), (int) partition, PartitionMetadataFile.readTopicId(entry), entry));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not list data directory " + dataDir, e);
    }
    found.sort(Comparator.comparing(LogDirectory::topic).thenComparingInt(LogDirectory::partition));
    return found;
  }

  /** Flushes every log whose flush.ms has passed since its last flush and which has unflushed data. */
  public void flushDueLogs() {
    long now = clock.millis();
    for (ManagedLog managed : logs.values()) {
      PartitionLog partitionLog = managed.log();
      try {
        if (partitionLog.unflushedMessages() > 0
            && now - partitionLog.lastFlushTimeMs() >= partitionLog.config().flushMs()) {
          partitionLog.flush();
        }
      } catch (LogClosedException e) {
        log.debug("{} was closed while being flushed", partitionLog.dir());
      } catch (RuntimeException e) {
        log.error("Flush of {} failed", partitionLog.dir(), e);
      }
    }
  }

  /**
   * Writes every open log's checkpoint to the state store in one atomic batch, then a producer-state
   * snapshot of each log whose log end or producer state changed since its last one.
   *
   * @param sync whether to make the checkpoints durable before returning (snapshots are not synced)
   */
  public void checkpointAll(boolean sync) {
    synchronized (checkpointLock) {
      Map<String, PartitionCheckpoint> current = new HashMap<>();
      logs.forEach((tp, managed) -> {
        if (!managed.log().isClosed()) {
          current.put(partitionKey(managed.topicId(), tp.partition()), managed.log().checkpoint());
        }
      });
      checkpoints.writeAll(current, sync);
    }
    for (ManagedLog managed : logs.values()) {
      try {
        managed.log().snapshotProducerState();
      } catch (LogClosedException e) {
        log.debug("{} was closed before its producer state was snapshotted", managed.log().dir());
      }
    }
  }

  /**
   * Makes every open log forget the idempotent producers idle for the configured producer id expiration.
   *
   * @return how many producers were forgotten in all
   */
  public int expireProducers() {
    long now = clock.millis();
    long maxIdleMs = config.producerIdExpiration().toMillis();
    int expired = 0;
    for (ManagedLog managed : logs.values()) {
      expired += managed.log().expireProducers(now, maxIdleMs);
    }
    return expired;
  }

  /**
   * One retention round over every log: rolls active segments quiet for segment.ms, then
   * removes the closed segments retention.ms or retention.bytes no longer keeps, never above a
   * log's high watermark (each replica does this for its own log; a follower also follows its
   * leader's log start). A log whose start moved is checkpointed at once, so a restart does not
   * expose removed offsets' neighbours again.
   *
   * @return how many logs had their start moved
   */
  public int enforceRetention() {
    long now = clock.millis();
    int moved = 0;
    for (Map.Entry<TopicPartition, ManagedLog> e : logs.entrySet()) {
      PartitionLog partitionLog = e.getValue().log();
      try {
        partitionLog.rollIfQuiet();
        long start = partitionLog.logStartOffset();
        long target = Retention.newLogStart(partitionLog.closedSegments(), start, partitionLog.sizeInBytes(),
            partitionLog.config(), now, partitionLog.highWatermark());
        if (target > start) {
          partitionLog.advanceLogStartOffset(target);
          checkpoint(e.getKey(), e.getValue());
          moved++;
        }
      } catch (LogClosedException ex) {
        log.debug("{} was closed during retention", partitionLog.dir());
      } catch (RuntimeException ex) {
        log.error("Retention of {} failed", partitionLog.dir(), ex);
      }
    }
    return moved;
  }

  /**
   * Moves a log's start offset (Kafka's DeleteRecords, or a follower taking its leader's start)
   * and checkpoints it durably before returning.
   *
   * @return the log start offset now
   */
  public long advanceLogStartOffset(String topic, int partition, long newStart) {
    TopicPartition tp = validated(topic, partition);
    ManagedLog managed = logs.get(tp);
    if (managed == null) {
      throw new IllegalStateException("No log for " + topic + "-" + partition);
    }
    long before = managed.log().logStartOffset();
    long now = managed.log().advanceLogStartOffset(newStart);
    if (now > before) {
      checkpoint(tp, managed);
    }
    return now;
  }

  private void checkpoint(TopicPartition tp, ManagedLog managed) {
    synchronized (checkpointLock) {
      checkpoints.writeAll(Map.of(partitionKey(managed.topicId(), tp.partition()), managed.log().checkpoint()), true);
    }
  }

  private void enforceRetentionQuietly() {
    try {
      enforceRetention();
    } catch (RuntimeException e) {
      log.error("Retention of the logs in {} failed", dataDir, e);
    }
  }

  private void expireProducersQuietly() {
    try {
      expireProducers();
    } catch (RuntimeException e) {
      log.error("Expiring producers of the logs in {} failed", dataDir, e);
    }
  }

  private void checkpointQuietly() {
    try {
      checkpointAll(false);
    } catch (RuntimeException e) {
      log.error("Checkpointing the logs in {} failed", dataDir, e);
    }
  }

  /**
   * Stops the background task, closes every log (flushing it) and writes final checkpoints durably. The
   * state store must still be open. Background deletions not yet done are finished at the next start.
   */
  @Override
  public void close() {
    lifecycleLock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
    } finally {
      lifecycleLock.writeLock().unlock();
    }
    // Never shutdownNow(): interrupting a thread inside FileChannel I/O closes that channel.
    scheduler.shutdown();
    if (cleanerPool != null) {
      cleanerPool.shutdown();
    }
    for (LogCleaner cleaner : cleaners) {
      cleaner.stop(); // a cleaning in progress gives up at its next batch
    }
    awaitSchedulerTermination(scheduler);
    if (cleanerPool != null) {
      awaitSchedulerTermination(cleanerPool);
    }
    flusher.close(); // finishes the flushes asked for; later ones run inline, before the logs close
    RuntimeException failure = null;
    Map<String, PartitionCheckpoint> finalCheckpoints = new ConcurrentHashMap<>();
    // Closing flushes each log (an fsync or more): several at a time, as they open.
    java.util.concurrent.atomic.AtomicReference<RuntimeException> closeFailure =
        new java.util.concurrent.atomic.AtomicReference<>();
    forEachInParallel(List.copyOf(logs.entrySet()), OPEN_PARALLELISM, "skein-log-close-", entry -> {
      ManagedLog managed = entry.getValue();
      try {
        managed.log().close();
      } catch (RuntimeException e) {
        log.error("Close of {} failed", managed.log().dir(), e);
        closeFailure.accumulateAndGet(e, (a, b) -> a == null ? b : accumulate(a, b));
      }
      finalCheckpoints.put(partitionKey(managed.topicId(), entry.getKey().partition()), managed.log().checkpoint());
    });
    failure = closeFailure.get();
    try {
      synchronized (checkpointLock) {
        checkpoints.writeAll(finalCheckpoints, true);
      }
    } catch (RuntimeException e) {
      failure = accumulate(failure, e);
    }
    logs.clear();
    try {
      directoryLock.release();
      lockChannel.close();
    } catch (IOException e) {
      failure = accumulate(failure, new UncheckedIOException(e));
    }
    log.info("Closed the logs in {}", dataDir);
    if (failure != null) {
      throw failure;
    }
  }

  private void awaitSchedulerTermination(ScheduledThreadPoolExecutor executor) {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          if (executor.awaitTermination(10, TimeUnit.SECONDS)) {
            return;
          }
          log.info("Waiting for the background task of {} to finish", dataDir);
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static RuntimeException accumulate(RuntimeException failure, RuntimeException next) {
    if (failure == null) {
      return next;
    }
    failure.addSuppressed(next);
    return failure;
  }

  public Path dataDir() {
    return dataDir;
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("The log manager of " + dataDir + " is closed");
    }
  }

  private static TopicPartition validated(String topic, int partition) {
    if (topic == null || !TOPIC_NAME.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
      throw new IllegalArgumentException("Illegal topic name '" + topic
          + "': use 1 to 249 of the characters a-z, A-Z, 0-9, '.', '_' and '-'");
    }
    if (partition < 0) {
      throw new IllegalArgumentException("Partition must not be negative: " + partition);
    }
    return new TopicPartition(topic, partition);
  }

  private static void validateTopicId(String topicId) {
    if (topicId == null || topicId.isBlank() || topicId.contains("\n") || topicId.contains("\r")
        || topicId.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("Illegal topic id '" + topicId + "'");
    }
  }
}
