package dev.skein.client;

import java.time.Duration;
import java.time.Instant;

/** Where {@link SkeinAdmin#planOffsetReset} moves a group's committed offsets (kafka-consumer-groups' modes). */
public sealed interface OffsetReset {

  /** The log start offset. */
  record ToEarliest() implements OffsetReset {}

  /** The log end offset: skip everything there is now. */
  record ToLatest() implements OffsetReset {}

  /** A given offset (clamped to the log's range). */
  record ToOffset(long offset) implements OffsetReset {}

  /** The first offset with a timestamp at or after this time (the log end if none). */
  record ToDatetime(Instant time) implements OffsetReset {}

  /** The committed offset moved by {@code delta} (negative goes back), clamped to the log's range. */
  record ShiftBy(long delta) implements OffsetReset {}

  /** The first offset at or after now minus {@code duration}. */
  record ByDuration(Duration duration) implements OffsetReset {}
}
