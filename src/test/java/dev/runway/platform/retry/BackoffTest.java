package dev.runway.platform.retry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private final Backoff b = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(8));

  @Test
  void doubles_from_first_and_stops_at_max() {
    assertThat(b.delay(1)).isEqualTo(Duration.ofMillis(500));
    assertThat(b.delay(2)).isEqualTo(Duration.ofSeconds(1));
    assertThat(b.delay(5)).isEqualTo(Duration.ofSeconds(8));
    assertThat(b.delay(6)).isEqualTo(Duration.ofSeconds(8));
    assertThat(b.delay(10_000)).isEqualTo(Duration.ofSeconds(8));
    assertThat(b.delay(0)).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void a_zero_first_wait_stays_zero() {
    assertThat(new Backoff(Duration.ZERO, Duration.ofSeconds(1)).delay(3)).isZero();
  }

  @Test
  void jitter_scales_the_delay_within_its_range() {
    assertThat(b.jittered(2, 0.5, 1.0, 0.0)).isEqualTo(Duration.ofMillis(500));
    assertThat(b.jittered(2, 0.5, 1.0, 0.5)).isEqualTo(Duration.ofMillis(750));
    assertThat(b.jittered(2, 1.0, 1.2, 0.5)).isEqualTo(Duration.ofMillis(1100));
  }

  @Test
  void after_doubles_a_current_wait_up_to_max() {
    assertThat(b.after(Duration.ofSeconds(3))).isEqualTo(Duration.ofSeconds(6));
    assertThat(b.after(Duration.ofSeconds(5))).isEqualTo(Duration.ofSeconds(8));
  }

  @Test
  void refuses_a_backoff_that_cannot_be() {
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(-1), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
