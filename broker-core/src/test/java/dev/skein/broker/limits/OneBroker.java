package dev.skein.broker.limits;

import dev.skein.broker.BrokerConfig;
import dev.skein.broker.HostPort;
import dev.skein.broker.SkeinBroker;
import dev.skein.broker.cluster.TestCluster;
import dev.skein.metadata.QuorumVoter;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A single-node cluster on 127.0.0.1 (so connections count against one address) with given limits. */
final class OneBroker implements AutoCloseable {

  final SkeinBroker broker;
  private final List<ManagedChannel> channels = new ArrayList<>();

  private OneBroker(SkeinBroker broker) {
    this.broker = broker;
  }

  static OneBroker start(Path dir, ServerLimits limits) throws Exception {
    int[] ports = TestCluster.freePorts(2);
    HostPort address = new HostPort("127.0.0.1", ports[0]);
    HostPort raft = new HostPort("127.0.0.1", ports[1]);
    BrokerConfig config = BrokerConfig.builder(1, dir).listen(address, address)
        .quorum(List.of(new QuorumVoter(1, raft.host(), raft.port())), raft)
        .limits(limits)
        .build();
    SkeinBroker broker = SkeinBroker.start(config);
    try {
      broker.ready().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      broker.close();
      throw e;
    }
    return new OneBroker(broker);
  }

  int port() {
    return broker.port();
  }

  /** A new channel (so a new connection) to the broker; closed with it. */
  synchronized ManagedChannel newChannel() {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port()).usePlaintext()
        .maxInboundMessageSize(128 * 1024 * 1024).build();
    channels.add(channel);
    return channel;
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
    broker.stopWithoutHandoff();
  }
}
