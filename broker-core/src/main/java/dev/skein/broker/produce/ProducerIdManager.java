package dev.skein.broker.produce;

import dev.skein.broker.BrokerException;
import dev.skein.rpc.ErrorReason;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Hands out producer ids from blocks the controller allocates to this broker through the
 * metadata quorum, so ids are unique in the cluster without a round trip per producer. The
 * next block is fetched ahead, when the current one is nine-tenths used.
 */
public final class ProducerIdManager {

  /** A block [first, first + size) of producer ids. */
  public record Block(long first, int size) {}

  private final Supplier<CompletableFuture<Block>> allocator;
  private long next;
  private long end;
  private int blockSize;
  /** A block fetched ahead, not yet in use. */
  private Block spare;
  /** The last block taken in, so a block delivered twice (to two callbacks) is used once. */
  private Block lastTaken;
  private CompletableFuture<Block> fetching;

  /** @param allocator asks the controller for a new block */
  public ProducerIdManager(Supplier<CompletableFuture<Block>> allocator) {
    this.allocator = allocator;
  }

  /** The next unused producer id; waits for a block from the controller only when none is left. */
  public synchronized CompletableFuture<Long> nextId() {
    if (next >= end && spare != null) {
      use(spare);
      spare = null;
    }
    if (next < end) {
      long id = next++;
      if (spare == null && fetching == null && (end - next) * 10 <= blockSize) {
        fetchBlock();
      }
      return CompletableFuture.completedFuture(id);
    }
    CompletableFuture<Block> waitFor = fetching != null ? fetching : fetchBlock();
    return waitFor.handle((block, failure) -> {
      if (failure != null) {
        throw BrokerException.of(ErrorReason.CONTROLLER_NOT_AVAILABLE,
            "cannot allocate producer ids now: " + failure.getMessage());
      }
      take(block);
      return block;
    }).thenCompose(block -> nextId());
  }

  private CompletableFuture<Block> fetchBlock() {
    CompletableFuture<Block> request = allocator.get();
    fetching = request;
    request.whenComplete((block, failure) -> {
      synchronized (this) {
        if (fetching == request) {
          fetching = null;
        }
      }
      if (failure == null) {
        take(block);
      }
    });
    return request;
  }

  /** Takes in a newly allocated block: in use at once if the current one is spent, else kept spare. */
  private synchronized void take(Block block) {
    if (block == lastTaken) {
      return;
    }
    lastTaken = block;
    if (next >= end) {
      use(block);
    } else {
      spare = block;
    }
  }

  private void use(Block block) {
    next = block.first();
    end = block.first() + block.size();
    blockSize = block.size();
  }
}
