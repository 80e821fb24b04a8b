package dev.skein.metadata.controller;

import java.util.Optional;

/** What a topic name may be: what Kafka allows, so names carry over. */
public final class TopicNames {

  public static final int MAX_LENGTH = 249;

  private TopicNames() {}

  /** Why {@code name} is not a valid topic name, or empty if it is. */
  public static Optional<String> problemWith(String name) {
    if (name == null || name.isEmpty()) {
      return Optional.of("topic name is empty");
    }
    if (name.length() > MAX_LENGTH) {
      return Optional.of("topic name is " + name.length() + " characters long; the limit is " + MAX_LENGTH);
    }
    if (name.equals(".") || name.equals("..")) {
      return Optional.of("topic name cannot be '" + name + "'");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean legal = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '.' || c == '_' || c == '-';
      if (!legal) {
        return Optional.of("topic name '" + name + "' contains '" + c
            + "'; only ASCII letters, digits, '.', '_' and '-' are allowed");
      }
    }
    return Optional.empty();
  }
}
