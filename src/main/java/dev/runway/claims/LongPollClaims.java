package dev.runway.claims;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims with a wait: {@code POST /api/v1/pools/{pool}/claims?wait=30s}.
 *
 * <p>The first attempt runs on the claims bulkhead (never on a thread of the public listener). When
 * it finds nothing, the request becomes a {@link PoolWakeups.Waiter}: a future, with no thread and
 * no database connection, until a signal for its pool, the periodic re-check or its deadline
 * completes it. A woken waiter claims again on a small executor; one that claims wakes the next
 * waiter of its pool, because more jobs may have become claimable at once. The deadline answers
 * with the last "nothing" (204).
 */
public final class LongPollClaims implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LongPollClaims.class);

  /** The longest wait a request may ask for. */
  public static final Duration MAX_WAIT = Duration.ofSeconds(60);

  /** How often a waiter of every pool is woken even without a signal (lost signals, caps). */
  public static final Duration RECHECK = Duration.ofSeconds(3);

  private final Claimer claims;
  private final PoolWakeups wakeups;
  private final ScheduledExecutorService timer;
  private final ExecutorService attempts;
  private volatile boolean closed;

  /** One claim attempt: {@link Claims#claim}. */
  @FunctionalInterface
  interface Claimer {
    ClaimOutcome claim(String pool);
  }

  public LongPollClaims(Claims claims, PoolWakeups wakeups, int attemptThreads) {
    this(claims::claim, wakeups, attemptThreads, RECHECK);
  }

  /** As above, re-checking every {@code recheck}. */
  LongPollClaims(Claimer claims, PoolWakeups wakeups, int attemptThreads, Duration recheck) {
    this.claims = claims;
    this.wakeups = wakeups;
    AtomicInteger n = new AtomicInteger();
    ScheduledThreadPoolExecutor t =
        new ScheduledThreadPoolExecutor(1, r -> daemon(r, "claim-wait-timer"));
    t.setRemoveOnCancelPolicy(true);
    this.timer = t;
    // One pending attempt per waiter at most, and waiters are bounded: the queue is bounded too.
    this.attempts =
        new ThreadPoolExecutor(
            attemptThreads,
            attemptThreads,
            60,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> daemon(r, "claim-wait-" + n.incrementAndGet()));
    timer.scheduleWithFixedDelay(
        wakeups::recheck, recheck.toMillis(), recheck.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /**
   * Claims a job of {@code pool}, waiting up to {@code wait} (at most {@link #MAX_WAIT}) for one.
   * The future completes with the first outcome that is not "nothing", or with the last "nothing"
   * at the deadline, or with 503-style {@link ClaimOutcome.Unavailable} when too many wait.
   */
  CompletableFuture<ClaimOutcome> claim(String pool, Duration wait) {
    Duration bounded = wait.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : wait;
    long deadline = System.nanoTime() + bounded.toNanos();
    if (closed) {
      return CompletableFuture.completedFuture(stopping());
    }
    Optional<PoolWakeups.Waiter> registered = wakeups.register(pool, deadline, timer);
    if (registered.isEmpty()) {
      log.warn(
          "claim in pool {} refused: {} claimers are already waiting", pool, wakeups.waiting());
      return CompletableFuture.completedFuture(
          new ClaimOutcome.Unavailable("too many claimers waiting; retry later", 1));
    }
    CompletableFuture<ClaimOutcome> result = new CompletableFuture<>();
    attempt(pool, registered.get(), result);
    return result;
  }

  /**
   * Arms the waiter before claiming, so a signal that arrives during the attempt is kept and
   * answered with another attempt instead of being lost.
   */
  private void attempt(String pool, PoolWakeups.Waiter w, CompletableFuture<ClaimOutcome> result) {
    CompletableFuture<Boolean> signal = w.arm();
    ClaimOutcome outcome;
    try {
      outcome = closed ? stopping() : claims.claim(pool);
    } catch (RuntimeException e) {
      w.finish();
      result.completeExceptionally(e);
      return;
    }
    if (!(outcome instanceof ClaimOutcome.Nothing) || w.expired() || closed) {
      w.finish();
      if (outcome instanceof ClaimOutcome.Claimed) {
        // More jobs may have become claimable together; the next waiter looks.
        wakeups.wake(pool);
      }
      result.complete(outcome);
      return;
    }
    ClaimOutcome nothing = outcome;
    signal.thenAccept(
        woken -> {
          if (woken && !w.expired() && !closed) {
            try {
              attempts.execute(() -> attempt(pool, w, result));
              return;
            } catch (RuntimeException rejected) {
              // Stopping: answer below.
            }
          }
          w.finish();
          result.complete(nothing);
        });
  }

  private static ClaimOutcome stopping() {
    return new ClaimOutcome.Unavailable("this replica is stopping; retry", 1);
  }

  /** Answers every waiter now (they get "nothing" and claim again, elsewhere) and stops. */
  @Override
  public void close() {
    closed = true;
    wakeups.expireAll();
    timer.shutdownNow();
    attempts.shutdown();
    try {
      attempts.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
