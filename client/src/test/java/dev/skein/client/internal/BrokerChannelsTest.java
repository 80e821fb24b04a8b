package dev.skein.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.client.BrokerAddress;
import dev.skein.proto.v1.ClusterServiceGrpc;
import dev.skein.proto.v1.GetMetadataRequest;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BrokerChannelsTest {

  /**
   * A broker that keeps failing connections (here: a socket that hangs up at once) is tried
   * again about once a second while the client keeps calling it. With gRPC's own back-off
   * (1 s growing by 1.6 each time) the sixth attempt would come only after about 15 s, and
   * after a few minutes of outage a minute or two would pass between attempts.
   */
  @Test
  void aFailingBrokerIsRetriedAboutOnceASecondWhileCallsKeepComing() throws Exception {
    AtomicInteger connections = new AtomicInteger();
    try (ServerSocket hangUp = new ServerSocket(0); BrokerChannels channels = new BrokerChannels()) {
      Thread acceptor = new Thread(() -> {
        while (!hangUp.isClosed()) {
          try (Socket s = hangUp.accept()) {
            connections.incrementAndGet();
          } catch (IOException closed) {
            return;
          }
        }
      }, "hang-up");
      acceptor.setDaemon(true);
      acceptor.start();
      BrokerAddress address = new BrokerAddress("127.0.0.1", hangUp.getLocalPort());

      long started = System.nanoTime();
      await().atMost(Duration.ofSeconds(12)).pollInterval(Duration.ofMillis(50)).until(() -> {
        try {
          ClusterServiceGrpc.newBlockingStub(channels.channel(address)).withDeadlineAfter(200, TimeUnit.MILLISECONDS)
              .getMetadata(GetMetadataRequest.getDefaultInstance());
        } catch (StatusRuntimeException expected) {
          // refused: the point is how often the channel tries again
        }
        return connections.get() >= 7;
      });
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(12));
    }
  }
}
