package dev.skein.client;

import dev.skein.proto.v1.BrokerInfo;
import dev.skein.proto.v1.BrokerState;

/** A broker as the cluster metadata describes it. */
public record BrokerNode(int id, BrokerAddress address, String rack, BrokerState state, boolean voter) {

  public static BrokerNode from(BrokerInfo info) {
    return new BrokerNode(info.getId(), new BrokerAddress(info.getHost(), info.getPort()), info.getRack(),
        info.getState(), info.getVoter());
  }

  public boolean running() {
    return state == BrokerState.BROKER_STATE_RUNNING;
  }
}
