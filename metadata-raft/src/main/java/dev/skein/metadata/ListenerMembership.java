package dev.skein.metadata;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.proto.RaftProtos.RaftConfigurationProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.util.ProtoUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets a non-voting broker into the quorum's configuration as a Raft listener, so that the
 * leader sends it every committed entry.
 *
 * <p>It reads the current configuration from the Raft leader and asks it to change exactly that
 * configuration into the same one plus this listener (Ratis' COMPARE_AND_SET), until that
 * succeeds: there may be no leader yet, another member may be joining at the same moment, or a
 * reconfiguration may be in progress. Ratis' ADD mode is not used: it keeps only the listeners
 * named in the request, so a second listener joining that way dropped the first one from the
 * configuration and the leader stopped sending it anything. A restarted listener that is
 * already in the configuration changes nothing.
 */
final class ListenerMembership implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ListenerMembership.class);
  private static final long RETRY_MS = 250;

  private final RaftClient admin;
  private final RaftGroup voters;
  private final RaftPeer self;
  private final CompletableFuture<Void> joined = new CompletableFuture<>();
  private final Thread thread;
  private volatile boolean closed;

  ListenerMembership(RaftClient admin, RaftGroup voters, RaftPeer self) {
    this.admin = admin;
    this.voters = voters;
    this.self = self;
    this.thread = new Thread(this::join, "skein-metadata-join-" + self.getId());
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Completes once this member is in the configuration as a listener. */
  CompletableFuture<Void> joined() {
    return joined;
  }

  private void join() {
    try {
      for (int attempt = 1; !closed; attempt++) {
        try {
          if (tryJoin()) {
            LOG.info("Node {} is a listener of the metadata quorum", self.getId());
            joined.complete(null);
            return;
          }
        } catch (IOException | RuntimeException e) {
          if (closed) {
            return;
          }
          LOG.info("Node {} could not join the metadata quorum yet (attempt {}): {}", self.getId(), attempt,
              e.toString());
        }
        TimeUnit.MILLISECONDS.sleep(RETRY_MS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      joined.cancel(false);
    }
  }

  /** One attempt: true once this member is a listener in the leader's stable configuration. */
  private boolean tryJoin() throws IOException {
    Optional<RaftConfigurationProto> found = leaderConfiguration();
    if (found.isEmpty()) {
      LOG.info("Node {} could not join the metadata quorum yet: no leader answered", self.getId());
      return false;
    }
    RaftConfigurationProto conf = found.get();
    if (conf.getOldPeersCount() > 0 || conf.getOldListenersCount() > 0) {
      LOG.info("Node {} waits for a reconfiguration of the metadata quorum to finish", self.getId());
      return false;
    }
    List<RaftPeer> servers = ProtoUtils.toRaftPeers(conf.getPeersList());
    List<RaftPeer> listeners = ProtoUtils.toRaftPeers(conf.getListenersList());
    if (listeners.stream().anyMatch(this::isSelf)) {
      return true;
    }
    List<RaftPeer> newListeners = new ArrayList<>();
    listeners.stream().filter(p -> !p.getId().equals(self.getId())).forEach(newListeners::add);
    newListeners.add(self);
    SetConfigurationRequest.Arguments change = SetConfigurationRequest.Arguments.newBuilder()
        .setServersInCurrentConf(servers)
        .setListenersInCurrentConf(listeners)
        .setServersInNewConf(servers)
        .setListenersInNewConf(newListeners)
        .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET)
        .build();
    RaftClientReply reply = admin.admin().setConfiguration(change);
    if (!reply.isSuccess()) {
      LOG.info("Node {} could not join the metadata quorum yet: {}", self.getId(), reply.getException());
      return false;
    }
    return true;
  }

  /** The configuration as the current Raft leader has it, if a leader answers. */
  private Optional<RaftConfigurationProto> leaderConfiguration() {
    for (RaftPeer voter : voters.getPeers()) {
      try {
        GroupInfoReply info = admin.getGroupManagementApi(voter.getId()).info(voters.getGroupId());
        if (info.isSuccess() && info.getRoleInfoProto().getRole() == RaftPeerRole.LEADER) {
          return info.getConf();
        }
      } catch (IOException e) {
        LOG.debug("Voter {} did not answer for the quorum configuration: {}", voter.getId(), e.toString());
      }
    }
    return Optional.empty();
  }

  private boolean isSelf(RaftPeer peer) {
    return peer.getId().equals(self.getId()) && peer.getAddress().equals(self.getAddress());
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
  }
}
