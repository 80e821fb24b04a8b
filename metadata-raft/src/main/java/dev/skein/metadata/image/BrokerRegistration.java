package dev.skein.metadata.image;

import java.util.Objects;

/**
 * A broker as the metadata log knows it: where it serves, where its Raft endpoint is, and
 * whether it may lead partitions right now.
 *
 * @param id the broker's node id
 * @param epoch the Raft index of the record that registered this incarnation; a broker that
 *     registers again gets a new, larger epoch, which tells its requests from a stale process's
 * @param incarnationId random per process start
 * @param rack empty when the broker has no rack
 * @param raftAddress host:port of its metadata quorum endpoint
 * @param voter whether it votes in the metadata quorum (otherwise it is a Raft listener)
 * @param fenced a fenced broker leads nothing and gets no new replicas: it has not caught up
 *     yet, or it missed its heartbeats
 * @param inControlledShutdown the broker asked to stop; its leaderships have been moved away
 */
public record BrokerRegistration(
    int id,
    long epoch,
    String incarnationId,
    String host,
    int port,
    String rack,
    String raftAddress,
    boolean voter,
    boolean fenced,
    boolean inControlledShutdown) {

  public BrokerRegistration {
    Objects.requireNonNull(incarnationId, "incarnationId");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(rack, "rack");
    Objects.requireNonNull(raftAddress, "raftAddress");
  }

  /** Whether the broker may lead partitions and take new replicas. */
  public boolean isUsable() {
    return !fenced && !inControlledShutdown;
  }

  public BrokerRegistration withFenced(boolean newFenced) {
    return new BrokerRegistration(id, epoch, incarnationId, host, port, rack, raftAddress, voter,
        newFenced, inControlledShutdown);
  }

  public BrokerRegistration withInControlledShutdown(boolean newInControlledShutdown) {
    return new BrokerRegistration(id, epoch, incarnationId, host, port, rack, raftAddress, voter,
        fenced, newInControlledShutdown);
  }
}
