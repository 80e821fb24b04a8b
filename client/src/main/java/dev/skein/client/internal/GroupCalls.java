package dev.skein.client.internal;

import dev.skein.client.BrokerAddress;
import dev.skein.client.BrokerNode;
import dev.skein.client.ClientConfig;
import dev.skein.client.SkeinException;
import dev.skein.proto.v1.FindCoordinatorRequest;
import dev.skein.proto.v1.FindCoordinatorResponse;
import dev.skein.proto.v1.GroupServiceGrpc;
import dev.skein.rpc.ErrorReason;
import dev.skein.rpc.SkeinError;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Calls to one group's coordinator: finds it with FindCoordinator, follows NOT_COORDINATOR
 * redirects (the error names the new coordinator's address, so no metadata round trip), and
 * retries what is retriable until the call's deadline. Thread-safe.
 */
public final class GroupCalls {

  private final String groupId;
  private final ClientConfig config;
  private final BrokerChannels channels;
  private final MetadataCache metadata;
  private volatile BrokerAddress coordinator;

  public GroupCalls(String groupId, ClientConfig config, BrokerChannels channels, MetadataCache metadata) {
    this.groupId = groupId;
    this.config = config;
    this.channels = channels;
    this.metadata = metadata;
  }

  public String groupId() {
    return groupId;
  }

  /**
   * Runs {@code rpc} against the coordinator, retrying retriable failures for at most
   * {@code timeoutMs}. Non-retriable failures (and the last retriable one) are thrown.
   */
  public <T> T call(Function<GroupServiceGrpc.GroupServiceBlockingStub, T> rpc, long timeoutMs) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    SkeinException last = null;
    while (true) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        throw last != null ? last : new SkeinException("no answer from the coordinator of group '" + groupId
            + "' within " + timeoutMs + " ms", Status.Code.DEADLINE_EXCEEDED, null);
      }
      try {
        BrokerAddress at = coordinator != null ? coordinator : find(left);
        return rpc.apply(GroupServiceGrpc.newBlockingStub(channels.channel(at))
            .withDeadlineAfter(Math.max(1, Math.min(left, config.requestTimeout().toMillis())), TimeUnit.MILLISECONDS));
      } catch (StatusRuntimeException | SkeinException e) {
        last = SkeinException.from(e);
        Optional<SkeinError> error = last.error();
        if (error.isPresent() && error.get().reason() == ErrorReason.NOT_COORDINATOR) {
          String address = error.get().metadata().get("coordinator_address");
          coordinator = address == null ? null : BrokerAddress.parse(address);
          continue;
        }
        if (!last.retriable()) {
          throw last;
        }
        if (error.isEmpty() || error.get().reason() == ErrorReason.COORDINATOR_NOT_AVAILABLE) {
          coordinator = null; // unreachable or between leaders: ask again
        }
        pause(Math.min(config.retryBackoff().toMillis(),
            Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()))));
      }
    }
  }

  /** Forgets the coordinator, so the next call asks again. */
  public void reset() {
    coordinator = null;
  }

  private BrokerAddress find(long timeoutMs) {
    StatusRuntimeException last = null;
    for (BrokerAddress address : candidates()) {
      try {
        FindCoordinatorResponse r = GroupServiceGrpc.newBlockingStub(channels.channel(address))
            .withDeadlineAfter(Math.max(1, Math.min(timeoutMs, config.requestTimeout().toMillis())),
                TimeUnit.MILLISECONDS)
            .findCoordinator(FindCoordinatorRequest.newBuilder().setGroupId(groupId).build());
        BrokerAddress found = new BrokerAddress(r.getHost(), r.getPort());
        coordinator = found;
        return found;
      } catch (StatusRuntimeException e) {
        if (SkeinError.fromThrowable(e).isPresent()) {
          throw e; // the broker answered: its reason holds for every broker
        }
        last = e;
      }
    }
    throw new SkeinException("no broker answered FindCoordinator for group '" + groupId + "'",
        Status.Code.UNAVAILABLE, last);
  }

  private List<BrokerAddress> candidates() {
    List<BrokerAddress> known = new ArrayList<>();
    for (BrokerNode node : metadata.snapshot().brokers().values()) {
      if (node.running()) {
        known.add(node.address());
      }
    }
    Collections.shuffle(known);
    LinkedHashSet<BrokerAddress> all = new LinkedHashSet<>(known);
    all.addAll(config.bootstrap());
    return List.copyOf(all);
  }

  private static void pause(long millis) {
    try {
      TimeUnit.MILLISECONDS.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SkeinException("interrupted", Status.Code.CANCELLED, e);
    }
  }
}
