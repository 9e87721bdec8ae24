package dev.runway.claims;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LongPollClaimsTest {
  private static final Duration LONG = Duration.ofSeconds(30);
  private static final Duration NO_RECHECK = Duration.ofHours(1);

  private final PoolWakeups wakeups = new PoolWakeups(2);
  private final AtomicReference<ClaimOutcome> next = new AtomicReference<>(nothing());
  private final AtomicInteger attempts = new AtomicInteger();
  private LongPollClaims longPoll;

  private static ClaimOutcome nothing() {
    return new ClaimOutcome.Nothing(ClaimOutcome.Reason.EMPTY);
  }

  private static ClaimOutcome claimed(long id) {
    return new ClaimOutcome.Claimed(
        new ClaimOutcome.Job(1, 1, 1L, "acme/app", "build", "CI", List.of("linux"), "linux"),
        id,
        "runway-linux-" + id,
        "jit",
        Instant.EPOCH);
  }

  private LongPollClaims start(LongPollClaims.Claimer claimer) {
    longPoll = new LongPollClaims(claimer, wakeups, 2, NO_RECHECK);
    return longPoll;
  }

  private LongPollClaims startCounting() {
    return start(
        pool -> {
          attempts.incrementAndGet();
          return next.get();
        });
  }

  @AfterEach
  void stop() {
    if (longPoll != null) {
      longPoll.close();
    }
  }

  @Test
  void a_waiting_claimer_claims_when_its_pool_is_signalled() {
    CompletableFuture<ClaimOutcome> r = startCounting().claim("linux", LONG);
    await().until(() -> wakeups.waiting() == 1 && attempts.get() == 1);
    assertThat(r).isNotDone();

    next.set(claimed(7));
    wakeups.wake("linux");

    assertThat(r.join()).isInstanceOf(ClaimOutcome.Claimed.class);
    assertThat(wakeups.waiting()).isZero();
  }

  @Test
  void a_signal_for_another_pool_does_not_wake_it() {
    CompletableFuture<ClaimOutcome> r = startCounting().claim("linux", Duration.ofMillis(300));
    next.set(claimed(7));
    wakeups.wake("macos");

    assertThat(r.join()).isInstanceOf(ClaimOutcome.Nothing.class);
    assertThat(attempts.get()).isEqualTo(1);
  }

  @Test
  void the_wait_ends_with_nothing_at_its_deadline() {
    ClaimOutcome o = startCounting().claim("linux", Duration.ofMillis(200)).join();

    assertThat(o).isInstanceOf(ClaimOutcome.Nothing.class);
    assertThat(wakeups.waiting()).isZero();
  }

  @Test
  void a_signal_that_arrives_during_an_attempt_is_not_lost() {
    // The first attempt finds nothing, and the job appears (with its signal) while it runs.
    AtomicInteger calls = new AtomicInteger();
    CompletableFuture<ClaimOutcome> r =
        start(
                pool -> {
                  if (calls.incrementAndGet() == 1) {
                    wakeups.wake(pool);
                    return nothing();
                  }
                  return claimed(8);
                })
            .claim("linux", LONG);

    assertThat(r.join()).isInstanceOf(ClaimOutcome.Claimed.class);
    assertThat(calls.get()).isEqualTo(2);
  }

  @Test
  void past_the_bound_a_claimer_gets_unavailable_with_a_retry_hint() {
    startCounting();
    longPoll.claim("linux", LONG);
    longPoll.claim("linux", LONG);
    await().until(() -> wakeups.waiting() == 2);

    ClaimOutcome third = longPoll.claim("linux", LONG).join();

    assertThat(third).isInstanceOf(ClaimOutcome.Unavailable.class);
    assertThat(((ClaimOutcome.Unavailable) third).retryAfterSeconds()).isPositive();
  }

  @Test
  void a_claimer_that_claims_wakes_the_next_waiter() {
    CompletableFuture<ClaimOutcome> a = startCounting().claim("linux", LONG);
    CompletableFuture<ClaimOutcome> b = longPoll.claim("linux", LONG);
    await().until(() -> wakeups.waiting() == 2 && attempts.get() == 2);

    next.set(claimed(9));
    wakeups.wake("linux");

    assertThat(a.join()).isInstanceOf(ClaimOutcome.Claimed.class);
    assertThat(b.join()).isInstanceOf(ClaimOutcome.Claimed.class);
  }

  @Test
  void the_periodic_recheck_finds_a_job_whose_signal_was_lost() {
    longPoll = new LongPollClaims(pool -> next.get(), wakeups, 1, Duration.ofMillis(50));
    CompletableFuture<ClaimOutcome> r = longPoll.claim("linux", LONG);
    await().until(() -> wakeups.waiting() == 1);

    next.set(claimed(10));

    assertThat(r.join()).isInstanceOf(ClaimOutcome.Claimed.class);
  }

  @Test
  void stopping_answers_every_waiter_at_once() {
    CompletableFuture<ClaimOutcome> r = startCounting().claim("linux", LONG);
    await().until(() -> wakeups.waiting() == 1);

    longPoll.close();

    assertThat(r.join()).isInstanceOf(ClaimOutcome.Nothing.class);
    assertThat(longPoll.claim("linux", LONG).join()).isInstanceOf(ClaimOutcome.Unavailable.class);
  }
}
