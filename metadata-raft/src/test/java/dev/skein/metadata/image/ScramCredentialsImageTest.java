package dev.skein.metadata.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.skein.proto.internal.v1.MetadataRecord;
import dev.skein.proto.internal.v1.RemoveUserScramCredentialRecord;
import dev.skein.proto.internal.v1.ScramMechanism;
import dev.skein.proto.internal.v1.UserScramCredentialRecord;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScramCredentialsImageTest {

  static UserScramCredentialRecord credential(String name, int fill) {
    return UserScramCredentialRecord.newBuilder().setName(name)
        .setMechanism(ScramMechanism.SCRAM_MECHANISM_SCRAM_SHA_512)
        .setSalt(ByteString.copyFrom(new byte[] {(byte) fill})).setIterations(4096)
        .setStoredKey(ByteString.copyFrom(new byte[] {(byte) fill, 1}))
        .setServerKey(ByteString.copyFrom(new byte[] {(byte) fill, 2})).build();
  }

  private static MetadataRecord put(UserScramCredentialRecord credential) {
    return MetadataRecord.newBuilder().setUserScramCredential(credential).build();
  }

  private static MetadataRecord remove(String name) {
    return MetadataRecord.newBuilder().setRemoveUserScramCredential(RemoveUserScramCredentialRecord.newBuilder()
        .setName(name).setMechanism(ScramMechanism.SCRAM_MECHANISM_SCRAM_SHA_512)).build();
  }

  @Test
  void recordsCreateReplaceAndRemoveCredentialsAndSnapshotsEqualReplay() throws Exception {
    ClusterImage image = BatchApplier.apply(ClusterImage.EMPTY,
        List.of(put(credential("alice", 1)), put(credential("bob", 2)), put(credential("alice", 3))), 5).image();
    assertThat(image.scram().byName()).containsOnlyKeys("alice", "bob");
    assertThat(image.scram().credential("alice")).contains(credential("alice", 3));
    ClusterImage next = BatchApplier.apply(image, List.of(remove("bob"), remove("nobody"),
        put(credential("carol", 4))), 6).image();
    assertThat(next.scram().byName()).containsOnlyKeys("alice", "carol");
    assertThat(next.scram().toString()).doesNotContain("storedKey", "stored_key").contains("alice");

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageSnapshot.write(next, out);
    assertThat(ImageSnapshot.read(new ByteArrayInputStream(out.toByteArray()), 6)).isEqualTo(next);
  }

  @Test
  void aCredentialWithoutKeysRejectsItsBatch() {
    UserScramCredentialRecord partial = credential("alice", 1).toBuilder().clearStoredKey().build();
    ApplyOutcome outcome = BatchApplier.apply(ClusterImage.EMPTY, List.of(put(credential("bob", 1)), put(partial)), 3);
    assertThat(outcome).isInstanceOf(ApplyOutcome.Rejected.class);
    assertThat(outcome.image().scram()).isEqualTo(ScramCredentialsImage.EMPTY);
  }
}
