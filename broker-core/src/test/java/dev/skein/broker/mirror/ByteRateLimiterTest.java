package dev.skein.broker.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ByteRateLimiterTest {

  @Test
  void readsBeyondOneSecondOfBurstWaitForTheirShareOfTime() {
    ByteRateLimiter limiter = new ByteRateLimiter(1_000);
    // The first second's worth goes at once (burst); each further 1,000 bytes books one more second.
    long delay = 0;
    for (int i = 0; i < 5; i++) {
      delay = limiter.record(1_000);
    }
    assertThat(TimeUnit.NANOSECONDS.toMillis(delay)).isBetween(3_500L, 5_000L);
  }

  @Test
  void noLimitNeverWaitsAndARaiseTakesEffect() {
    ByteRateLimiter limiter = new ByteRateLimiter(0);
    assertThat(limiter.record(100_000_000)).isZero();
    limiter.setRate(1_000_000_000L);
    assertThat(TimeUnit.NANOSECONDS.toMillis(limiter.record(1_000))).isZero();
  }
}
