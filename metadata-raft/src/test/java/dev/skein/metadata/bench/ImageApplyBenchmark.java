package dev.skein.metadata.bench;

import dev.skein.metadata.image.ApplyOutcome;
import dev.skein.metadata.image.BatchApplier;
import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.MetadataDelta;
import dev.skein.proto.internal.v1.BrokerList;
import dev.skein.proto.internal.v1.MetadataRecord;
import dev.skein.proto.internal.v1.PartitionChangeRecord;
import dev.skein.proto.internal.v1.PartitionRecord;
import dev.skein.proto.internal.v1.RegisterBrokerRecord;
import dev.skein.proto.internal.v1.TopicRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one small metadata write costs every member as the cluster grows: applying a batch that
 * changes the ISR of one partition, and working out the delta the broker's listeners act on.
 * This is what each AlterPartition from a leader costs on every broker, so it should not grow
 * with the number of partitions.
 *
 * <p>{@code topics} topics of {@code partitionsPerTopic} partitions each, RF=3 on three brokers.
 * Run from the repository root:
 *
 * <pre>
 * mvn -B -q -pl metadata-raft -am -DskipTests install
 * mvn -B -q -pl metadata-raft test-compile exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
 *   -Dexec.args="-cp %classpath org.openjdk.jmh.Main dev.skein.metadata.bench -f 1 -wi 3 -w 2s -i 5 -r 2s"
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-XX:+UseG1GC"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class ImageApplyBenchmark {

  private static final List<Integer> REPLICAS = List.of(1, 2, 3);

  @Param({"1:1000", "1:10000", "10000:1"})
  public String topicsByPartitions;

  private ClusterImage image;
  private List<String> topicIds;
  private int partitionsPerTopic;
  private long offset;
  private int next;

  @Setup
  public void createCluster() {
    String[] shape = topicsByPartitions.split(":");
    int topics = Integer.parseInt(shape[0]);
    partitionsPerTopic = Integer.parseInt(shape[1]);
    List<MetadataRecord> records = new ArrayList<>();
    for (int broker : REPLICAS) {
      records.add(MetadataRecord.newBuilder().setRegisterBroker(RegisterBrokerRecord.newBuilder()
          .setBrokerId(broker).setIncarnationId("i" + broker).setHost("h" + broker).setPort(9000 + broker)).build());
    }
    topicIds = new ArrayList<>();
    for (int t = 0; t < topics; t++) {
      String id = "topic-id-" + t;
      topicIds.add(id);
      records.add(MetadataRecord.newBuilder().setTopic(TopicRecord.newBuilder().setTopicId(id).setName("t" + t))
          .build());
      for (int p = 0; p < partitionsPerTopic; p++) {
        records.add(MetadataRecord.newBuilder().setPartition(PartitionRecord.newBuilder().setTopicId(id)
            .setPartition(p).addAllReplicas(REPLICAS).addAllIsr(REPLICAS).setLeader(REPLICAS.get(p % 3))).build());
      }
    }
    ApplyOutcome outcome = BatchApplier.apply(ClusterImage.EMPTY, records, 1);
    if (!(outcome instanceof ApplyOutcome.Applied)) {
      throw new IllegalStateException("set-up batch rejected: " + outcome);
    }
    image = outcome.image();
    offset = 2;
  }

  /** One AlterPartition as a leader sends it: a follower leaves or rejoins the ISR of one partition. */
  @Benchmark
  public MetadataDelta applyIsrChange() {
    String topicId = topicIds.get(next % topicIds.size());
    int partition = (next / topicIds.size()) % partitionsPerTopic;
    next++;
    var registration = image.topics().byId(topicId).orElseThrow().partition(partition).orElseThrow();
    List<Integer> isr = registration.isr().size() == 3 ? List.of(registration.leader()) : REPLICAS;
    MetadataRecord change = MetadataRecord.newBuilder().setPartitionChange(PartitionChangeRecord.newBuilder()
        .setTopicId(topicId).setPartition(partition).setExpectedPartitionEpoch(registration.partitionEpoch())
        .setIsr(BrokerList.newBuilder().addAllBrokerIds(isr))).build();
    ApplyOutcome outcome = BatchApplier.apply(image, List.of(change), offset++);
    if (!(outcome instanceof ApplyOutcome.Applied applied)) {
      throw new IllegalStateException("ISR change rejected: " + outcome);
    }
    image = applied.image();
    return applied.delta();
  }
}
