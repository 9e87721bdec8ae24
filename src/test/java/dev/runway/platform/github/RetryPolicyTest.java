package dev.runway.platform.github;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  private final RetryPolicy policy =
      new RetryPolicy(
          5,
          Duration.ofMillis(100),
          Duration.ofMillis(1000),
          0.5,
          Duration.ofSeconds(10),
          Duration.ofSeconds(5),
          Duration.ofSeconds(60));

  @Test
  void backoff_doubles_up_to_the_cap_without_jitter() {
    assertThat(policy.backoff(1, 0)).isEqualTo(Duration.ofMillis(100));
    assertThat(policy.backoff(2, 0)).isEqualTo(Duration.ofMillis(200));
    assertThat(policy.backoff(4, 0)).isEqualTo(Duration.ofMillis(800));
    assertThat(policy.backoff(5, 0)).isEqualTo(Duration.ofMillis(1000));
    assertThat(policy.backoff(60, 0)).isEqualTo(Duration.ofMillis(1000));
  }

  @Test
  void jitter_takes_off_at_most_its_share() {
    assertThat(policy.backoff(2, 0.999)).isBetween(Duration.ofMillis(100), Duration.ofMillis(200));
  }

  @Test
  void nonsense_is_refused_at_construction() {
    assertThatThrownBy(() -> policy.withMaxAttempts(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                new RetryPolicy(
                    3,
                    Duration.ofSeconds(2),
                    Duration.ofSeconds(1),
                    0,
                    Duration.ZERO,
                    Duration.ofSeconds(1),
                    Duration.ofSeconds(10)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> policy.withCallDeadline(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
