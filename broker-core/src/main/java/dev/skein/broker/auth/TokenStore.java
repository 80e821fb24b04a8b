package dev.skein.broker.auth;

import dev.skein.metadata.image.ClusterImage;
import dev.skein.rpc.Scram;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The bearer tokens this broker handed out after a successful SCRAM exchange: 128 random bits
 * each, kept in memory only (a restart forgets them, and another broker never knew them), valid
 * for a fixed lifetime and only while their user still has a credential, so deleting a user
 * locks it out at once.
 */
public final class TokenStore {

  /** Above this many tokens, expired ones are swept out on the next issue. */
  private static final int SWEEP_ABOVE = 1024;

  private record Token(String user, long expiresAtMillis) {}

  private final Map<String, Token> tokens = new ConcurrentHashMap<>();
  private final Duration lifetime;
  private final Supplier<ClusterImage> image;
  private final LongSupplier clock;

  public TokenStore(Duration lifetime, Supplier<ClusterImage> image, LongSupplier clock) {
    this.lifetime = lifetime;
    this.image = image;
    this.clock = clock;
  }

  public Duration lifetime() {
    return lifetime;
  }

  /** A new token for the user. */
  public String issue(String user) {
    long now = clock.getAsLong();
    if (tokens.size() > SWEEP_ABOVE) {
      tokens.values().removeIf(t -> t.expiresAtMillis() <= now);
    }
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(Scram.randomBytes(16));
    tokens.put(token, new Token(user, now + lifetime.toMillis()));
    return token;
  }

  /** The user a token stands for, if it is known, unexpired, and the user still has a credential. */
  public Optional<String> user(String token) {
    Token found = tokens.get(token);
    if (found == null) {
      return Optional.empty();
    }
    if (found.expiresAtMillis() <= clock.getAsLong() || image.get().scram().credential(found.user()).isEmpty()) {
      tokens.remove(token, found);
      return Optional.empty();
    }
    return Optional.of(found.user());
  }
}
