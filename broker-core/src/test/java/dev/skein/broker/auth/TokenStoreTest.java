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

  @Test
  void aTokenNamesItsUserUntilItExpiresOrTheUserIsDeleted() {
    UserScramCredentialRecord alice = UserScramCredentialRecord.newBuilder().setName("alice")
        .setSalt(ByteString.copyFromUtf8("s")).build();
    ClusterImage withAlice = new ClusterImage(1, "c", ClusterImage.EMPTY.brokers(), ClusterImage.EMPTY.topics(),
        ClusterImage.EMPTY.configs(), ClusterImage.EMPTY.producerIds(), ClusterImage.EMPTY.mirrors(),
        ClusterImage.EMPTY.acls(), new ScramCredentialsImage(Map.of("alice", alice)));
    AtomicReference<ClusterImage> image = new AtomicReference<>(withAlice);
    AtomicLong now = new AtomicLong(1_000);
    TokenStore tokens = new TokenStore(Duration.ofSeconds(60), image::get, now::get);

    String token = tokens.issue("alice");
    assertThat(token).hasSizeGreaterThanOrEqualTo(22);
    assertThat(tokens.issue("alice")).isNotEqualTo(token);
    assertThat(tokens.user(token)).contains("alice");
    assertThat(tokens.user("forged")).isEmpty();
    now.addAndGet(59_999);
    assertThat(tokens.user(token)).contains("alice");
    now.addAndGet(1);
    assertThat(tokens.user(token)).as("expired").isEmpty();

    String other = tokens.issue("alice");
    image.set(ClusterImage.EMPTY);
    assertThat(tokens.user(other)).as("user deleted").isEmpty();
  }
}
