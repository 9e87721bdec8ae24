package dev.runway.provisioner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runway.runners.ClaimEvent.FailureReason;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class PoolHealthTest {
  static final Instant T0 = Instant.parse("2026-11-30T00:00:00Z");

  @Test
  void the_fifth_failure_in_a_row_degrades_and_stops_launches_until_the_backoff_passed() {
    PoolHealth h = new PoolHealth();
    for (int i = 0; i < 4; i++) {
      assertThat(h.failure(FailureReason.IMAGE_PULL, "x", 5, T0)).isFalse();
      assertThat(h.launchesAllowed(5, 20, T0)).isEqualTo(20);
    }

    assertThat(h.failure(FailureReason.IMAGE_PULL, "pull", 5, T0)).isTrue();

    assertThat(h.degraded(5)).isTrue();
    assertThat(h.launchesAllowed(5, 20, T0.plusSeconds(9))).isZero();
    assertThat(h.launchesAllowed(5, 20, T0.plusSeconds(10))).isEqualTo(1);
    assertThat(h.lastReason()).isEqualTo(FailureReason.IMAGE_PULL);
    assertThat(h.lastError()).isEqualTo("pull");
  }

  @Test
  void a_probe_waits_a_backoff_and_a_success_clears_everything() {
    PoolHealth h = new PoolHealth();
    for (int i = 0; i < 5; i++) {
      h.failure(FailureReason.START_TIMEOUT, "x", 5, T0);
    }
    h.probed(5, T0.plusSeconds(10));
    assertThat(h.launchesAllowed(5, 20, T0.plusSeconds(15))).isZero();

    assertThat(h.success(5)).isTrue();

    assertThat(h.degraded(5)).isFalse();
    assertThat(h.launchesAllowed(5, 20, T0)).isEqualTo(20);
    assertThat(h.success(5)).isFalse();
  }

  @Test
  void the_backoff_doubles_up_to_five_minutes() {
    assertThat(PoolHealth.backoff(0)).isEqualTo(Duration.ofSeconds(10));
    assertThat(PoolHealth.backoff(1)).isEqualTo(Duration.ofSeconds(20));
    assertThat(PoolHealth.backoff(4)).isEqualTo(Duration.ofSeconds(160));
    assertThat(PoolHealth.backoff(5)).isEqualTo(Duration.ofMinutes(5));
    assertThat(PoolHealth.backoff(60)).isEqualTo(Duration.ofMinutes(5));
  }
}
