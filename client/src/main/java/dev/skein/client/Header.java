package dev.skein.client;

import java.util.Arrays;

/** A record header: a string key and a byte value that may be null. */
public record Header(String key, byte[] value) {

  public Header {
    if (key == null) {
      throw new IllegalArgumentException("header key must not be null");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Header h && key.equals(h.key) && Arrays.equals(value, h.value);
  }

  @Override
  public int hashCode() {
    return 31 * key.hashCode() + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return key + "=" + (value == null ? "null" : value.length + " bytes");
  }
}
