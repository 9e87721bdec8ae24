package dev.runway.provisioner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class LeaderLoopTest {

  @Test
  void a_cycle_that_throws_does_not_end_the_loop() {
    AtomicInteger runs = new AtomicInteger();
    try (LeaderLoop loop =
        new LeaderLoop(
            "test-loop",
            "test",
            () -> {
              if (runs.incrementAndGet() == 1) {
                throw new IllegalStateException("first cycle fails");
              }
            })) {
      loop.trigger();
      await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() == 1);
      loop.trigger();
      await().atMost(Duration.ofSeconds(5)).until(() -> runs.get() == 2);
    }
  }

  @Test
  void every_pool_is_signalled_once_at_the_start_and_a_kept_signal_stays_for_the_next_take() {
    try (LeaderLoop loop = new LeaderLoop("test-loop", "test", () -> {})) {
      assertThat(loop.takeAll()).isTrue();
      assertThat(loop.takeAll()).isFalse();

      assertThat(loop.take("linux")).isFalse();
      loop.keep("linux");
      assertThat(loop.take("linux")).isTrue();
      assertThat(loop.take("linux")).isFalse();
    }
  }

  @Test
  void a_closed_loop_runs_no_more_cycles() {
    AtomicInteger runs = new AtomicInteger();
    LeaderLoop loop = new LeaderLoop("test-loop", "test", runs::incrementAndGet);
    loop.close();

    loop.trigger();

    assertThat(runs.get()).isZero();
  }
}
