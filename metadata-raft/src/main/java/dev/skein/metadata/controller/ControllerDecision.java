package dev.skein.metadata.controller;

import dev.skein.metadata.image.ClusterImage;
import dev.skein.proto.internal.v1.ControllerResponse;
import dev.skein.proto.internal.v1.MetadataRecord;
import java.util.List;

/**
 * What the controller decided about one request: the records to write (none if the request is
 * refused or changes nothing), and how to answer once they are applied.
 *
 * @param balanceLeadersAfter once the records are applied, look for partitions that can move
 *     back to their preferred leaders (the records may have made one usable or put it in an ISR)
 */
record ControllerDecision(List<MetadataRecord> records, Responder responder, boolean balanceLeadersAfter) {

  ControllerDecision {
    records = List.copyOf(records);
  }

  ControllerDecision(List<MetadataRecord> records, Responder responder) {
    this(records, responder, false);
  }

  /** The same decision, followed by a leader balance check once its records are applied. */
  ControllerDecision thenBalanceLeaders() {
    return new ControllerDecision(records, responder, true);
  }

  /** Writes nothing and answers at once. */
  static ControllerDecision answer(ControllerResponse response) {
    return new ControllerDecision(List.of(), (index, image) -> response);
  }

  /** Builds the answer from where the records were applied and the image after them. */
  @FunctionalInterface
  interface Responder {
    /**
     * @param appliedIndex where the records were applied, 0 if there were none
     * @param image the image after them
     */
    ControllerResponse respond(long appliedIndex, ClusterImage image);
  }
}
