package dev.skein.metadata.controller;

import dev.skein.proto.internal.v1.MetadataBatch;
import java.util.concurrent.CompletableFuture;

/** Where the controller writes metadata batches: the Raft log, or an in-memory log in tests. */
public interface BatchWriter {

  /**
   * Appends a batch and completes once it is committed and applied to the local image (so the
   * image the controller reads next includes it). Completes exceptionally if it could not be
   * committed; with a {@link LeadershipLostException} if that is because this member no longer
   * leads.
   */
  CompletableFuture<WriteResult> write(MetadataBatch batch);

  /**
   * @param index the log index the batch was committed at
   * @param rejection null if the batch was applied; otherwise why its preconditions failed
   */
  record WriteResult(long index, String rejection) {

    public static WriteResult applied(long index) {
      return new WriteResult(index, null);
    }

    public boolean isApplied() {
      return rejection == null;
    }
  }
}
