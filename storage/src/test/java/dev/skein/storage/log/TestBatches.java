package dev.skein.storage.log;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/** Builds batches for tests. Payloads are arbitrary bytes: the log never looks inside them. */
final class TestBatches {

  static final long START_TIME = 1_700_000_000_000L;
  static final int CREATE_TIME = 1;

  private TestBatches() {
  }

  /**
   * A batch of {@code records} records with a payload of {@code payloadSize} bytes derived from {@code seed},
   * from a producer that is not idempotent (producer id -1), so the log never checks its sequence.
   */
  static BatchAppend batch(int records, int payloadSize, long maxTimestamp, long seed) {
    return idempotent(-1, -1, -1, records, payloadSize, maxTimestamp, seed);
  }

  /** As {@link #batch(int, int, long, long)}, from producer {@code producerId} in {@code epoch}. */
  static BatchAppend idempotent(long producerId, int epoch, int baseSequence, int records, int payloadSize,
                 long maxTimestamp, long seed) {
    byte[] payload = new byte[payloadSize];
    new Random(seed).nextBytes(payload);
    return new BatchAppend(records, maxTimestamp - 5, maxTimestamp, producerId, epoch, baseSequence, 1,
        CREATE_TIME, 0, ByteBuffer.wrap(payload));
  }

  static BatchAppend batch(int records, int payloadSize, long maxTimestamp) {
    return batch(records, payloadSize, maxTimestamp, maxTimestamp * 31 + records);
  }

  static BatchAppend random(Random random, int maxPayload, long maxTimestamp) {
    return batch(1 + random.nextInt(20), random.nextInt(maxPayload + 1), maxTimestamp, random.nextLong());
  }

  static LogConfig config(Map<String, String> overrides) {
    return LogConfig.fromMap(overrides, LogConfig.DEFAULT);
  }

  static LogConfig config(String... keyValues) {
    Map<String, String> map = new HashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      map.put(keyValues[i], keyValues[i + 1]);
    }
    return config(map);
  }

  /** The bytes of a buffer from its position to its limit. */
  static byte[] bytes(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.duplicate().get(bytes);
    return bytes;
  }
}
