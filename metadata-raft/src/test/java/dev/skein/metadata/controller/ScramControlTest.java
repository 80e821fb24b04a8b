package dev.skein.metadata.controller;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.skein.metadata.image.ScramCredentialsImage;
import dev.skein.proto.internal.v1.AlterUserScramCredentialsRequest;
import dev.skein.proto.internal.v1.ControllerRequest;
import dev.skein.proto.internal.v1.ControllerResponse;
import dev.skein.proto.internal.v1.RemoveUserScramCredentialRecord;
import dev.skein.proto.internal.v1.ScramMechanism;
import dev.skein.proto.internal.v1.UserScramCredentialRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ScramControlTest {

  private final ControllerFixture fixture = new ControllerFixture();

  @AfterEach
  void close() {
    fixture.close();
  }

  static UserScramCredentialRecord.Builder credential(String name, int fill) {
    return UserScramCredentialRecord.newBuilder().setName(name)
        .setMechanism(ScramMechanism.SCRAM_MECHANISM_SCRAM_SHA_512)
        .setSalt(ByteString.copyFrom(new byte[] {(byte) fill, 2, 3})).setIterations(4096)
        .setStoredKey(ByteString.copyFrom(filled(64, fill))).setServerKey(ByteString.copyFrom(filled(64, fill + 1)));
  }

  private static byte[] filled(int size, int value) {
    byte[] bytes = new byte[size];
    java.util.Arrays.fill(bytes, (byte) value);
    return bytes;
  }

  private ControllerResponse alter(AlterUserScramCredentialsRequest.Builder request) {
    return fixture.send(ControllerRequest.newBuilder().setAlterUserScramCredentials(request).build());
  }

  private ControllerResponse upsert(UserScramCredentialRecord.Builder... credentials) {
    AlterUserScramCredentialsRequest.Builder request = AlterUserScramCredentialsRequest.newBuilder();
    for (UserScramCredentialRecord.Builder c : credentials) {
      request.addUpsertions(c);
    }
    return alter(request);
  }

  private ControllerResponse delete(String name) {
    return alter(AlterUserScramCredentialsRequest.newBuilder().addDeletions(
        RemoveUserScramCredentialRecord.newBuilder().setName(name)));
  }

  @Test
  void credentialsAreCreatedReplacedAndDeleted() {
    assertThat(upsert(credential("alice", 1), credential("bob", 5)).getErrorReason()).isEmpty();
    assertThat(fixture.image().scram().byName()).containsOnlyKeys("alice", "bob");
    assertThat(upsert(credential("alice", 9).setIterations(8192)).getErrorReason()).isEmpty();
    assertThat(fixture.image().scram().credential("alice").orElseThrow())
        .isEqualTo(credential("alice", 9).setIterations(8192).build());
    ControllerResponse deleted = delete("alice");
    assertThat(deleted.getErrorReason()).isEmpty();
    assertThat(deleted.getAppliedIndex()).isPositive();
    assertThat(fixture.image().scram().byName()).containsOnlyKeys("bob");
  }

  @Test
  void invalidRequestsAreRefusedAndWriteNothing() {
    assertRefused(upsert(credential("", 1)), "must not be empty");
    assertRefused(upsert(credential("al ice", 1)), "white space");
    assertRefused(upsert(credential("alice", 1).setIterations(4095)), "between 4096 and 16384");
    assertRefused(upsert(credential("alice", 1).setIterations(16385)), "between 4096 and 16384");
    assertRefused(upsert(credential("alice", 1).setMechanism(ScramMechanism.SCRAM_MECHANISM_UNSPECIFIED)),
        "SCRAM-SHA-512");
    assertRefused(upsert(credential("alice", 1).clearSalt()), "salt");
    assertRefused(upsert(credential("alice", 1).setStoredKey(ByteString.copyFrom(new byte[3]))), "64 bytes");
    assertRefused(upsert(credential("alice", 1), credential("alice", 2)), "more than once");
    assertRefused(delete("nobody"), "has no SCRAM-SHA-512 credential");
    assertRefused(alter(AlterUserScramCredentialsRequest.newBuilder()), "no SCRAM credentials");
    assertThat(fixture.image().scram()).isEqualTo(ScramCredentialsImage.EMPTY);
  }

  private static void assertRefused(ControllerResponse response, String message) {
    assertThat(response.getErrorReason()).isEqualTo(ControllerError.INVALID_REQUEST.name());
    assertThat(response.getErrorMessage()).contains(message);
    assertThat(response.getAppliedIndex()).isZero();
  }
}
