package dev.runway.ingest.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CommitWaitTest {
  static final Duration BUDGET = Duration.ofMillis(750);
  final CommitWait wait = new CommitWait();

  static long ms(double ms) {
    return (long) (ms * 1_000_000);
  }

  @Test
  void before_any_commit_the_wait_is_the_whole_budget() {
    assertThat(wait.wait(BUDGET)).isEqualTo(BUDGET);
  }

  @Test
  void fast_commits_give_a_wait_far_below_the_old_100_ms_floor() {
    for (int i = 0; i < CommitWait.WINDOW; i++) {
      wait.record(ms(2));
    }
    assertThat(wait.wait(BUDGET)).isEqualTo(Duration.ofMillis(6));
  }

  @Test
  void the_wait_follows_the_90th_percentile_of_the_window_not_its_mean() {
    // 58 of 64 commits at 1 ms and six at 10 ms: the nearest-rank p90 is the 58th, 1 ms.
    for (int i = 0; i < 58; i++) {
      wait.record(ms(1));
    }
    for (int i = 0; i < 6; i++) {
      wait.record(ms(10));
    }
    assertThat(wait.wait(BUDGET)).isEqualTo(Duration.ofMillis(3));
    // A seventh slow one (the oldest fast one leaves): the 58th is now 10 ms.
    wait.record(ms(10));
    assertThat(wait.wait(BUDGET)).isEqualTo(Duration.ofMillis(30));
  }

  @Test
  void while_the_window_fills_the_wait_keeps_the_budget_share_of_the_missing_samples() {
    // Two quick commits of a fresh pool say little about the third: the wait stays near the budget
    // (62 of 64 parts of it), and fades to the measured one as the window fills.
    wait.record(ms(2));
    wait.record(ms(2));
    assertThat(wait.wait(BUDGET)).isEqualTo(Duration.ofNanos(BUDGET.toNanos() / 64 * 62));
    for (int i = 2; i < CommitWait.WINDOW - 1; i++) {
      wait.record(ms(2));
    }
    assertThat(wait.wait(BUDGET)).isEqualTo(Duration.ofNanos(BUDGET.toNanos() / 64));
    wait.record(ms(2));
    assertThat(wait.wait(BUDGET)).isEqualTo(Duration.ofMillis(6));
  }

  @Test
  void one_commit_that_stalled_for_seconds_does_not_lift_the_wait() {
    for (int i = 0; i < CommitWait.WINDOW - 1; i++) {
      wait.record(ms(4));
    }
    wait.record(ms(20_000));
    assertThat(wait.wait(BUDGET)).isEqualTo(Duration.ofMillis(12));
  }

  @Test
  void a_machine_that_is_steadily_slower_lifts_the_wait_within_one_window() {
    for (int i = 0; i < CommitWait.WINDOW; i++) {
      wait.record(ms(2));
    }
    for (int i = 0; i < CommitWait.WINDOW; i++) {
      wait.record(ms(20));
    }
    assertThat(wait.wait(BUDGET)).isEqualTo(Duration.ofMillis(60));
    // And back down once commits are fast again: old samples leave the window.
    for (int i = 0; i < CommitWait.WINDOW; i++) {
      wait.record(ms(2));
    }
    assertThat(wait.wait(BUDGET)).isEqualTo(Duration.ofMillis(6));
  }

  @Test
  void the_wait_never_exceeds_the_configured_budget() {
    for (int i = 0; i < CommitWait.WINDOW; i++) {
      wait.record(ms(400));
    }
    assertThat(wait.wait(BUDGET)).isEqualTo(BUDGET);
  }
}
