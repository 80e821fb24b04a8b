package dev.skein.storage.log;

/** A leader append whose stored entry would exceed the topic's {@code max.message.bytes}. */
public final class RecordBatchTooLargeException extends LogException {
  private static final long serialVersionUID = 1L;

  public RecordBatchTooLargeException(long entrySize, int maxMessageBytes) {
    super("Record batch of " + entrySize + " bytes (stored size, including the " + BatchLayout.HEADER_SIZE
        + "-byte header) exceeds max.message.bytes = " + maxMessageBytes);
  }
}
