package dev.skein.chaos.cluster;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * How a broker's JVM runs under libfaketime so that its wall clock can be stepped while it runs,
 * the way an NTP step moves a real machine's clock.
 *
 * <p>The container's entrypoint preloads {@code libfaketimeMT.so.1} (the thread-safe build; the
 * plain one re-reads the offset file into static buffers from any thread) into the broker's JVM
 * only, not into commands run with {@code docker exec}. The offset comes from {@link #FILE}, which
 * the nemesis rewrites; libfaketime reads it again at most once a second, so a new offset applies
 * within a second. A missing file means real time.
 *
 * <p>Only {@code CLOCK_REALTIME} moves ({@code System.currentTimeMillis}, {@code Instant.now},
 * {@code time}, {@code gettimeofday}): monotonic clocks stay real ({@code
 * FAKETIME_DONT_FAKE_MONOTONIC=1}), so {@code System.nanoTime}, timeouts, Ratis and Netty timers
 * are unaffected. {@code FAKETIME_FORCE_MONOTONIC_FIX=0} is needed on top with libfaketime 0.9.10
 * (Debian bookworm) and glibc 2.36: without it every timed wait on a monotonic condition variable
 * (each {@code LockSupport.parkNanos}, {@code Object.wait(ms)} in the JVM) returns at once, and
 * an idle JVM spins on every core (measured: 390,000 parks instead of 100 in 6 s, 11 s of CPU).
 */
public final class FakeClock {

  /** The offset file inside the container, read by the broker's libfaketime. */
  public static final String FILE = "/tmp/skein-faketime";

  /** The container's environment: libfaketime's settings (inert without the preload). */
  public static final Map<String, String> ENV = Map.of(
      "FAKETIME_TIMESTAMP_FILE", FILE,
      "FAKETIME_CACHE_DURATION", "0",
      "FAKETIME_DONT_FAKE_MONOTONIC", "1",
      "FAKETIME_FORCE_MONOTONIC_FIX", "0");

  /**
   * The container's entrypoint: finds the library in the image (any architecture's directory),
   * fails the start with a clear message if the image has none, and runs the broker with it
   * preloaded.
   */
  public static final List<String> ENTRYPOINT = List.of("sh", "-c", String.join("\n",
      "lib=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -n 1)",
      "if [ -z \"$lib\" ]; then",
      "  echo 'chaos: this image has no libfaketime (/usr/lib/*/faketime/libfaketimeMT.so.1); the skew nemesis needs it' >&2",
      "  exit 78",
      "fi",
      "echo \"chaos: wall clock under libfaketime ($lib), offset read from $FAKETIME_TIMESTAMP_FILE\" >&2",
      "LD_PRELOAD=\"$lib\" exec skein broker"));

  /** Run as the broker's user: true when the broker's JVM (pid 1) has libfaketime mapped. */
  public static final List<String> CHECK_LOADED = List.of("grep", "-q", "libfaketime", "/proc/1/maps");

  private FakeClock() {}

  /**
   * libfaketime's relative offset for a duration, in seconds with milliseconds: {@code +12.345},
   * {@code -600}, {@code +0}. Only digits after the sign: libfaketime multiplies an offset
   * that contains {@code m}, {@code h}, {@code d} or {@code y}, and exits the process on a spec
   * it cannot parse.
   */
  public static String spec(Duration offset) {
    BigDecimal seconds = BigDecimal.valueOf(offset.toMillis(), 3).stripTrailingZeros();
    String plain = seconds.signum() == 0 ? "0" : seconds.abs().toPlainString();
    return (offset.isNegative() ? "-" : "+") + plain;
  }

  /**
   * The command that sets a broker's offset: written to a temporary file and renamed over
   * {@link #FILE}, so libfaketime never reads a half-written one.
   */
  public static List<String> setCommand(Duration offset) {
    return List.of("sh", "-c", "printf '%s\\n' \"$1\" > " + FILE + ".tmp && mv -f " + FILE + ".tmp " + FILE,
        "set-clock", spec(offset));
  }
}
