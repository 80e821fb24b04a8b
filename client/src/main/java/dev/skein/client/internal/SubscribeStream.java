package dev.skein.client.internal;

import dev.skein.client.BrokerAddress;
import dev.skein.client.ConsumerConfig;
import dev.skein.client.TopicPartition;
import dev.skein.proto.v1.ConsumerServiceGrpc;
import dev.skein.proto.v1.FetchResponse;
import dev.skein.proto.v1.PartitionPosition;
import dev.skein.proto.v1.SubscribeRequest;
import dev.skein.rpc.AliasingMarshaller;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.function.ToIntFunction;

/**
 * The consumer's Subscribe stream to one leader, for the partitions it leads. The broker pushes
 * committed batches as they come; the consumer asks for each next message only once it has
 * room for it (gRPC's manual flow control), so a consumer that stops polling stops the broker
 * from reading on its behalf. Messages, failures and the end of the stream go to the consumer
 * thread through a queue.
 */
final class SubscribeStream {

  /** A message from a stream, its failure ({@code response} null), or its end (both null). */
  record Message(SubscribeStream from, FetchResponse response, Throwable failure) {}

  /** Messages the broker may send before the consumer has handled any. */
  private static final int INITIAL_MESSAGES = 2;

  /** Subscribe, with the batches of each message left as views of its bytes until decoded. */
  private static final MethodDescriptor<SubscribeRequest, FetchResponse> SUBSCRIBE =
      AliasingMarshaller.aliasingResponses(ConsumerServiceGrpc.getSubscribeMethod(), FetchResponse.parser());

  private final BrokerAddress broker;
  private final Set<TopicPartition> partitions;
  private final ClientCallStreamObserver<SubscribeRequest> call;
  /** Messages handled but not yet asked for again; consumer thread only. */
  private int owed;

  /**
   * Opens a stream of the partitions in {@code from}, each read from its offset there and
   * naming the leader epoch {@code leaderEpochs} gives it (negative: not known, not sent).
   */
  SubscribeStream(BrokerAddress broker, Map<TopicPartition, Long> from, ToIntFunction<TopicPartition> leaderEpochs,
      ConsumerConfig config, BrokerChannels channels, Queue<Message> inbox) {
    this.broker = broker;
    this.partitions = Set.copyOf(from.keySet());
    SubscribeRequest.Builder request = SubscribeRequest.newBuilder()
        .setMaxBytes(config.fetchMaxBytes())
        .setMinBytes(config.fetchMinBytes())
        .setMaxWaitMs((int) Math.min(Integer.MAX_VALUE, config.fetchMaxWait().toMillis()));
    from.forEach((tp, offset) -> {
      PartitionPosition.Builder position = PartitionPosition.newBuilder()
          .setTopic(tp.topic()).setPartition(tp.partition()).setOffset(offset)
          .setMaxBytes(config.maxPartitionFetchBytes());
      int epoch = leaderEpochs.applyAsInt(tp);
      if (epoch >= 0) {
        position.setCurrentLeaderEpoch(epoch);
      }
      request.addPartitions(position);
    });
    @SuppressWarnings("unchecked")
    ClientCallStreamObserver<SubscribeRequest>[] opened = new ClientCallStreamObserver[1];
    ClientCalls.asyncServerStreamingCall(channels.channel(broker).newCall(SUBSCRIBE, CallOptions.DEFAULT),
        request.build(), new ClientResponseObserver<SubscribeRequest, FetchResponse>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<SubscribeRequest> stream) {
            opened[0] = stream;
            stream.disableAutoRequestWithInitial(INITIAL_MESSAGES);
          }

          @Override
          public void onNext(FetchResponse response) {
            inbox.add(new Message(SubscribeStream.this, response, null));
          }

          @Override
          public void onError(Throwable t) {
            inbox.add(new Message(SubscribeStream.this, null, t));
          }

          @Override
          public void onCompleted() {
            inbox.add(new Message(SubscribeStream.this, null, null));
          }
        });
    this.call = opened[0];
  }

  BrokerAddress broker() {
    return broker;
  }

  Set<TopicPartition> partitions() {
    return partitions;
  }

  /** One message was handled; the next is asked for by {@link #askForOwed}. */
  void handledOne() {
    owed++;
  }

  /** Lets the broker send as many more messages as were handled since the last call. */
  void askForOwed() {
    if (owed > 0) {
      call.request(owed);
      owed = 0;
    }
  }

  void cancel() {
    call.cancel("the consumer no longer reads these partitions from here", null);
  }
}
