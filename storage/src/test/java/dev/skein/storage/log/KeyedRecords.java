package dev.skein.storage.log;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Keyed record batches for compaction tests, encoded and decoded with the stock protobuf library (not the
 * cleaner's own {@link RecordSetWire}), so the tests check the cleaner against an independent reader.
 */
final class KeyedRecords {

  /** A record as written: {@code value} null for a tombstone, {@code key} null for a keyless record. */
  record Keyed(String key, String value) {
  }

  /** A record as read back from the log. */
  record Read(long offset, String key, String value) {
  }

  private KeyedRecords() {
  }

  /** A batch of {@code records} (offset deltas 0, 1, ...), uncompressed (1) or gzip (2). */
  static BatchAppend batch(List<Keyed> records, long timestamp, int compression) {
    return idempotentBatch(records, timestamp, compression, -1, -1, -1);
  }

  static BatchAppend idempotentBatch(List<Keyed> records, long timestamp, int compression, long producerId,
                     int epoch, int baseSequence) {
    try {
      ByteArrayOutputStream set = new ByteArrayOutputStream();
      CodedOutputStream out = CodedOutputStream.newInstance(set);
      for (int i = 0; i < records.size(); i++) {
        ByteArrayOutputStream one = new ByteArrayOutputStream();
        CodedOutputStream r = CodedOutputStream.newInstance(one);
        if (i > 0) {
          r.writeUInt32(1, i);
        }
        r.writeInt64(2, timestamp);
        if (records.get(i).key() != null) {
          r.writeByteArray(3, records.get(i).key().getBytes(StandardCharsets.UTF_8));
        }
        if (records.get(i).value() != null) {
          r.writeByteArray(4, records.get(i).value().getBytes(StandardCharsets.UTF_8));
        }
        r.flush();
        out.writeByteArray(1, one.toByteArray());
      }
      out.flush();
      byte[] payload = set.toByteArray();
      if (compression == 2) {
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
          gzip.write(payload);
        }
        payload = zipped.toByteArray();
      }
      return new BatchAppend(records.size(), timestamp, timestamp, producerId, epoch, baseSequence, compression,
          TestBatches.CREATE_TIME, 0, ByteBuffer.wrap(payload));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every record of the log from its start, in offset order. */
  static List<Read> readAll(PartitionLog log) {
    List<Read> out = new ArrayList<>();
    for (Iterator<StoredBatch> it = log.batchesFrom(log.logStartOffset()); it.hasNext(); ) {
      out.addAll(records(it.next()));
    }
    return out;
  }

  static List<Read> records(StoredBatch batch) {
    try {
      byte[] payload = TestBatches.bytes(batch.payload());
      if (batch.compression() == 2) {
        payload = new GZIPInputStream(new java.io.ByteArrayInputStream(payload)).readAllBytes();
      }
      List<Read> out = new ArrayList<>();
      CodedInputStream in = CodedInputStream.newInstance(payload);
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        CodedInputStream r = CodedInputStream.newInstance(in.readByteArray());
        long delta = 0;
        String key = null;
        String value = null;
        for (int t = r.readTag(); t != 0; t = r.readTag()) {
          switch (t >>> 3) {
            case 1 -> delta = r.readUInt32() & 0xFFFFFFFFL;
            case 3 -> key = new String(r.readByteArray(), StandardCharsets.UTF_8);
            case 4 -> value = new String(r.readByteArray(), StandardCharsets.UTF_8);
            default -> r.skipField(t);
          }
        }
        if (delta > batch.lastOffsetDelta()) {
          throw new AssertionError("Record delta " + delta + " beyond the batch's last delta in " + batch);
        }
        out.add(new Read(batch.baseOffset() + delta, key, value));
      }
      if (out.size() != batch.recordCount()) {
        throw new AssertionError(batch + " holds " + out.size() + " records");
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
