package dev.skein.metadata;

import dev.skein.metadata.controller.ControllerSettings;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.MetadataListener;
import dev.skein.metadata.quorum.MetadataPublisher;
import dev.skein.metadata.quorum.MetadataStateMachine;
import dev.skein.metadata.quorum.OffsetWaiters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.proto.RaftProtos.ServerRpcProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.ExitUtils;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This broker's member of the metadata quorum: what the broker uses to read cluster metadata,
 * to be told when it changes, and to reach the controller.
 *
 * <p>Each broker runs one Ratis server. The brokers named in the voters list vote; any other
 * broker joins as a non-voting listener, which receives every committed entry too, so every
 * broker holds the whole image. Whichever voter leads runs the controller.
 */
public final class MetadataQuorum implements AutoCloseable {

  /** The one Raft group every broker joins; clusters are told apart by their voters. */
  private static final RaftGroupId GROUP_ID =
      RaftGroupId.valueOf(UUID.nameUUIDFromBytes("skein-metadata".getBytes(StandardCharsets.UTF_8)));

  private static final Logger LOG = LoggerFactory.getLogger(MetadataQuorum.class);

  static {
    // Ratis ends the whole process (System.exit(1)) when its gRPC server cannot start, e.g. on a
    // Raft port in use. Embedded in a broker, that must be an error of this quorum's start,
    // which the broker reports; with this, Ratis throws instead and start() closes what it made.
    ExitUtils.disableSystemExit();
  }

  private final QuorumConfig config;
  private final RaftServer server;
  private final MetadataStateMachine stateMachine;
  private final MetadataPublisher publisher;
  private final OffsetWaiters waiters;
  private final RaftClient client;
  private final ControllerChannel controller;
  private final RaftClient adminClient;
  private final ListenerMembership membership;
  private final ScheduledExecutorService scheduler;
  private final ExecutorService statusExecutor;

  private MetadataQuorum(QuorumConfig config, RaftServer server, MetadataStateMachine stateMachine,
      MetadataPublisher publisher, OffsetWaiters waiters, RaftClient client, ControllerChannel controller,
      RaftClient adminClient, ListenerMembership membership, ScheduledExecutorService scheduler) {
    this.config = config;
    this.server = server;
    this.stateMachine = stateMachine;
    this.publisher = publisher;
    this.waiters = waiters;
    this.client = client;
    this.controller = controller;
    this.adminClient = adminClient;
    this.membership = membership;
    this.scheduler = scheduler;
    // Status requests block on an RPC to the leader; they get a thread of their own.
    this.statusExecutor = Executors.newSingleThreadExecutor(runnable -> {
      Thread thread = new Thread(runnable, "skein-metadata-status-" + config.nodeId());
      thread.setDaemon(true);
      return thread;
    });
  }

  /**
   * Starts this broker's quorum member: recovers its log and latest snapshot from
   * {@code <dataDir>/metadata} (formatting an empty directory), starts the Raft server, and, on
   * a non-voter, asks the leader to add it as a listener (in the background; see {@link #joined()}).
   */
  public static MetadataQuorum start(QuorumConfig config) throws IOException {
    String node = String.valueOf(config.nodeId());
    MetadataPublisher publisher = new MetadataPublisher("skein-metadata-publisher-" + node);
    OffsetWaiters waiters = new OffsetWaiters("skein-metadata-waiters-" + node);
    MetadataStateMachine stateMachine = new MetadataStateMachine(config.nodeId(),
        ControllerSettings.withSessionTimeout(config.sessionTimeout())
            .withLeaderRebalance(config.autoLeaderRebalance(), config.leaderImbalanceCheckInterval()),
        publisher, waiters);
    List<RaftPeer> voters = config.voters().stream()
        .map(voter -> RaftPeer.newBuilder().setId(String.valueOf(voter.id())).setAddress(voter.address()).build())
        .toList();
    RaftPeer self = RaftPeer.newBuilder()
        .setId(node)
        .setAddress(config.raftAddress())
        .setStartupRole(config.isVoter() ? RaftPeerRole.FOLLOWER : RaftPeerRole.LISTENER)
        .build();
    // A non-voter names itself as a listener in its own startup group. Ratis 3.3 refuses to
    // build a server whose group lacks it ("RaftPeerId 4 is not in RaftGroup"), and a member
    // running as a follower outside the configuration would, on losing the leader, run for
    // election, find itself not in the configuration and shut down. As a LISTENER it never
    // runs for election. The leader's configuration gets it through ADD (ListenerMembership).
    List<RaftPeer> startupPeers = new ArrayList<>(voters);
    if (!config.isVoter()) {
      startupPeers.add(self);
    }
    RaftServer server = RaftServer.newBuilder()
        .setServerId(RaftPeerId.valueOf(node))
        .setGroup(RaftGroup.valueOf(GROUP_ID, startupPeers))
        .setProperties(RaftSettings.server(config))
        .setParameters(RaftSettings.parameters(config))
        .setStateMachine(stateMachine)
        .setOption(RaftStorage.StartupOption.RECOVER)
        .build();
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "skein-metadata-channel-" + node);
      thread.setDaemon(true);
      return thread;
    });
    RaftClient client = null;
    RaftClient admin = null;
    try {
      server.start();
      RaftGroup voterGroup = RaftGroup.valueOf(GROUP_ID, voters);
      // A few quick retries let the client follow a NotLeader hint or move on from a dead
      // server; the channel retries beyond that until the caller's deadline.
      client = RaftClient.newBuilder()
          .setClientId(ClientId.randomId())
          .setRaftGroup(voterGroup)
          .setProperties(RaftSettings.client())
          .setParameters(RaftSettings.parameters(config))
          .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(4,
              TimeDuration.valueOf(50, TimeUnit.MILLISECONDS)))
          .build();
      ControllerChannel channel = new ControllerChannel(client, scheduler);
      ListenerMembership membership = null;
      if (!config.isVoter()) {
        admin = RaftClient.newBuilder()
            .setClientId(ClientId.randomId())
            .setRaftGroup(voterGroup)
            .setProperties(RaftSettings.client())
            .setParameters(RaftSettings.parameters(config))
            .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(10,
                TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
            .build();
        membership = new ListenerMembership(admin, voterGroup, self);
        membership.start();
      }
      LOG.info("Metadata quorum member {} started at {} as a {}", node, config.raftAddress(),
          config.isVoter() ? "voter" : "listener");
      return new MetadataQuorum(config, server, stateMachine, publisher, waiters, client, channel, admin,
          membership, scheduler);
    } catch (IOException | RuntimeException e) {
      closeQuietly(admin);
      closeQuietly(client);
      closeQuietly(server);
      scheduler.shutdownNow();
      publisher.close();
      waiters.close();
      throw e;
    }
  }

  public QuorumConfig config() {
    return config;
  }

  public int nodeId() {
    return config.nodeId();
  }

  /** Whether this member votes (otherwise it is a listener). */
  public boolean isVoter() {
    return config.isVoter();
  }

  /** The latest image this member has applied. */
  public ClusterImage image() {
    return stateMachine.image();
  }

  /** Registers a listener; it gets the current image at once, then every change. See {@link MetadataListener}. */
  public void addListener(MetadataListener listener) {
    publisher.addListener(listener);
  }

  public void removeListener(MetadataListener listener) {
    publisher.removeListener(listener);
  }

  /** The way to the controller, wherever it runs. */
  public ControllerChannel controller() {
    return controller;
  }

  /**
   * Completes once this member's image has reached {@code index} (for example the
   * {@code applied_index} of a controller response), with that image or a later one.
   * Listeners may not have seen it yet.
   */
  public CompletableFuture<ClusterImage> awaitOffset(long index) {
    return waiters.await(index, stateMachine.image());
  }

  /** Completes once a non-voter is in the quorum's configuration as a listener; at once for a voter. */
  public CompletableFuture<Void> joined() {
    return membership == null ? CompletableFuture.completedFuture(null) : membership.joined();
  }

  /** The leader as this member knows it. */
  public OptionalInt leaderId() {
    try {
      RaftPeerId leader = server.getDivision(GROUP_ID).getInfo().getLeaderId();
      return leader == null ? OptionalInt.empty() : OptionalInt.of(Integer.parseInt(leader.toString()));
    } catch (IOException e) {
      return OptionalInt.empty();
    }
  }

  /** Whether this member is the Raft leader (and so runs the controller, once it is ready). */
  public boolean isLeader() {
    try {
      return server.getDivision(GROUP_ID).getInfo().isLeader();
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether this member runs the active controller now: it is the Raft leader and has committed in its term. */
  public boolean isActiveController() {
    return stateMachine.controllerActive();
  }

  /**
   * This member's own Raft state, read locally without any RPC (for metrics).
   *
   * @param memberCommitIndexes on the leader, each member's known commit index by node id; empty elsewhere
   */
  public record LocalRaftState(boolean leader, long term, long commitIndex, long lastAppliedIndex,
      Map<Integer, Long> memberCommitIndexes) {}

  /** This member's Raft state now, or null if its server is not running. */
  public LocalRaftState localRaftState() {
    try {
      RaftServer.Division division = server.getDivision(GROUP_ID);
      boolean leader = division.getInfo().isLeader();
      Map<Integer, Long> members = new HashMap<>();
      if (leader) {
        for (CommitInfoProto commit : division.getCommitInfos()) {
          members.put(Integer.parseInt(commit.getServer().getId().toStringUtf8()), commit.getCommitIndex());
        }
      }
      return new LocalRaftState(leader, division.getInfo().getCurrentTerm(),
          division.getRaftLog().getLastCommittedIndex(), division.getInfo().getLastAppliedIndex(), Map.copyOf(members));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * The quorum's state as the leader reports it: the leader, its term and commit index, and
   * for every member its role, commit index and time since the leader last heard from it.
   * Without a leader it describes this member's own view, with per-member figures unknown.
   */
  public CompletableFuture<QuorumStatus> quorumStatus() {
    return CompletableFuture.supplyAsync(() -> {
      RaftServer.Division division;
      try {
        division = server.getDivision(GROUP_ID);
      } catch (IOException e) {
        throw new ControllerNotAvailableException("the metadata quorum member is not running", e);
      }
      RaftPeerId leader = division.getInfo().getLeaderId();
      if (leader != null) {
        try {
          GroupInfoReply info = client.getGroupManagementApi(leader).info(GROUP_ID);
          if (info.isSuccess() && info.getRoleInfoProto().getRole() == RaftPeerRole.LEADER) {
            return statusFromLeader(info);
          }
        } catch (IOException | RuntimeException e) {
          // Ratis's shaded gRPC reports a slow leader (DEADLINE_EXCEEDED) unchecked: the local view still answers.
          LOG.debug("Could not ask leader {} for the quorum status", leader, e);
        }
      }
      return localStatus(division);
    }, statusExecutor);
  }

  private static QuorumStatus statusFromLeader(GroupInfoReply info) {
    RoleInfoProto role = info.getRoleInfoProto();
    String leaderId = role.getSelf().getId().toStringUtf8();
    Map<String, Long> commitIndexes = new HashMap<>();
    for (CommitInfoProto commit : info.getCommitInfos()) {
      commitIndexes.put(commit.getServer().getId().toStringUtf8(), commit.getCommitIndex());
    }
    Map<String, Long> lastContact = new HashMap<>();
    for (ServerRpcProto follower : role.getLeaderInfo().getFollowerInfoList()) {
      lastContact.put(follower.getId().getId().toStringUtf8(), follower.getLastRpcElapsedTimeMs());
    }
    lastContact.put(leaderId, 0L);
    List<QuorumStatus.Member> members = new ArrayList<>();
    info.getConf().ifPresent(conf -> {
      addMembers(members, conf.getPeersList(), leaderId, false, commitIndexes, lastContact);
      addMembers(members, conf.getListenersList(), leaderId, true, commitIndexes, lastContact);
    });
    long commitIndex = commitIndexes.getOrDefault(leaderId, -1L);
    return new QuorumStatus(Integer.parseInt(leaderId), role.getLeaderInfo().getTerm(), commitIndex, members);
  }

  private static void addMembers(List<QuorumStatus.Member> members, List<RaftPeerProto> peers, String leaderId,
      boolean listeners, Map<String, Long> commitIndexes, Map<String, Long> lastContact) {
    for (RaftPeerProto peer : peers) {
      String id = peer.getId().toStringUtf8();
      QuorumStatus.Role memberRole = listeners ? QuorumStatus.Role.LISTENER
          : id.equals(leaderId) ? QuorumStatus.Role.LEADER : QuorumStatus.Role.FOLLOWER;
      members.add(new QuorumStatus.Member(Integer.parseInt(id), peer.getAddress(), memberRole,
          commitIndexes.getOrDefault(id, -1L), lastContact.getOrDefault(id, -1L)));
    }
  }

  private static QuorumStatus localStatus(RaftServer.Division division) {
    RaftConfiguration conf = division.getRaftConf();
    List<QuorumStatus.Member> members = new ArrayList<>();
    addLocalMembers(members, conf.getCurrentPeers(RaftPeerRole.FOLLOWER), QuorumStatus.Role.FOLLOWER);
    addLocalMembers(members, conf.getCurrentPeers(RaftPeerRole.LISTENER), QuorumStatus.Role.LISTENER);
    return new QuorumStatus(-1, division.getInfo().getCurrentTerm(),
        division.getRaftLog().getLastCommittedIndex(), members);
  }

  private static void addLocalMembers(List<QuorumStatus.Member> members, Collection<RaftPeer> peers,
      QuorumStatus.Role role) {
    for (RaftPeer peer : peers) {
      members.add(new QuorumStatus.Member(Integer.parseInt(peer.getId().toString()), peer.getAddress(), role, -1, -1));
    }
  }

  /** How many snapshots this member installed from the leader to catch up (for tests and metrics). */
  long snapshotsInstalled() {
    return stateMachine.snapshotsInstalled();
  }

  /** Stops this member. The rest of the quorum carries on (a voter's absence counts against the majority). */
  @Override
  public void close() {
    LOG.info("Stopping metadata quorum member {}", config.nodeId());
    if (membership != null) {
      membership.close();
    }
    controller.close();
    closeQuietly(adminClient);
    closeQuietly(client);
    closeQuietly(server);
    scheduler.shutdownNow();
    statusExecutor.shutdownNow();
    publisher.close();
    waiters.close();
  }

  private static void closeQuietly(AutoCloseable closeable) {
    if (closeable == null) {
      return;
    }
    try {
      closeable.close();
    } catch (Exception e) {
      LOG.warn("Failed to close {}", closeable, e);
    }
  }
}
