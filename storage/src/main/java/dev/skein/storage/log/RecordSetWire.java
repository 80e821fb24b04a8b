package dev.skein.storage.log;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Just enough of the protobuf wire format to read the records of a plain (decompressed) {@code skein.v1.RecordSet}
 * and write a subset of them back, byte for byte. The compaction cleaner is the only part of storage that looks
 * inside a payload; it needs each record's offset_delta, key and whether it has a value, and must not alter the
 * records it keeps. Storage does not depend on protobuf (see docs/ARCHITECTURE.md, "Log compaction").
 *
 * <pre>
 * RecordSet { repeated Record records = 1; }
 * Record { uint32 offset_delta = 1; int64 timestamp_ms = 2; optional bytes key = 3; optional bytes value = 4; ... }
 * </pre>
 */
final class RecordSetWire {

  private static final int WIRE_VARINT = 0;
  private static final int WIRE_FIXED64 = 1;
  private static final int WIRE_LENGTH = 2;
  private static final int WIRE_FIXED32 = 5;

  /**
   * One record as found in a RecordSet: {@code [start, end)} is its whole encoding in the set (tag, length and
   * body), copied unchanged if the record is kept.
   *
   * @param keyStart  position of the key bytes, -1 when the record has no key
   * @param hasValue  false for a tombstone
   */
  record WireRecord(int start, int end, long offsetDelta, long timestampMs, int keyStart, int keyLength,
            boolean hasValue) {
    boolean hasKey() {
      return keyStart >= 0;
    }
  }

  private RecordSetWire() {
  }

  /**
   * The records of {@code plain} (a serialized RecordSet from its position to its limit), positions absolute
   * in that buffer.
   *
   * @throws IllegalArgumentException if the bytes are not a RecordSet
   */
  static List<WireRecord> parse(ByteBuffer plain) {
    List<WireRecord> records = new ArrayList<>();
    Reader in = new Reader(plain, plain.position(), plain.limit());
    while (in.hasMore()) {
      int start = in.pos;
      long tag = in.varint();
      int field = (int) (tag >>> 3);
      int wire = (int) (tag & 7);
      if (field == 1 && wire == WIRE_LENGTH) {
        int length = in.length();
        int bodyStart = in.pos;
        records.add(parseRecord(plain, start, bodyStart, bodyStart + length));
        in.pos = bodyStart + length;
      } else {
        in.skip(wire);
      }
    }
    return records;
  }

  private static WireRecord parseRecord(ByteBuffer buffer, int start, int from, int to) {
    Reader in = new Reader(buffer, from, to);
    long offsetDelta = 0;
    long timestamp = 0;
    int keyStart = -1;
    int keyLength = 0;
    boolean hasValue = false;
    while (in.hasMore()) {
      long tag = in.varint();
      int field = (int) (tag >>> 3);
      int wire = (int) (tag & 7);
      if (field == 1 && wire == WIRE_VARINT) {
        offsetDelta = in.varint() & 0xFFFFFFFFL;
      } else if (field == 2 && wire == WIRE_VARINT) {
        timestamp = in.varint();
      } else if (field == 3 && wire == WIRE_LENGTH) {
        keyLength = in.length();
        keyStart = in.pos;
        in.pos += keyLength;
      } else if (field == 4 && wire == WIRE_LENGTH) {
        hasValue = true; // present, even if empty: only an absent value is a tombstone
        int valueLength = in.length(); // before reading pos: length() moves it
        in.pos += valueLength;
      } else {
        in.skip(wire);
      }
    }
    return new WireRecord(start, to, offsetDelta, timestamp, keyStart, keyLength, hasValue);
  }

  /** Copies the encodings of {@code kept} (records of {@code plain}) into a new RecordSet encoding. */
  static ByteBuffer encode(ByteBuffer plain, List<WireRecord> kept) {
    int size = 0;
    for (WireRecord record : kept) {
      size += record.end() - record.start();
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    for (WireRecord record : kept) {
      out.put(plain.duplicate().limit(record.end()).position(record.start()));
    }
    return out.flip();
  }

  /** A bounds-checked cursor over [pos, end). */
  private static final class Reader {
    private final ByteBuffer buffer;
    private final int end;
    int pos;

    Reader(ByteBuffer buffer, int pos, int end) {
      this.buffer = buffer;
      this.pos = pos;
      this.end = end;
    }

    boolean hasMore() {
      return pos < end;
    }

    long varint() {
      long value = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= end) {
          throw new IllegalArgumentException("Truncated varint in record set");
        }
        byte b = buffer.get(pos++);
        value |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return value;
        }
      }
      throw new IllegalArgumentException("Varint longer than 10 bytes in record set");
    }

    int length() {
      long length = varint();
      if (length < 0 || length > end - pos) {
        throw new IllegalArgumentException("Length " + length + " runs past the record set");
      }
      return (int) length;
    }

    void skip(int wire) {
      switch (wire) {
        case WIRE_VARINT -> varint();
        case WIRE_FIXED64 -> advance(8);
        case WIRE_LENGTH -> {
          int length = length(); // before reading pos: length() moves it
          pos += length;
        }
        case WIRE_FIXED32 -> advance(4);
        default -> throw new IllegalArgumentException("Unsupported wire type " + wire + " in record set");
      }
    }

    private void advance(int bytes) {
      if (bytes > end - pos) {
        throw new IllegalArgumentException("Field runs past the record set");
      }
      pos += bytes;
    }
  }
}
