package dev.skein.broker.clients;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.client.NewTopic;
import dev.skein.client.ProducerRecord;
import dev.skein.client.RecordMetadata;
import dev.skein.client.SkeinProducer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Five batches per partition in flight, some refused with retriable errors: the log keeps send order. */
class OrderingTest {

  @TempDir
  Path dir;

  @Test
  void retriesWithFiveInFlightKeepSendOrder() {
    try (TestCluster cluster = TestCluster.start(dir, 1)) {
      cluster.admin().createTopic(NewTopic.of("ordered", 1, 1));
      cluster.broker(1).produceFaults().failEveryNthBatch(7);
      // Small batches and no linger: many batches, several in flight at once.
      SkeinProducer producer = cluster.producer(Map.of("acks", "all", "batch.size", "512", "linger.ms", "0",
          "max.in.flight.requests.per.connection", "5", "retry.backoff.ms", "10"));
      List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < 5_000; i++) {
        sent.add(producer.send(ProducerRecord.of("ordered", null, "r" + i).withPartition(0)));
      }
      producer.flush();
      for (int i = 0; i < sent.size(); i++) {
        assertThat(sent.get(i).join().offset()).as("record %d", i).isEqualTo(i);
      }
      cluster.broker(1).produceFaults().heal();
      IdempotenceTest.assertExactlyOnceInOrder(cluster, "ordered", 5_000);
    }
  }
}
