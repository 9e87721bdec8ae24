package dev.runway.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  @Test
  void waits_grow_exponentially_up_to_the_cap_and_reset_after_a_success() {
    Backoff highest = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30), () -> 1.0);

    assertThat(highest.next()).isEqualTo(Duration.ofMillis(500));
    assertThat(highest.next()).isEqualTo(Duration.ofSeconds(1));
    assertThat(highest.next()).isEqualTo(Duration.ofSeconds(2));
    for (int i = 0; i < 100; i++) {
      assertThat(highest.next()).isLessThanOrEqualTo(Duration.ofSeconds(30));
    }
    assertThat(highest.next()).isEqualTo(Duration.ofSeconds(30));
    highest.reset();
    assertThat(highest.next()).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void jitter_spreads_waits_but_never_to_zero() {
    Backoff lowest = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(30), () -> 0.0);
    for (int i = 0; i < 10; i++) {
      lowest.next();
    }
    assertThat(lowest.next()).isEqualTo(Duration.ofSeconds(3));
  }
}
