package dev.runway.agent;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * The agent's runner starts that end before a job, in a row, across all its slots: after each, no
 * slot claims until a backoff has passed (the first, doubling up to 5 minutes, with a little
 * jitter), and then only one slot at a time tries, so a broken {@code --runner-dir} or launcher
 * costs one claim and one runner registration at GitHub per backoff, not one per slot per 30 s. A
 * runner that takes a job clears it. One per agent; times are {@link System#nanoTime()} values so a
 * test can pass its own.
 */
final class StartBackoff {
  static final Duration MAX = Duration.ofMinutes(5);

  private final Duration first;
  private final DoubleSupplier random;
  private int failures;
  private long notBefore;
  private boolean probing;

  StartBackoff(Duration first, DoubleSupplier random) {
    this.first = first;
    this.random = random;
  }

  /**
   * How long a slot must wait before it claims; zero means claim now. While failing, the slot told
   * zero is the one probe until it reports {@link #failed} or {@link #succeeded} (or {@link
   * #nothing} when no job came).
   */
  synchronized Duration beforeClaim(long now) {
    if (failures == 0) {
      return Duration.ZERO;
    }
    if (probing || now - notBefore < 0) {
      return Duration.ofNanos(Math.max(notBefore - now, 0)).plusMillis(probing ? 200 : 0);
    }
    probing = true;
    return Duration.ZERO;
  }

  /** A start ended before a job; returns the wait before the next claim. */
  synchronized Duration failed(long now) {
    failures++;
    probing = false;
    Duration d = delay(failures);
    notBefore = now + d.toNanos();
    return d;
  }

  /** A runner took a job: every slot claims freely again. */
  synchronized void succeeded() {
    failures = 0;
    probing = false;
  }

  /** The probe's claim found no job: the next slot may probe at once. */
  synchronized void nothing() {
    probing = false;
  }

  synchronized int failures() {
    return failures;
  }

  /** first · 2^(n-1), at most {@link #MAX}, times a jitter in [0.75, 1]. */
  Duration delay(int n) {
    return new dev.runway.platform.retry.Backoff(first.compareTo(MAX) > 0 ? MAX : first, MAX)
        .jittered(n, 0.75, 1.0, random.getAsDouble());
  }
}
