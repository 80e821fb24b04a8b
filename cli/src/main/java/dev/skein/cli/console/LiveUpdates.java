package dev.skein.cli.console;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The console's live view as server-sent events: one thread reads the cluster summary every
 * {@code interval} while anyone listens and writes the same {@code summary} event to every open
 * stream, so ten open pages cost one set of admin calls, not ten. A failed read is sent as a
 * {@code problem} event (the page shows it and keeps the last good view).
 */
final class LiveUpdates implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(LiveUpdates.class);

  /** One open event stream; its request thread waits on {@code done} until the page goes away. */
  private record Listener(OutputStream out, CountDownLatch done) {}

  private final Supplier<Map<String, Object>> summary;
  private final int maxListeners;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService ticker;

  LiveUpdates(Supplier<Map<String, Object>> summary, Duration interval, int maxListeners, int nodeId) {
    this.summary = summary;
    this.maxListeners = maxListeners;
    this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "skein-console-live-" + nodeId);
      t.setDaemon(true);
      return t;
    });
    ticker.scheduleWithFixedDelay(this::tick, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** False when the stream limit is reached; the caller answers 503. */
  boolean hasRoom() {
    return listeners.size() < maxListeners;
  }

  /**
   * Streams events to {@code out} (headers already sent) until the page closes it or the console
   * stops. Blocks the calling request thread: that is what keeps the response open.
   */
  void stream(OutputStream out) throws InterruptedException {
    Listener listener = new Listener(out, new CountDownLatch(1));
    listeners.add(listener);
    // The first view comes at once rather than at the next tick.
    ticker.execute(() -> send(listener, event()));
    listener.done.await();
  }

  private void tick() {
    if (listeners.isEmpty()) {
      return;
    }
    byte[] event = event();
    listeners.forEach(l -> send(l, event));
  }

  private byte[] event() {
    String text;
    try {
      text = "event: summary\ndata: " + JsonText.write(summary.get()) + "\n\n";
    } catch (RuntimeException e) {
      log.debug("console: reading the cluster summary failed", e);
      text = "event: problem\ndata: " + JsonText.write(ConsoleServer.errorBody(e)) + "\n\n";
    }
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private void send(Listener listener, byte[] event) {
    try {
      listener.out.write(event);
      listener.out.flush();
    } catch (IOException e) {
      // The page went away: end its request.
      drop(listener);
    }
  }

  private void drop(Listener listener) {
    listeners.remove(listener);
    listener.done.countDown();
  }

  @Override
  public void close() {
    ticker.shutdownNow();
    listeners.forEach(this::drop);
  }
}
