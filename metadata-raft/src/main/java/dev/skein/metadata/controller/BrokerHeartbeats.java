package dev.skein.metadata.controller;

import java.util.HashMap;
import java.util.Map;

/**
 * When the controller last heard from each broker. Kept in memory only, on the controller's
 * event thread: a new controller starts by treating every broker as heard from at that moment
 * (Kafka's grace period), so a failover never fences brokers that were heartbeating to the old
 * controller.
 */
final class BrokerHeartbeats {

  private record Heard(long brokerEpoch, long nanos) {}

  private final Map<Integer, Heard> lastHeard = new HashMap<>();
  /** Brokers another broker reported unreachable, and when. */
  private final Map<Integer, Long> suspectedAt = new HashMap<>();
  private final long graceStartNanos;

  BrokerHeartbeats(long graceStartNanos) {
    this.graceStartNanos = graceStartNanos;
  }

  void touch(int brokerId, long brokerEpoch, long nowNanos) {
    lastHeard.put(brokerId, new Heard(brokerEpoch, nowNanos));
  }

  /** Nanoseconds since the controller heard from this broker epoch (since the grace start if never). */
  long silenceNanos(int brokerId, long brokerEpoch, long nowNanos) {
    Heard heard = lastHeard.get(brokerId);
    long since = heard != null && heard.brokerEpoch() == brokerEpoch ? heard.nanos() : graceStartNanos;
    return nowNanos - since;
  }

  boolean isExpired(int brokerId, long brokerEpoch, long nowNanos, long timeoutNanos) {
    return silenceNanos(brokerId, brokerEpoch, nowNanos) > timeoutNanos;
  }

  /** Notes that another broker could not reach this one. */
  void suspect(int brokerId, long nowNanos) {
    suspectedAt.put(brokerId, nowNanos);
  }

  /**
   * Whether the broker was reported unreachable within the last session and has also been
   * silent longer than {@code suspectedSilenceNanos}: both together mean it is gone.
   */
  boolean isSuspectAndSilent(int brokerId, long brokerEpoch, long nowNanos, long suspectedSilenceNanos,
      long sessionNanos) {
    Long reported = suspectedAt.get(brokerId);
    if (reported == null || nowNanos - reported > sessionNanos) {
      suspectedAt.remove(brokerId);
      return false;
    }
    return silenceNanos(brokerId, brokerEpoch, nowNanos) > suspectedSilenceNanos;
  }
}
