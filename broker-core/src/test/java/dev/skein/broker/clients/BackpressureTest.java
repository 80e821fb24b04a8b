package dev.skein.broker.clients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.client.NewTopic;
import dev.skein.client.ProducerRecord;
import dev.skein.client.RecordMetadata;
import dev.skein.client.SkeinException;
import dev.skein.client.SkeinProducer;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A producer that outpaces a stalled broker blocks at buffer.memory, then fails clearly; it never holds more. */
class BackpressureTest {

  @TempDir
  Path dir;

  @Test
  void sendBlocksAtBufferMemoryThenFailsWithATimeout() {
    try (TestCluster cluster = TestCluster.start(dir, 1)) {
      cluster.admin().createTopic(NewTopic.of("stalled", 1, 1));
      SkeinProducer warm = cluster.producer(Map.of());
      warm.send(ProducerRecord.of("stalled", null, "warm")).join();
      // The broker stops answering: everything sent stays in the producer's buffer.
      cluster.broker(1).produceFaults().delayResponses(5_000, 1_000);
      int bufferMemory = 256 * 1024;
      SkeinProducer producer = cluster.producer(Map.of("buffer.memory", Integer.toString(bufferMemory),
          "batch.size", "16384", "max.block.ms", "500", "request.timeout.ms", "30000"));
      byte[] value = new byte[1000];
      List<CompletableFuture<RecordMetadata>> accepted = new ArrayList<>();
      SkeinException refused = null;
      long blockedFor = 0;
      for (int i = 0; i < 10_000 && refused == null; i++) {
        long start = System.nanoTime();
        CompletableFuture<RecordMetadata> f = producer.send(new ProducerRecord("stalled", 0, null, value, null, List.of()));
        if (f.isCompletedExceptionally()) {
          blockedFor = System.nanoTime() - start;
          refused = (SkeinException) f.handle((m, e) -> e).join();
        } else {
          accepted.add(f);
        }
      }
      assertThat(refused).as("send() must eventually refuse").isNotNull();
      assertThat(refused.code()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
      assertThat(refused.getMessage()).contains("max.block.ms").contains("buffer.memory");
      assertThat(blockedFor / 1_000_000).as("it blocked for max.block.ms first").isBetween(450L, 5_000L);
      // Bounded: what it took in fits in buffer.memory (each record costs its encoding, ~1 KiB).
      assertThat(accepted.size()).isLessThanOrEqualTo(bufferMemory / 1000).isGreaterThan(bufferMemory / 2000);
      cluster.broker(1).produceFaults().heal();
    }
  }
}
