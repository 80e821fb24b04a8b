package dev.skein.storage.log;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongConsumer;

/**
 * Running totals of one {@link LogManager}'s disk work, for metrics. Plain adders, so storage needs
 * no metrics library: the broker reads them when it is scraped. Flush times also go to an optional
 * observer (the broker's latency histogram).
 */
public final class LogStats {

  private final LongAdder flushes = new LongAdder();
  private final LongAdder flushNanos = new LongAdder();
  private final LongAdder cleanerRuns = new LongAdder();
  private final LongAdder cleanerBytesRead = new LongAdder();
  private final LongAdder cleanerBytesWritten = new LongAdder();
  private final LongAdder cleanerRecordsRemoved = new LongAdder();
  private final LongAdder logsLoaded = new LongAdder();
  private final LongAdder loadNanos = new LongAdder();
  private final LongAdder segmentsRecovered = new LongAdder();
  private volatile LongConsumer flushObserver = nanos -> { };

  /** Also tells {@code observer} the duration in nanoseconds of every flush from now on. */
  public void observeFlushes(LongConsumer observer) {
    this.flushObserver = observer;
  }

  void onFlush(long nanos) {
    flushes.increment();
    flushNanos.add(nanos);
    flushObserver.accept(nanos);
  }

  void onCleaned(long bytesRead, long bytesWritten, long recordsRemoved) {
    cleanerRuns.increment();
    cleanerBytesRead.add(bytesRead);
    cleanerBytesWritten.add(bytesWritten);
    cleanerRecordsRemoved.add(recordsRemoved);
  }

  void onLoaded(long nanos, RecoveryReport report) {
    logsLoaded.increment();
    loadNanos.add(nanos);
    segmentsRecovered.add(report.segmentsRecovered());
  }

  /** Flushes (fsyncs of one or more segments) so far. */
  public long flushes() {
    return flushes.sum();
  }

  public long flushNanos() {
    return flushNanos.sum();
  }

  /** Completed cleaning passes of compacted logs. */
  public long cleanerRuns() {
    return cleanerRuns.sum();
  }

  /** Bytes the cleaners read from dirty segments (Kafka's bytes cleaned). */
  public long cleanerBytesRead() {
    return cleanerBytesRead.sum();
  }

  public long cleanerBytesWritten() {
    return cleanerBytesWritten.sum();
  }

  public long cleanerRecordsRemoved() {
    return cleanerRecordsRemoved.sum();
  }

  /** Logs opened (and recovered where needed) since start. */
  public long logsLoaded() {
    return logsLoaded.sum();
  }

  /** Time spent opening logs, recovery included. */
  public long loadNanos() {
    return loadNanos.sum();
  }

  /** Segments whose every batch was re-validated on opening (0 after a clean shutdown). */
  public long segmentsRecovered() {
    return segmentsRecovered.sum();
  }
}
