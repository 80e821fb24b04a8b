package dev.skein.broker.produce;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProducerIdManagerTest {

  @Test
  void idsAreUniqueAcrossBlocksAndTheNextBlockIsFetchedAhead() {
    AtomicLong nextBlockStart = new AtomicLong(1000);
    List<CompletableFuture<ProducerIdManager.Block>> requests = new ArrayList<>();
    ProducerIdManager ids = new ProducerIdManager(() -> {
      CompletableFuture<ProducerIdManager.Block> request = new CompletableFuture<>();
      requests.add(request);
      return request;
    });
    CompletableFuture<Long> first = ids.nextId();
    assertThat(first).isNotDone();
    assertThat(requests).hasSize(1);
    requests.get(0).complete(new ProducerIdManager.Block(nextBlockStart.getAndAdd(10), 10));
    assertThat(first.join()).isEqualTo(1000);

    HashSet<Long> seen = new HashSet<>();
    seen.add(first.join());
    for (int i = 0; i < 8; i++) {
      seen.add(ids.nextId().join());
    }
    // Nine of ten used: the next block is already on its way, and the tenth id needs no wait.
    assertThat(requests).hasSize(2);
    requests.get(1).complete(new ProducerIdManager.Block(nextBlockStart.getAndAdd(10), 10));
    for (int i = 0; i < 11; i++) {
      CompletableFuture<Long> id = ids.nextId();
      assertThat(id).as("id %d of the second block", i).isDone();
      seen.add(id.join());
    }
    assertThat(seen).hasSize(20).allMatch(id -> id >= 1000 && id < 1020);
  }

  @Test
  void aFailedAllocationIsReportedAndRetriedNextTime() {
    List<CompletableFuture<ProducerIdManager.Block>> requests = new ArrayList<>();
    ProducerIdManager ids = new ProducerIdManager(() -> {
      CompletableFuture<ProducerIdManager.Block> request = new CompletableFuture<>();
      requests.add(request);
      return request;
    });
    CompletableFuture<Long> failed = ids.nextId();
    requests.get(0).completeExceptionally(new IllegalStateException("no controller"));
    assertThat(failed).isCompletedExceptionally();
    CompletableFuture<Long> retried = ids.nextId();
    assertThat(requests).hasSize(2);
    requests.get(1).complete(new ProducerIdManager.Block(5, 100));
    assertThat(retried.join()).isEqualTo(5);
  }
}
