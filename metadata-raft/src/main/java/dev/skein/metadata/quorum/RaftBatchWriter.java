package dev.skein.metadata.quorum;

import dev.skein.metadata.controller.BatchWriter;
import dev.skein.metadata.controller.LeadershipLostException;
import dev.skein.proto.internal.v1.ControllerResponse;
import dev.skein.proto.internal.v1.MetadataBatch;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

/**
 * Writes the controller's batches into the local Raft server, in process.
 *
 * <p>It submits directly to the server it runs in rather than through a RaftClient: a client
 * would follow a leadership change and write through the new leader, but a controller that is
 * no longer the leader must fail instead (its decisions were made against its own view).
 */
final class RaftBatchWriter implements BatchWriter {

  private final RaftServer server;
  private final RaftGroupId groupId;
  private final ClientId clientId = ClientId.randomId();
  private final AtomicLong callIds = new AtomicLong();

  RaftBatchWriter(RaftServer server, RaftGroupId groupId) {
    this.server = server;
    this.groupId = groupId;
  }

  @Override
  public CompletableFuture<WriteResult> write(MetadataBatch batch) {
    RaftClientRequest request = RaftClientRequest.newBuilder()
        .setClientId(clientId)
        .setServerId(server.getId())
        .setGroupId(groupId)
        .setCallId(callIds.incrementAndGet())
        .setMessage(Message.valueOf(UnsafeByteOperations.unsafeWrap(batch.toByteArray())))
        .setType(RaftClientRequest.writeRequestType())
        .build();
    try {
      return server.submitClientRequestAsync(request).thenApply(RaftBatchWriter::toResult);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static WriteResult toResult(RaftClientReply reply) {
    if (!reply.isSuccess()) {
      if (reply.getNotLeaderException() != null) {
        throw new CompletionException(new LeadershipLostException("this member no longer leads the metadata quorum",
            reply.getNotLeaderException()));
      }
      throw new CompletionException(reply.getException() != null
          ? reply.getException() : new IOException("write failed: " + reply));
    }
    try {
      ControllerResponse outcome = ControllerResponse.parseFrom(reply.getMessage().getContent().toByteArray());
      return new WriteResult(outcome.getAppliedIndex(),
          outcome.getErrorReason().isEmpty() ? null : outcome.getErrorMessage());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new CompletionException(e);
    }
  }
}
