package dev.skein.broker.auth;

import dev.skein.metadata.image.ClusterImage;
import dev.skein.rpc.Scram;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The bearer tokens this broker handed out after a successful SCRAM exchange: 128 random bits
 * each, kept in memory only (a restart forgets them, and another broker never knew them), valid
 * for a fixed lifetime and only while their user still has the very credential it authenticated
 * with: deleting a user, or giving it a new password, ends its tokens at once (a user deleted and
 * created again does not get its old tokens back).
 */
public final class TokenStore {

  /** Above this many tokens, expired ones are swept out on the next issue. */
  private static final int SWEEP_ABOVE = 1024;
  /** Live tokens one user may hold on this broker; the oldest goes when a new one is issued past it. */
  static final int MAX_TOKENS_PER_USER = 64;

  /** {@code storedKey} is the credential's, so a token outlives neither a deletion nor a new password. */
  private record Token(String user, byte[] storedKey, long issuedAtMillis, long expiresAtMillis) {}

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

  /** A new token for the user, bound to the credential ({@code storedKey}) it authenticated with. */
  public synchronized String issue(String user, byte[] storedKey) {
    long now = clock.getAsLong();
    if (tokens.size() > SWEEP_ABOVE) {
      tokens.values().removeIf(t -> t.expiresAtMillis() <= now);
    }
    List<Map.Entry<String, Token>> ofUser = tokens.entrySet().stream().filter(e -> e.getValue().user().equals(user))
        .sorted(Comparator.comparingLong(e -> e.getValue().issuedAtMillis())).toList();
    for (int i = 0; i <= ofUser.size() - MAX_TOKENS_PER_USER; i++) {
      tokens.remove(ofUser.get(i).getKey());
    }
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(Scram.randomBytes(16));
    tokens.put(token, new Token(user, storedKey.clone(), now, now + lifetime.toMillis()));
    return token;
  }

  /** The user a token stands for, if it is known, unexpired, and the user still has a credential. */
  public Optional<String> user(String token) {
    Token found = tokens.get(token);
    if (found == null) {
      return Optional.empty();
    }
    boolean sameCredential = image.get().scram().credential(found.user())
        .map(c -> MessageDigest.isEqual(c.getStoredKey().toByteArray(), found.storedKey())).orElse(false);
    if (found.expiresAtMillis() <= clock.getAsLong() || !sameCredential) {
      tokens.remove(token, found);
      return Optional.empty();
    }
    return Optional.of(found.user());
  }
}
