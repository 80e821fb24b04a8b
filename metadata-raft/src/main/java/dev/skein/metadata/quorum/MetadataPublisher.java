package dev.skein.metadata.quorum;

import dev.skein.metadata.image.ClusterImage;
import dev.skein.metadata.image.MetadataDelta;
import dev.skein.metadata.image.MetadataListener;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands each new image to the listeners, in log order, on one thread of its own, so that a
 * slow listener never holds up Ratis' apply thread (which only queues the change here).
 *
 * <p>The listener list and the last published image belong to the publishing thread; a new
 * listener is added there too, with the last published image as its first delta, so it sees
 * each change exactly once.
 */
public final class MetadataPublisher implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(MetadataPublisher.class);

  private final ExecutorService executor;
  private final List<MetadataListener> listeners = new ArrayList<>();
  private ClusterImage lastPublished = ClusterImage.EMPTY;

  public MetadataPublisher(String threadName) {
    this.executor = Executors.newSingleThreadExecutor(runnable -> {
      Thread thread = new Thread(runnable, threadName);
      thread.setDaemon(true);
      return thread;
    });
  }

  /** Queues a change; listeners get it after every change queued before it. */
  public void publish(MetadataDelta delta, ClusterImage image) {
    run(() -> {
      lastPublished = image;
      for (MetadataListener listener : listeners) {
        deliver(listener, delta, image);
      }
    });
  }

  public void addListener(MetadataListener listener) {
    run(() -> {
      deliver(listener, MetadataDelta.between(ClusterImage.EMPTY, lastPublished), lastPublished);
      listeners.add(listener);
    });
  }

  public void removeListener(MetadataListener listener) {
    run(() -> listeners.remove(listener));
  }

  private void run(Runnable task) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      LOG.debug("Metadata publisher is closed; dropping an update");
    }
  }

  private static void deliver(MetadataListener listener, MetadataDelta delta, ClusterImage image) {
    try {
      listener.onMetadataUpdate(delta, image);
    } catch (RuntimeException e) {
      LOG.error("Metadata listener {} failed on the image at offset {}", listener, image.offset(), e);
    }
  }

  @Override
  public void close() {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
