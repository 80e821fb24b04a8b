package dev.skein.metadata.config;

import java.util.Map;
import java.util.Objects;

/**
 * One config: its name (Kafka's, where the meaning is the same), its type, its default and the
 * values it accepts.
 *
 * @param <T> the Java type of its values
 */
public final class ConfigDef<T> {

  /** The value types configs have. */
  public enum Type { BOOLEAN, INT, LONG, DOUBLE, STRING, LIST }

  /** Turns the text of a value into a typed value, or says why it cannot. */
  @FunctionalInterface
  interface Parser<T> {
    T parse(String text) throws IllegalArgumentException;
  }

  /** Says why a typed value is not acceptable, or returns null if it is. */
  @FunctionalInterface
  interface Validator<T> {
    String problemWith(T value);
  }

  private final String name;
  private final Type type;
  private final String defaultText;
  private final T defaultValue;
  private final Parser<T> parser;
  private final Validator<T> validator;
  private final String documentation;

  ConfigDef(String name, Type type, String defaultText, Parser<T> parser, Validator<T> validator,
      String documentation) {
    this.name = Objects.requireNonNull(name);
    this.type = Objects.requireNonNull(type);
    this.defaultText = Objects.requireNonNull(defaultText);
    this.parser = Objects.requireNonNull(parser);
    this.validator = Objects.requireNonNull(validator);
    this.documentation = Objects.requireNonNull(documentation);
    this.defaultValue = parser.parse(defaultText);
    String problem = validator.problemWith(defaultValue);
    if (problem != null) {
      throw new IllegalArgumentException("default of " + name + " is invalid: " + problem);
    }
  }

  public String name() {
    return name;
  }

  public Type type() {
    return type;
  }

  public T defaultValue() {
    return defaultValue;
  }

  /** The default as it would be written in a config. */
  public String defaultText() {
    return defaultText;
  }

  public String documentation() {
    return documentation;
  }

  /**
   * The typed value of {@code text}.
   *
   * @throws InvalidConfigException with a message naming the config, the value and the problem
   */
  public T parse(String text) throws InvalidConfigException {
    T value;
    try {
      value = parser.parse(text == null ? null : text.trim());
    } catch (IllegalArgumentException e) {
      throw new InvalidConfigException(name, "invalid value '" + text + "' for " + name + ": " + e.getMessage());
    }
    String problem = validator.problemWith(value);
    if (problem != null) {
      throw new InvalidConfigException(name, "invalid value '" + text + "' for " + name + ": " + problem);
    }
    return value;
  }

  /**
   * This config's value given the configs set on a resource: the set value, or the default.
   * A set value that does not parse (which validation keeps out of the metadata log) counts
   * as unset.
   */
  public T valueIn(Map<String, String> configs) {
    String text = configs.get(name);
    if (text == null) {
      return defaultValue;
    }
    try {
      return parse(text);
    } catch (InvalidConfigException e) {
      return defaultValue;
    }
  }

  @Override
  public String toString() {
    return name + " (" + type + ", default " + defaultText + ")";
  }
}
