package dev.skein.metadata.image;

/** The producer id the next allocated block starts at; blocks are never handed out twice. */
public record ProducerIdsImage(long nextProducerId) {

  public static final ProducerIdsImage EMPTY = new ProducerIdsImage(0);
}
