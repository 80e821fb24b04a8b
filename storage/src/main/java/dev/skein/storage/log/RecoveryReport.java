package dev.skein.storage.log;

/**
 * What opening a log found and did, for logs, metrics and tests.
 *
 * @param segmentsLoaded     segments found on disk
 * @param segmentsRecovered  segments whose every batch was re-validated (0 after a clean shutdown)
 * @param indexesRebuilt     segments below the recovery point whose missing or corrupt indexes were rebuilt
 * @param bytesTruncated     bytes cut off at the first torn or corrupt batch, including deleted later segments
 * @param segmentsDeleted    whole segments deleted because they followed a truncation point
 * @param truncatedAtOffset  the log end offset after truncation, or -1 if nothing was truncated
 */
public record RecoveryReport(int segmentsLoaded, int segmentsRecovered, int indexesRebuilt, long bytesTruncated,
               int segmentsDeleted, long truncatedAtOffset) {

  public boolean recoveryRan() {
    return segmentsRecovered > 0;
  }

  public boolean truncated() {
    return truncatedAtOffset >= 0;
  }
}
