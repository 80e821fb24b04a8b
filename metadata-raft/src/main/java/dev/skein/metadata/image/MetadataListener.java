package dev.skein.metadata.image;

/**
 * Receives the metadata image as it changes.
 *
 * <p>Calls come from one thread, in log order, and never skip a change: the first call carries
 * the whole image at the time of registration (as a delta from the empty image), each later
 * call the changes of one or more committed entries. Entries that change nothing (Raft's own
 * entries, batches whose preconditions failed) are not delivered, so the image passed may have
 * an older offset than {@code MetadataQuorum.image()}.
 *
 * <p>A slow listener delays the listeners after it, not the quorum. Exceptions are logged and
 * otherwise ignored.
 */
@FunctionalInterface
public interface MetadataListener {

  void onMetadataUpdate(MetadataDelta delta, ClusterImage image);
}
