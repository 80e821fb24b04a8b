package dev.skein.broker.mirror;

/**
 * A switch for tests and failure drills: cuts this broker's connections to every mirror
 * source, as a network partition between the clusters would. New calls fail at once with
 * UNAVAILABLE and answers of calls already on the wire are dropped.
 */
public final class MirrorFaults {

  private volatile boolean cut;

  public void cutSourceNetwork(boolean cut) {
    this.cut = cut;
  }

  public boolean isCut() {
    return cut;
  }
}
