package dev.skein.broker.cluster;

import com.google.protobuf.ByteString;
import dev.skein.proto.v1.ConsumerServiceGrpc;
import dev.skein.proto.v1.FetchRequest;
import dev.skein.proto.v1.FetchedPartition;
import dev.skein.proto.v1.ListOffsetsRequest;
import dev.skein.proto.v1.OffsetQuery;
import dev.skein.proto.v1.OffsetSpec;
import dev.skein.proto.v1.PartitionBatch;
import dev.skein.proto.v1.PartitionPosition;
import dev.skein.proto.v1.PartitionProduceResult;
import dev.skein.proto.v1.ProduceRequest;
import dev.skein.proto.v1.ProducerServiceGrpc;
import dev.skein.proto.v1.Record;
import dev.skein.proto.v1.RecordBatch;
import dev.skein.proto.v1.RecordSet;
import io.grpc.Channel;
import java.util.List;

/** Produce, fetch and list-offsets calls in plain gRPC, as a client in any language would make them. */
final class RawCalls {

  private RawCalls() {}

  /** A batch of {@code records} records, each with a {@code valueSize}-byte value. */
  static RecordBatch batch(int records, int valueSize) {
    RecordSet.Builder set = RecordSet.newBuilder();
    for (int i = 0; i < records; i++) {
      set.addRecords(Record.newBuilder().setOffsetDelta(i).setTimestampMs(1000 + i)
          .setValue(ByteString.copyFrom(new byte[valueSize])));
    }
    return RecordBatch.newBuilder().setRecords(set.build().toByteString()).build();
  }

  /** A batch of one record with this value. */
  static RecordBatch batchOf(String value) {
    return RecordBatch.newBuilder().setRecords(RecordSet.newBuilder()
        .addRecords(Record.newBuilder().setValue(ByteString.copyFromUtf8(value))).build().toByteString()).build();
  }

  static List<PartitionProduceResult> produce(Channel channel, String topic, int partition, RecordBatch batch) {
    return ProducerServiceGrpc.newBlockingStub(channel).produce(ProduceRequest.newBuilder()
        .addBatches(PartitionBatch.newBuilder().setTopic(topic).setPartition(partition).setBatch(batch))
        .build()).getResultsList();
  }

  static FetchedPartition fetch(Channel channel, String topic, int partition, long offset) {
    return ConsumerServiceGrpc.newBlockingStub(channel).fetch(FetchRequest.newBuilder()
        .addPartitions(PartitionPosition.newBuilder().setTopic(topic).setPartition(partition).setOffset(offset))
        .build()).getPartitions(0);
  }

  /**
   * Waits until every partition of the topic answers on its leader. Right after a topic is
   * created its leaders may still be opening their logs and answer LEADER_NOT_AVAILABLE.
   */
  static void awaitLeadersServing(TestCluster cluster, dev.skein.proto.v1.TopicMetadata topic) {
    for (dev.skein.proto.v1.PartitionMetadata p : topic.getPartitionsList()) {
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
          !ConsumerServiceGrpc.newBlockingStub(cluster.channel(p.getLeaderId())).listOffsets(
              ListOffsetsRequest.newBuilder().addQueries(OffsetQuery.newBuilder().setTopic(topic.getName())
                  .setPartition(p.getPartition()).setSpec(OffsetSpec.OFFSET_SPEC_LATEST)).build())
              .getResults(0).hasError());
    }
  }

  /** The partition's high watermark, from its leader. */
  static long latest(Channel channel, String topic, int partition) {
    return ConsumerServiceGrpc.newBlockingStub(channel).listOffsets(ListOffsetsRequest.newBuilder()
        .addQueries(OffsetQuery.newBuilder().setTopic(topic).setPartition(partition)
            .setSpec(OffsetSpec.OFFSET_SPEC_LATEST)).build()).getResults(0).getOffset();
  }
}
