package dev.skein.broker.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.skein.broker.cluster.TestCluster;
import dev.skein.broker.replica.ReplicationConfig;
import dev.skein.client.ConsumerRecord;
import dev.skein.client.NewTopic;
import dev.skein.client.OutcomeUnknownException;
import dev.skein.client.ProducerRecord;
import dev.skein.client.RecordMetadata;
import dev.skein.client.SkeinConsumer;
import dev.skein.client.SkeinProducer;
import dev.skein.client.TopicPartition;
import dev.skein.rpc.ErrorReason;
import dev.skein.storage.log.LogConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the Java producer reports a write whose outcome is unknown: without idempotence it does
 * not resend (that could store the record twice) but fails it with OutcomeUnknownException,
 * and the record may indeed be there; a refusal is still retried, since nothing was stored.
 */
class OutcomeUnknownTest {

  @TempDir
  Path dir;

  @Test
  void withoutIdempotenceALostAnswerFailsAsOutcomeUnknownAndIsNotResent() {
    try (TestCluster cluster = TestCluster.start(dir, 3)) {
      int leader = cluster.admin().createTopic(NewTopic.of("no-idem", 1, 3)).partition(0).leader();
      SkeinProducer producer = cluster.producer(Map.of("acks", "all", "enable.idempotence", "false",
          "request.timeout.ms", "1000", "retry.backoff.ms", "50", "linger.ms", "0"));
      producer.send(ProducerRecord.of("no-idem", null, "before").withPartition(0)).join();

      // The leader appends and replicates the next batch, but its answer comes after the client gave up.
      cluster.broker(leader).produceFaults().delayResponses(3_000, 1);
      CompletableFuture<RecordMetadata> inDoubt = producer.send(ProducerRecord.of("no-idem", null, "late").withPartition(0));

      Throwable failure = unwrap(catchThrowable(inDoubt::join));
      assertThat(failure).isInstanceOf(OutcomeUnknownException.class);
      assertThat(failure.getMessage()).contains("may have stored");
      // It was stored, once: reporting it as "not written", or resending it, would both be wrong.
      assertThat(readAll(cluster, "no-idem")).containsExactly("before", "late");
    }
  }

  @Test
  void withoutIdempotenceABrokerInDoubtAnswerCarriesTheAppendedOffset() {
    try (TestCluster cluster = TestCluster.start(dir, 3, 3, LogConfig.DEFAULT,
        ReplicationConfig.DEFAULT.withReplicaLagTimeMax(Duration.ofMillis(1500)))) {
      int leader = cluster.admin().createTopic(NewTopic.of("shrink", 1, 3)
          .withConfigs(Map.of("min.insync.replicas", "2"))).partition(0).leader();
      await().atMost(Duration.ofSeconds(20)).until(() ->
          cluster.admin().describeTopic("shrink").partition(0).isr().size() == 3);
      SkeinProducer producer = cluster.producer(Map.of("acks", "all", "enable.idempotence", "false",
          "request.timeout.ms", "20000", "linger.ms", "0"));
      cluster.runningIds().stream().filter(id -> id != leader)
          .forEach(f -> cluster.broker(f).replicas().faults().blockFetchesFrom(leader));

      Throwable failure = unwrap(catchThrowable(() ->
          producer.send(ProducerRecord.of("shrink", null, "alone").withPartition(0)).join()));

      assertThat(failure).isInstanceOf(OutcomeUnknownException.class);
      OutcomeUnknownException unknown = (OutcomeUnknownException) failure;
      assertThat(unknown.reason()).contains(ErrorReason.OUTCOME_UNKNOWN);
      assertThat(unknown.appendedOffset()).hasValue(0);
    }
  }

  @Test
  void refusalsAreRetriedWithoutIdempotenceBecauseNothingWasStored() {
    try (TestCluster cluster = TestCluster.start(dir, 3)) {
      int leader = cluster.admin().createTopic(NewTopic.of("refused", 1, 3)).partition(0).leader();
      cluster.broker(leader).produceFaults().failEveryNthBatch(2);
      SkeinProducer producer = cluster.producer(Map.of("acks", "all", "enable.idempotence", "false",
          "max.in.flight.requests.per.connection", "1", "retry.backoff.ms", "20", "linger.ms", "0"));
      List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        sent.add(producer.send(ProducerRecord.of("refused", null, "r" + i).withPartition(0)));
      }
      producer.flush();
      sent.forEach(f -> assertThat(f.join().offset()).isNotNegative());
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        expected.add("r" + i);
      }
      assertThat(readAll(cluster, "refused")).containsExactlyElementsOf(expected);
    }
  }

  private static Throwable unwrap(Throwable t) {
    return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
  }

  private static List<String> readAll(TestCluster cluster, String topic) {
    SkeinConsumer consumer = cluster.consumer(Map.of());
    TopicPartition tp = new TopicPartition(topic, 0);
    consumer.assign(List.of(tp));
    consumer.seekToBeginning(List.of(tp));
    long end = consumer.endOffsets(List.of(tp)).get(tp);
    List<String> values = new ArrayList<>();
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      for (ConsumerRecord r : consumer.poll(Duration.ofMillis(200))) {
        values.add(r.valueString());
      }
      return consumer.position(tp) >= end;
    });
    return values;
  }
}
