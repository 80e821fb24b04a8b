package dev.skein.broker.metrics;

import java.util.Locale;
import java.util.Optional;
import org.slf4j.LoggerFactory;

/**
 * Reads and changes logger levels at run time, when the logging backend is logback (the broker logs
 * through slf4j; the {@code skein} distribution ships logback). With another backend every call
 * answers that levels cannot be changed.
 */
final class LogLevels {

  private LogLevels() {}

  static final String LEVELS = "TRACE, DEBUG, INFO, WARN, ERROR, OFF";

  /** Thrown for a request that names no logger or an unknown level. */
  static final class BadRequest extends Exception {
    BadRequest(String message) {
      super(message);
    }
  }

  static boolean available() {
    try {
      return LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext;
    } catch (NoClassDefFoundError e) {
      return false;
    }
  }

  /**
   * The logger's configured level (empty: it inherits) and its effective level.
   */
  record Level(String logger, Optional<String> configured, String effective) {}

  static Level get(String name) throws BadRequest {
    ch.qos.logback.classic.Logger logger = logger(name);
    return new Level(logger.getName(), Optional.ofNullable(logger.getLevel()).map(Object::toString),
        logger.getEffectiveLevel().toString());
  }

  /** Sets the level; {@code null} or "inherit" clears it so the logger inherits its parent's. */
  static Level set(String name, String level) throws BadRequest {
    ch.qos.logback.classic.Logger logger = logger(name);
    if (level == null || level.isBlank() || level.equalsIgnoreCase("inherit") || level.equalsIgnoreCase("null")) {
      if (logger.getName().equals(org.slf4j.Logger.ROOT_LOGGER_NAME)) {
        throw new BadRequest("the root logger cannot inherit; give one of " + LEVELS);
      }
      logger.setLevel(null);
    } else {
      String upper = level.trim().toUpperCase(Locale.ROOT);
      if (!(LEVELS + ",").contains(upper + ",")) {
        throw new BadRequest("unknown level '" + level + "'; give one of " + LEVELS + " or INHERIT");
      }
      logger.setLevel(ch.qos.logback.classic.Level.toLevel(upper));
    }
    return get(name);
  }

  private static ch.qos.logback.classic.Logger logger(String name) throws BadRequest {
    if (!available()) {
      throw new BadRequest("log levels can be changed only with the logback backend");
    }
    if (name == null || name.isBlank()) {
      throw new BadRequest("give a logger: ?logger=dev.skein (or ROOT)");
    }
    if (!name.matches("[A-Za-z0-9_.$-]{1,200}")) {
      throw new BadRequest("not a logger name: '" + name + "'");
    }
    ch.qos.logback.classic.LoggerContext context =
        (ch.qos.logback.classic.LoggerContext) LoggerFactory.getILoggerFactory();
    return context.getLogger(name.equalsIgnoreCase("root") ? org.slf4j.Logger.ROOT_LOGGER_NAME : name);
  }
}
