package dev.runway.ingest.webhook;

import java.time.Duration;
import java.util.Arrays;

/**
 * How long a webhook request waits for its database commit before its delivery goes to the spool: a
 * multiple of what commits take now, with no fixed floor.
 *
 * <p>The estimate is the 90th percentile of the last {@link #WINDOW} commit times. A percentile of
 * a window, not a moving average, because one commit that stalled for seconds (and finished when
 * the database came back) must not lift the wait for the next minute, while a machine that is
 * steadily slower must lift it within a few dozen commits. The wait is {@link #MULTIPLE} times the
 * estimate: a request that arrives just after a batch left waits for that commit and then its own,
 * and the third is the margin for ordinary jitter. A commit slower than that is overdue, and the
 * spool (one fsync, a few milliseconds) answers sooner than waiting would.
 *
 * <p>There used to be a floor of 100 ms. It kept healthy deliveries out of the spool on a busy
 * machine, but it also set the ack's tail during an outage (p99 81–105 ms against a goal of 50):
 * every request that met a slow or stalled commit waited the whole floor. A delivery that is
 * spooled because its commit was slow is still durable, and the drainer inserts it idempotently.
 *
 * <p>Before the first commit has been measured the wait is the configured budget: nothing is known
 * yet, and the first commits of a fresh pool are the slowest. While the window is still filling,
 * the wait is at least the budget's share of the samples still missing ({@code (WINDOW - n) /
 * WINDOW}): two quick commits of a fresh pool say little about the third, and spooling healthy
 * deliveries on such thin evidence costs a replay for nothing. The share fades to nothing after
 * {@link #WINDOW} commits, a fraction of a second of traffic.
 */
final class CommitWait {
  static final int WINDOW = 64;
  static final int MULTIPLE = 3;

  private final long[] samples = new long[WINDOW];
  private int count;
  private int next;
  private volatile long estimateNanos = -1;
  private volatile int measured;

  /** Records one commit that took {@code nanos}. */
  synchronized void record(long nanos) {
    samples[next] = Math.max(0, nanos);
    next = (next + 1) % WINDOW;
    count = Math.min(count + 1, WINDOW);
    measured = count;
    long[] sorted = Arrays.copyOf(samples, count);
    Arrays.sort(sorted);
    // The nearest-rank 90th percentile: with 10 samples, the 9th.
    estimateNanos = sorted[(9 * count + 9) / 10 - 1];
  }

  /**
   * The wait for a request submitted now: {@link #MULTIPLE} × the estimate, at most {@code max}.
   */
  Duration wait(Duration max) {
    long estimate = estimateNanos;
    if (estimate < 0) {
      return max;
    }
    long nanos = estimate > max.toNanos() / MULTIPLE ? max.toNanos() : estimate * MULTIPLE;
    long filling = max.toNanos() / WINDOW * (WINDOW - measured);
    return Duration.ofNanos(Math.max(nanos, filling));
  }
}
