package dev.skein.metadata.controller;

import dev.skein.metadata.image.ClusterImage;
import dev.skein.proto.internal.v1.AlterUserScramCredentialsRequest;
import dev.skein.proto.internal.v1.ControllerResponse;
import dev.skein.proto.internal.v1.MetadataRecord;
import dev.skein.proto.internal.v1.RemoveUserScramCredentialRecord;
import dev.skein.proto.internal.v1.ScramMechanism;
import dev.skein.proto.internal.v1.UserScramCredentialRecord;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The controller's decisions about users' SCRAM credentials: validation, and the records that store or remove them. */
final class ScramControl {

  private static final Logger LOG = LoggerFactory.getLogger(ScramControl.class);

  /** Kafka's bounds for SCRAM iterations. */
  static final int MIN_ITERATIONS = dev.skein.rpc.Scram.MIN_ITERATIONS;
  static final int MAX_ITERATIONS = dev.skein.rpc.Scram.MAX_ITERATIONS;
  /** SHA-512 output: the size of the stored key and the server key. */
  static final int KEY_BYTES = 64;

  private ScramControl() {}

  static Optional<String> problemWithName(String name) {
    if (name.isEmpty()) {
      return Optional.of("a user name must not be empty");
    }
    if (name.codePoints().anyMatch(c -> Character.isISOControl(c) || Character.isWhitespace(c))) {
      return Optional.of("user name '" + name + "' must not contain white space or control characters");
    }
    return Optional.empty();
  }

  static Optional<String> problemWith(UserScramCredentialRecord credential) {
    Optional<String> name = problemWithName(credential.getName());
    if (name.isPresent()) {
      return name;
    }
    if (credential.getMechanism() != ScramMechanism.SCRAM_MECHANISM_SCRAM_SHA_512) {
      return Optional.of("the only SCRAM mechanism is SCRAM-SHA-512");
    }
    if (credential.getIterations() < MIN_ITERATIONS || credential.getIterations() > MAX_ITERATIONS) {
      return Optional.of("SCRAM iterations must be between " + MIN_ITERATIONS + " and " + MAX_ITERATIONS + ", got "
          + credential.getIterations());
    }
    if (credential.getSalt().isEmpty()) {
      return Optional.of("a SCRAM credential needs a salt");
    }
    if (credential.getStoredKey().size() != KEY_BYTES || credential.getServerKey().size() != KEY_BYTES) {
      return Optional.of("SCRAM-SHA-512 stored and server keys are " + KEY_BYTES + " bytes each");
    }
    return Optional.empty();
  }

  static ControllerDecision alter(AlterUserScramCredentialsRequest request, ClusterImage image) {
    if (request.getUpsertionsCount() == 0 && request.getDeletionsCount() == 0) {
      return ControllerDecision.answer(ControllerError.INVALID_REQUEST.response("no SCRAM credentials to alter"));
    }
    List<MetadataRecord> records = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (UserScramCredentialRecord credential : request.getUpsertionsList()) {
      Optional<String> problem = problemWith(credential);
      if (problem.isPresent()) {
        return ControllerDecision.answer(ControllerError.INVALID_REQUEST.response(problem.get()));
      }
      if (!seen.add(credential.getName())) {
        return ControllerDecision.answer(ControllerError.INVALID_REQUEST.response(
            "user '" + credential.getName() + "' appears more than once"));
      }
      records.add(MetadataRecord.newBuilder().setUserScramCredential(credential).build());
    }
    for (RemoveUserScramCredentialRecord deletion : request.getDeletionsList()) {
      if (!seen.add(deletion.getName())) {
        return ControllerDecision.answer(ControllerError.INVALID_REQUEST.response(
            "user '" + deletion.getName() + "' appears more than once"));
      }
      if (image.scram().credential(deletion.getName()).isEmpty()) {
        return ControllerDecision.answer(ControllerError.INVALID_REQUEST.response(
            "user '" + deletion.getName() + "' has no SCRAM-SHA-512 credential"));
      }
      records.add(MetadataRecord.newBuilder().setRemoveUserScramCredential(deletion.toBuilder()
          .setMechanism(ScramMechanism.SCRAM_MECHANISM_SCRAM_SHA_512)).build());
    }
    // Names only: the keys are not for logs.
    LOG.info("Storing SCRAM credentials of {} and removing those of {}",
        request.getUpsertionsList().stream().map(UserScramCredentialRecord::getName).toList(),
        request.getDeletionsList().stream().map(RemoveUserScramCredentialRecord::getName).toList());
    return new ControllerDecision(records, (index, after) -> ControllerResponse.getDefaultInstance());
  }
}
