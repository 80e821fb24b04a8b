package dev.skein.metadata.controller;

import dev.skein.metadata.image.ClusterImage;
import dev.skein.proto.internal.v1.ControllerResponse;
import dev.skein.proto.internal.v1.MetadataRecord;
import java.util.List;

/**
 * What the controller decided about one request: the records to write (none if the request is
 * refused or changes nothing), and how to answer once they are applied.
 */
record ControllerDecision(List<MetadataRecord> records, Responder responder) {

  ControllerDecision {
    records = List.copyOf(records);
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
