package dev.skein.metadata.image;

import dev.skein.proto.internal.v1.UserScramCredentialRecord;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The users' SCRAM-SHA-512 credentials, by user name: salt, iteration count, stored key and
 * server key (RFC 5802), never a password. Immutable. One mechanism only, so one credential per
 * user.
 */
public final class ScramCredentialsImage {

  public static final ScramCredentialsImage EMPTY = new ScramCredentialsImage(Map.of());

  private final Map<String, UserScramCredentialRecord> byName;

  public ScramCredentialsImage(Map<String, UserScramCredentialRecord> byName) {
    this.byName = Map.copyOf(byName);
  }

  public Optional<UserScramCredentialRecord> credential(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /** Every credential, sorted by user name. */
  public Map<String, UserScramCredentialRecord> sorted() {
    return new TreeMap<>(byName);
  }

  public Map<String, UserScramCredentialRecord> byName() {
    return byName;
  }

  public boolean isEmpty() {
    return byName.isEmpty();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ScramCredentialsImage other && byName.equals(other.byName);
  }

  @Override
  public int hashCode() {
    return byName.hashCode();
  }

  /** Names and iteration counts only: keys are not for logs. */
  @Override
  public String toString() {
    StringBuilder out = new StringBuilder("ScramCredentialsImage[");
    sorted().forEach((name, c) -> out.append(name).append('(').append(c.getIterations()).append(") "));
    return out.append(']').toString();
  }
}
