package dev.skein.client.internal;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Reads Kafka-style string settings ("linger.ms" = "5") with clear errors, and remembers
 * which keys were read so that a misspelled key is reported instead of silently ignored.
 */
public final class ConfigReader {

  private final Map<String, ?> values;
  private final Set<String> used = new HashSet<>();

  public ConfigReader(Map<String, ?> values) {
    this.values = Map.copyOf(values);
  }

  public String string(String key, String defaultValue) {
    used.add(key);
    Object value = values.get(key);
    return value == null ? defaultValue : value.toString().trim();
  }

  /** The value as given: for secrets, where spaces at either end are part of it. */
  public String untrimmed(String key, String defaultValue) {
    used.add(key);
    Object value = values.get(key);
    return value == null ? defaultValue : value.toString();
  }

  public long longValue(String key, long defaultValue, long min, long max) {
    String text = string(key, null);
    if (text == null) {
      return defaultValue;
    }
    long value;
    try {
      value = Long.parseLong(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a whole number, got '" + text + "'");
    }
    if (value < min || value > max) {
      throw new IllegalArgumentException(key + " must be between " + min + " and " + max + ", got " + value);
    }
    return value;
  }

  public int intValue(String key, int defaultValue, int min, int max) {
    return (int) longValue(key, defaultValue, min, max);
  }

  public boolean bool(String key, boolean defaultValue) {
    String text = string(key, null);
    if (text == null) {
      return defaultValue;
    }
    return switch (text.toLowerCase()) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new IllegalArgumentException(key + " must be true or false, got '" + text + "'");
    };
  }

  /** One of {@code allowed}, compared without regard to case; returns the lower-case form. */
  public String choice(String key, String defaultValue, Set<String> allowed) {
    String text = string(key, defaultValue).toLowerCase();
    if (!allowed.contains(text)) {
      throw new IllegalArgumentException(key + " must be one of " + allowed + ", got '" + text + "'");
    }
    return text;
  }

  /** Fails on keys nobody read: almost always a typo. */
  public void rejectUnknown(Set<String> alsoAllowed) {
    for (String key : values.keySet()) {
      if (!used.contains(key) && !alsoAllowed.contains(key)) {
        throw new IllegalArgumentException("unknown setting '" + key + "'");
      }
    }
  }
}
