package dev.skein.metadata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.MetadataDelta;
import dev.skein.metadata.image.TopicImage;
import dev.skein.proto.internal.v1.ControllerResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A follower that missed more than the leader keeps in its log catches up by installing a snapshot. */
class SnapshotInstallTest {

  private static final Logger LOG = LoggerFactory.getLogger(SnapshotInstallTest.class);

  @TempDir
  Path dir;

  @Test
  void aLaggingFollowerCatchesUpThroughASnapshot() {
    // Tiny segments, frequent snapshots and purges: the leader soon no longer has what the
    // stopped follower needs.
    try (TestCluster cluster = new TestCluster(dir, 3, config -> config
        .snapshotThreshold(16)
        .logSegmentSizeBytes(2048)
        .logPurgeGap(4))) {
      cluster.startVoters();
      int leader = cluster.awaitLeader().nodeId();
      int lagging = leader % 3 + 1;
      int survivor = 6 - leader - lagging;
      cluster.startLifecycle(leader).unfenced().orTimeout(30, TimeUnit.SECONDS).join();
      cluster.startLifecycle(survivor).unfenced().orTimeout(30, TimeUnit.SECONDS).join();
      cluster.awaitConvergence();
      cluster.stop(lagging);

      ControllerResponse last = null;
      for (int i = 0; i < 40; i++) {
        last = cluster.send(leader, Requests.createTopic("topic-" + i, 1, 2));
        assertThat(last.getErrorReason()).isEmpty();
        if (i % 3 == 0) {
          assertThat(cluster.send(leader, Requests.deleteTopic("topic-" + i)).getErrorReason()).isEmpty();
        }
      }
      long target = last.getAppliedIndex();

      long restartedAt = System.nanoTime();
      MetadataQuorum restarted = cluster.startQuorum(lagging);
      List<MetadataDelta> deltas = new CopyOnWriteArrayList<>();
      AtomicReference<ClusterImage> published = new AtomicReference<>();
      restarted.addListener((delta, image) -> {
        deltas.add(delta);
        published.set(image);
      });
      restarted.awaitOffset(target).orTimeout(30, TimeUnit.SECONDS).join();
      LOG.info("MEASURED lagging follower {} caught up to index {} {} ms after restart", lagging, target,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartedAt));

      assertThat(cluster.quorum(lagging).snapshotsInstalled()).as("installed a snapshot from the leader").isPositive();
      ClusterImage image = cluster.awaitConvergence();
      assertThat(image.topics().byName("topic-38")).isPresent();
      assertThat(image.topics().byName("topic-0")).isEmpty();
      assertThat(image.topics().size()).isEqualTo(26);
      // The listener was handed the installed snapshot as a delta, and ends at the same image
      // (offsets aside: entries that change nothing are not published).
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
          assertThat(published.get().withOffset(image.offset())).isEqualTo(image));
      assertThat(deltas.stream().flatMap(delta -> delta.createdTopics().stream()).map(TopicImage::name))
          .containsAll(image.topics().byName().keySet());

      // It keeps following: it votes and serves again.
      cluster.startLifecycle(lagging).unfenced().orTimeout(30, TimeUnit.SECONDS).join();
      assertThat(cluster.send(lagging, Requests.createTopic("after", 1, 3)).getErrorReason()).isEmpty();
      assertThat(cluster.awaitConvergence().topics().byName("after")).isPresent();
    }
  }
}
