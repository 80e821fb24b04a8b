package dev.skein.metadata;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gets a non-voting broker into the quorum's configuration as a Raft listener, so that the
 * leader sends it every committed entry.
 *
 * <p>It asks the leader to ADD it as a listener until that succeeds (there may be no leader
 * yet, or another reconfiguration in progress). ADD of a member already in the configuration
 * changes nothing, so a restarted listener asks again harmlessly.
 */
final class ListenerMembership implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ListenerMembership.class);
  private static final long RETRY_MS = 250;

  private final RaftClient admin;
  private final RaftPeer self;
  private final CompletableFuture<Void> joined = new CompletableFuture<>();
  private final Thread thread;
  private volatile boolean closed;

  ListenerMembership(RaftClient admin, RaftPeer self) {
    this.admin = admin;
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
    SetConfigurationRequest.Arguments addSelf = SetConfigurationRequest.Arguments.newBuilder()
        .setServersInNewConf(List.of())
        .setListenersInNewConf(List.of(self))
        .setMode(SetConfigurationRequest.Mode.ADD)
        .build();
    try {
      for (int attempt = 1; !closed; attempt++) {
        try {
          RaftClientReply reply = admin.admin().setConfiguration(addSelf);
          if (reply.isSuccess()) {
            LOG.info("Node {} is a listener of the metadata quorum", self.getId());
            joined.complete(null);
            return;
          }
          LOG.info("Node {} could not join the metadata quorum yet: {}", self.getId(), reply.getException());
        } catch (Exception e) {
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

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
  }
}
