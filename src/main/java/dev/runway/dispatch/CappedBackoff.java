package dev.runway.dispatch;

import com.github.kagkarlsson.scheduler.task.ExecutionComplete;
import com.github.kagkarlsson.scheduler.task.ExecutionOperations;
import com.github.kagkarlsson.scheduler.task.FailureHandler;
import dev.runway.platform.retry.Backoff;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Retries a failed task after {@code first * 2^(failures-1)}, capped at {@code max}, with up to 20%
 * jitter so that a backlog that failed together does not retry together. A task is never given up:
 * an outage must delay a dispatch, not drop it.
 */
record CappedBackoff<T>(Duration first, Duration max) implements FailureHandler<T> {

  /** The delay before retry number {@code failures} (1-based), without jitter. */
  public Duration delay(int failures) {
    return new Backoff(first, max).delay(failures);
  }

  @Override
  public void onFailure(ExecutionComplete complete, ExecutionOperations<T> ops) {
    int failures = complete.getExecution().consecutiveFailures + 1;
    // Later, never sooner: up to a fifth more, so a backlog that failed together spreads out.
    Duration wait =
        new Backoff(first, max)
            .jittered(failures, 1, 1.2, ThreadLocalRandom.current().nextDouble());
    ops.reschedule(complete, complete.getTimeDone().plus(wait));
  }
}
