package dev.skein.broker.replica;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.broker.fetch.DataWatchers.PartitionKey;
import dev.skein.proto.internal.v1.ReplicaFetchPartition;
import dev.skein.proto.internal.v1.ReplicaFetchRequest;
import dev.skein.proto.internal.v1.ReplicaPartitionRef;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class FetchSessionTest {

  private static ReplicaFetchPartition at(int partition, long fetchOffset) {
    return ReplicaFetchPartition.newBuilder().setTopic("t").setPartition(partition).setFetchOffset(fetchOffset)
        .build();
  }

  private static ReplicaFetchRequest full(ReplicaFetchPartition... partitions) {
    return ReplicaFetchRequest.newBuilder().addAllPartitions(List.of(partitions)).build();
  }

  private static ReplicaFetchRequest incremental(List<Integer> removed, ReplicaFetchPartition... changed) {
    ReplicaFetchRequest.Builder request = ReplicaFetchRequest.newBuilder().setIncremental(true)
        .addAllPartitions(List.of(changed));
    removed.forEach(p -> request.addRemoved(ReplicaPartitionRef.newBuilder().setTopic("t").setPartition(p)));
    return request.build();
  }

  private static Map<Integer, FetchSession.Fetched> byPartition(List<FetchSession.Fetched> fetched) {
    return fetched.stream().collect(Collectors.toMap(f -> f.request().getPartition(), Function.identity()));
  }

  @Test
  void anIncrementalRequestFetchesEveryPartitionOfTheSessionWithItsLatestState() {
    FetchSession session = new FetchSession();
    session.apply(full(at(0, 10), at(1, 20), at(2, 30)));

    Map<Integer, FetchSession.Fetched> fetched = byPartition(session.apply(incremental(List.of(2), at(1, 25),
        at(3, 0))));

    assertThat(session.incremental()).isTrue();
    assertThat(fetched).containsOnlyKeys(0, 1, 3);
    assertThat(fetched.get(0).request().getFetchOffset()).isEqualTo(10);
    assertThat(fetched.get(1).request().getFetchOffset()).isEqualTo(25);
    assertThat(fetched.get(3).request().getFetchOffset()).isZero();
  }

  @Test
  void aFullRequestReplacesTheSession() {
    FetchSession session = new FetchSession();
    session.apply(full(at(0, 10), at(1, 20)));
    session.apply(incremental(List.of(), at(2, 5)));

    Map<Integer, FetchSession.Fetched> fetched = byPartition(session.apply(full(at(1, 21))));

    assertThat(session.incremental()).isFalse();
    assertThat(fetched).containsOnlyKeys(1);
    assertThat(session.size()).isEqualTo(1);
  }

  @Test
  void onlyAMovedHighWatermarkOrLogStartIsDescribedAgainWithoutData() {
    FetchSession session = new FetchSession();
    FetchSession.Fetched first = session.apply(full(at(0, 10))).get(0);
    assertThat(FetchSession.mustDescribe(false, first, 10, 0)).as("a full session describes everything").isTrue();
    session.sent(first.entry(), 10, 0, false);

    FetchSession.Fetched next = session.apply(incremental(List.of())).get(0);
    assertThat(FetchSession.mustDescribe(true, next, 10, 0)).isFalse();
    assertThat(FetchSession.mustDescribe(true, next, 11, 0)).as("high watermark moved").isTrue();
    assertThat(FetchSession.mustDescribe(true, next, 10, 3)).as("log start moved").isTrue();
  }

  @Test
  void afterAnErrorThePartitionIsDescribedAgain() {
    FetchSession session = new FetchSession();
    FetchSession.Fetched first = session.apply(full(at(0, 10))).get(0);
    session.sent(first.entry(), 10, 0, false);
    session.sentError(first.entry());

    FetchSession.Fetched next = session.apply(incremental(List.of())).get(0);
    assertThat(FetchSession.mustDescribe(true, next, 10, 0)).isTrue();
  }

  @Test
  void aPartitionFollowedInANewLeaderEpochIsDescribedAgain() {
    FetchSession session = new FetchSession();
    FetchSession.Fetched first = session.apply(full(at(0, 10))).get(0);
    session.sent(first.entry(), 10, 0, false);

    ReplicaFetchPartition newEpoch = at(0, 10).toBuilder().setCurrentLeaderEpoch(1).build();
    FetchSession.Fetched next = session.apply(incremental(List.of(), newEpoch)).get(0);

    assertThat(FetchSession.mustDescribe(true, next, 10, 0)).isTrue();
  }

  @Test
  void aPartitionRemovedAndAddedInOneRequestStartsOver() {
    FetchSession session = new FetchSession();
    FetchSession.Fetched first = session.apply(full(at(0, 10), at(1, 3))).get(0);
    session.sent(first.entry(), 10, 0, false);

    Map<Integer, FetchSession.Fetched> next = byPartition(session.apply(incremental(List.of(0), at(0, 10))));

    assertThat(next).containsOnlyKeys(0, 1);
    assertThat(FetchSession.mustDescribe(true, next.get(0), 10, 0)).isTrue();
  }

  @Test
  void aPartitionThatGotDataMovesToTheBackSoOthersAreReadFirstNextTime() {
    FetchSession session = new FetchSession();
    List<FetchSession.Fetched> fetched = session.apply(full(at(0, 0), at(1, 0), at(2, 0)));
    session.sent(fetched.get(0).entry(), 5, 0, true);
    session.sent(fetched.get(1).entry(), 0, 0, false);

    assertThat(session.keys()).containsExactly(new PartitionKey("t", 1), new PartitionKey("t", 2),
        new PartitionKey("t", 0));
  }

  @Test
  void whatAnEarlierSessionSentIsForgottenWhenItsEntryIsReplaced() {
    FetchSession session = new FetchSession();
    FetchSession.Fetched old = session.apply(full(at(0, 10))).get(0);
    FetchSession.Fetched fresh = session.apply(full(at(0, 10))).get(0);
    session.sent(old.entry(), 10, 0, false);

    FetchSession.Fetched next = session.apply(incremental(List.of())).get(0);
    assertThat(next.entry()).isSameAs(fresh.entry());
    assertThat(FetchSession.mustDescribe(true, next, 10, 0)).isTrue();
  }
}
