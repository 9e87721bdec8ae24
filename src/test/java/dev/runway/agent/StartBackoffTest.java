package dev.runway.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class StartBackoffTest {
  private static final long S = 1_000_000_000L;

  @Test
  void failed_starts_double_the_wait_up_to_five_minutes() {
    StartBackoff b = new StartBackoff(Duration.ofSeconds(5), () -> 1.0);

    assertThat(b.failed(0)).isEqualTo(Duration.ofSeconds(5));
    assertThat(b.failed(0)).isEqualTo(Duration.ofSeconds(10));
    assertThat(b.failed(0)).isEqualTo(Duration.ofSeconds(20));
    for (int i = 0; i < 10; i++) {
      b.failed(0);
    }
    assertThat(b.failed(0)).isEqualTo(Duration.ofMinutes(5));
    assertThat(new StartBackoff(Duration.ofSeconds(5), () -> 0.0).delay(3))
        .isEqualTo(Duration.ofSeconds(15));
  }

  @Test
  void while_failing_no_slot_claims_before_the_backoff_and_then_only_one_probes() {
    StartBackoff b = new StartBackoff(Duration.ofSeconds(10), () -> 1.0);
    assertThat(b.beforeClaim(0)).isZero();

    b.failed(0);

    assertThat(b.beforeClaim(5 * S)).isEqualTo(Duration.ofSeconds(5));
    assertThat(b.beforeClaim(10 * S)).isZero();
    // Another slot, while the first one probes: it waits.
    assertThat(b.beforeClaim(10 * S)).isPositive();
    b.nothing();
    assertThat(b.beforeClaim(11 * S)).isZero();
    b.succeeded();
    assertThat(b.beforeClaim(11 * S)).isZero();
    assertThat(b.beforeClaim(11 * S)).isZero();
    assertThat(b.failures()).isZero();
  }
}
