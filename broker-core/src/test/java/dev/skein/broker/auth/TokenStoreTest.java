package dev.skein.broker.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.ScramCredentialsImage;
import dev.skein.proto.internal.v1.UserScramCredentialRecord;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class TokenStoreTest {

  private static UserScramCredentialRecord credential(String user, String storedKey) {
    return UserScramCredentialRecord.newBuilder().setName(user).setSalt(ByteString.copyFromUtf8("s"))
        .setStoredKey(ByteString.copyFromUtf8(storedKey)).build();
  }

  private static ClusterImage imageWith(UserScramCredentialRecord... credentials) {
    Map<String, UserScramCredentialRecord> byName = new java.util.HashMap<>();
    for (UserScramCredentialRecord c : credentials) {
      byName.put(c.getName(), c);
    }
    return new ClusterImage(1, "c", ClusterImage.EMPTY.brokers(), ClusterImage.EMPTY.topics(),
        ClusterImage.EMPTY.configs(), ClusterImage.EMPTY.producerIds(), ClusterImage.EMPTY.mirrors(),
        ClusterImage.EMPTY.acls(), new ScramCredentialsImage(byName));
  }

  @Test
  void aTokenNamesItsUserUntilItExpiresOrTheUserIsDeleted() {
    UserScramCredentialRecord alice = credential("alice", "key-1");
    AtomicReference<ClusterImage> image = new AtomicReference<>(imageWith(alice));
    AtomicLong now = new AtomicLong(1_000);
    TokenStore tokens = new TokenStore(Duration.ofSeconds(60), image::get, now::get);
    byte[] key = alice.getStoredKey().toByteArray();

    String token = tokens.issue("alice", key);
    assertThat(token).hasSizeGreaterThanOrEqualTo(22);
    assertThat(tokens.issue("alice", key)).isNotEqualTo(token);
    assertThat(tokens.user(token)).contains("alice");
    assertThat(tokens.user("forged")).isEmpty();
    now.addAndGet(59_999);
    assertThat(tokens.user(token)).contains("alice");
    now.addAndGet(1);
    assertThat(tokens.user(token)).as("expired").isEmpty();

    String other = tokens.issue("alice", key);
    image.set(ClusterImage.EMPTY);
    assertThat(tokens.user(other)).as("user deleted").isEmpty();
  }

  @Test
  void aTokenEndsWithItsCredentialEvenIfTheUserComesBackOrChangesPassword() {
    UserScramCredentialRecord first = credential("alice", "key-1");
    AtomicReference<ClusterImage> image = new AtomicReference<>(imageWith(first));
    TokenStore tokens = new TokenStore(Duration.ofHours(1), image::get, () -> 1_000);
    String leaked = tokens.issue("alice", first.getStoredKey().toByteArray());
    String kept = tokens.issue("alice", first.getStoredKey().toByteArray());

    image.set(imageWith(credential("alice", "key-2")));   // deleted and created again, or a new password
    assertThat(tokens.user(leaked)).as("old credential's token").isEmpty();
    image.set(imageWith(first));
    assertThat(tokens.user(kept)).as("a token is dropped once it was seen invalid, not brought back").contains("alice");
    assertThat(tokens.user(leaked)).as("a token seen invalid stays gone").isEmpty();
  }

  @Test
  void oneUserHoldsABoundedNumberOfTokensTheOldestGoingFirst() {
    UserScramCredentialRecord alice = credential("alice", "key-1");
    AtomicLong now = new AtomicLong(1_000);
    TokenStore tokens = new TokenStore(Duration.ofHours(1), () -> imageWith(alice), now::get);
    byte[] key = alice.getStoredKey().toByteArray();
    String oldest = tokens.issue("alice", key);
    for (int i = 1; i < TokenStore.MAX_TOKENS_PER_USER; i++) {
      now.incrementAndGet();
      tokens.issue("alice", key);
    }
    assertThat(tokens.user(oldest)).contains("alice");
    now.incrementAndGet();
    String newest = tokens.issue("alice", key);
    assertThat(tokens.user(oldest)).isEmpty();
    assertThat(tokens.user(newest)).contains("alice");
  }
}
