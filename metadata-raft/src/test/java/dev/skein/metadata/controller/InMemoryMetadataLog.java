package dev.skein.metadata.controller;

import dev.skein.metadata.image.ApplyOutcome;
import dev.skein.metadata.image.BatchApplier;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.proto.internal.v1.MetadataBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * The metadata log without Raft: batches are committed at once, at indexes with gaps (as Raft's
 * own entries leave), and applied with the same {@link BatchApplier} as the real state machine.
 */
final class InMemoryMetadataLog implements BatchWriter {

  /** One committed batch. */
  record Entry(long index, MetadataBatch batch) {}

  private final Random gaps;
  private final List<Entry> entries = new ArrayList<>();
  private volatile ClusterImage image = ClusterImage.EMPTY;
  private long nextIndex = 1;

  InMemoryMetadataLog(long seed) {
    this.gaps = new Random(seed);
  }

  @Override
  public synchronized CompletableFuture<WriteResult> write(MetadataBatch batch) {
    long index = nextIndex;
    nextIndex += 1 + gaps.nextInt(3);
    entries.add(new Entry(index, batch));
    ApplyOutcome outcome = BatchApplier.apply(image, batch.getRecordsList(), index);
    image = outcome.image();
    String rejection = outcome instanceof ApplyOutcome.Rejected rejected ? rejected.reason() : null;
    return CompletableFuture.completedFuture(new WriteResult(index, rejection));
  }

  ClusterImage image() {
    return image;
  }

  synchronized List<Entry> entries() {
    return List.copyOf(entries);
  }
}
