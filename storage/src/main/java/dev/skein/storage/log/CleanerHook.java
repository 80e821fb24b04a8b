package dev.skein.storage.log;

/**
 * Called by the cleaner at each step that changes files, so tests can stop a cleaning there (by throwing) as a
 * crash would, and check that reopening the log finds it whole. Production code passes {@link #NONE}.
 */
@FunctionalInterface
interface CleanerHook {

  /** The steps of replacing a group of segments, in order. */
  enum Step {
    /** The cleaned segment is written and fsynced under {@code .cleaned} names; the log is unchanged. */
    CLEANED_WRITTEN,
    /** The cleaned files are renamed to {@code .swap}: the replacement is committed. */
    SWAP_CREATED,
    /** The group's segments after its first are deleted. */
    OLD_SEGMENTS_DELETED,
    /** The swap files have replaced the first segment's files. */
    SWAP_RENAMED
  }

  CleanerHook NONE = step -> { };

  void reached(Step step);
}
