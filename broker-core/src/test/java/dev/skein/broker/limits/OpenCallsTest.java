package dev.skein.broker.limits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import org.junit.jupiter.api.Test;

/** The order in which a stop ends the calls a broker serves (CleanStopTest covers the real streams). */
class OpenCallsTest {

  private static final SkeinError STOPPING = SkeinError.of(ErrorReason.BROKER_NOT_AVAILABLE, "stopping");

  private final OpenCalls calls = new OpenCalls();

  @Test
  void clientCallsAreToldAtOnceAndPeerCallsOnceNoClientCallIsLeft() {
    FakeCall client = open(false);
    FakeCall peer = open(true);

    calls.endAll(STOPPING);
    assertThat(calls.ending()).isTrue();
    assertThat(client.toldToEnd).isSameAs(STOPPING);
    assertThat(peer.endedNow).isNull(); // an acks=all write on the client call may still need it

    calls.closed(client);
    assertThat(peer.endedNow).isSameAs(STOPPING);
    calls.closed(peer);
    assertThat(calls.size()).isZero();
  }

  @Test
  void peerCallsEndAtOnceWhenNoClientCallIsOpen() {
    FakeCall peer = open(true);
    calls.endAll(STOPPING);
    assertThat(peer.endedNow).isSameAs(STOPPING);
  }

  @Test
  void callsThatStartAfterTheStopBeganAreEndedAsTheyRegister() {
    FakeCall client = open(false);
    calls.endAll(STOPPING);

    FakeCall lateClient = open(false);
    assertThat(lateClient.toldToEnd).isSameAs(STOPPING);
    FakeCall latePeer = open(true);
    assertThat(latePeer.endedNow).isNull(); // clients are still open

    calls.closed(client);
    calls.closed(lateClient);
    assertThat(latePeer.endedNow).isSameAs(STOPPING);
    FakeCall lastPeer = open(true);
    assertThat(lastPeer.endedNow).isSameAs(STOPPING);
  }

  @Test
  void nothingIsEndedBeforeTheStop() {
    FakeCall client = open(false);
    FakeCall peer = open(true);
    calls.closed(client);
    assertThat(client.toldToEnd).isNull();
    assertThat(peer.endedNow).isNull();
    assertThat(calls.ending()).isFalse();
    assertThat(calls.size()).isEqualTo(1);
  }

  private FakeCall open(boolean peer) {
    FakeCall call = new FakeCall(peer);
    calls.opened(call);
    return call;
  }

  private static final class FakeCall implements OpenCalls.Call {
    final boolean peer;
    SkeinError toldToEnd;
    SkeinError endedNow;

    FakeCall(boolean peer) {
      this.peer = peer;
    }

    @Override
    public boolean servesPeer() {
      return peer;
    }

    @Override
    public void endWhenAnswered(SkeinError why) {
      toldToEnd = why;
    }

    @Override
    public void endNow(SkeinError why) {
      endedNow = why;
    }
  }
}
