package dev.skein.client;

import dev.skein.proto.v1.DescribeClusterResponse;
import dev.skein.proto.v1.QuorumRole;
import java.util.List;

/**
 * The cluster's brokers and its metadata quorum: which broker leads the Raft group, the term,
 * the commit index, and how far each member has got.
 */
public record ClusterDescription(
    String clusterId, int controllerId, List<BrokerNode> brokers, Quorum quorum, int answeredBy, long metadataOffset) {

  /** The metadata quorum as seen from its leader. */
  public record Quorum(int leaderId, long term, long commitIndex, List<Member> members) {}

  /** One quorum member: role, commit index and ms since the leader last heard from it (-1 if unknown). */
  public record Member(int id, String address, QuorumRole role, long commitIndex, long lastContactMs) {}

  public static ClusterDescription from(DescribeClusterResponse r) {
    var q = r.getQuorum();
    Quorum quorum = new Quorum(q.getLeaderId(), q.getTerm(), q.getCommitIndex(),
        q.getMembersList().stream()
            .map(m -> new Member(m.getId(), m.getAddress(), m.getRole(), m.getCommitIndex(), m.getLastContactMs()))
            .toList());
    return new ClusterDescription(r.getClusterId(), r.getControllerId(),
        r.getBrokersList().stream().map(BrokerNode::from).toList(), quorum, r.getAnsweredBy(), r.getMetadataOffset());
  }
}
