package dev.skein.metadata.image;

/** The producer id the next allocated block starts at; blocks are never handed out twice. */
public record ProducerIdsImage(long nextProducerId) {

  /** Ids start at 1: on the wire a producer id of 0 (or -1) means "not idempotent". */
  public static final ProducerIdsImage EMPTY = new ProducerIdsImage(1);
}
