package dev.runway.agent;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with full jitter, capped: attempt n waits a random time in [0, min(cap,
 * base·2^n)]. Jitter keeps many agents that lost Runway at once from coming back in step. One
 * instance per loop; {@link #reset()} after a success.
 */
final class Backoff {
  private final dev.runway.platform.retry.Backoff schedule;
  private final DoubleSupplier random;
  private int failures;

  Backoff(Duration base, Duration cap, DoubleSupplier random) {
    this.schedule = new dev.runway.platform.retry.Backoff(base, cap);
    this.random = random;
  }

  Duration next() {
    failures++;
    // At least a tenth of the ceiling, so a tight loop cannot form.
    return schedule.jittered(failures, 0.1, 1.0, random.getAsDouble());
  }

  void reset() {
    failures = 0;
  }
}
