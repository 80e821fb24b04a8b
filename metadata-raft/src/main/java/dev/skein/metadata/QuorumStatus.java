package dev.skein.metadata;

import java.util.List;

/**
 * The metadata quorum as its leader sees it.
 *
 * @param leaderId the leader's node id, or -1 if there is no leader right now (then the other
 *     fields are this member's own view, and per-member figures are unknown)
 * @param commitIndex the highest Raft index known to be committed
 */
public record QuorumStatus(int leaderId, long term, long commitIndex, List<Member> members) {

  public enum Role { LEADER, FOLLOWER, LISTENER }

  /**
   * @param commitIndex the highest index this member is known to have committed, -1 if unknown
   * @param lastContactMs milliseconds since the leader last heard from it, -1 if unknown
   */
  public record Member(int id, String raftAddress, Role role, long commitIndex, long lastContactMs) {}

  public QuorumStatus {
    members = List.copyOf(members);
  }

  public boolean hasLeader() {
    return leaderId >= 0;
  }
}
