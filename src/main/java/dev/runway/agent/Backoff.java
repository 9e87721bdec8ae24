package dev.runway.agent;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with full jitter, capped: attempt n waits a random time in [0, min(cap,
 * base·2^n)]. Jitter keeps many agents that lost Runway at once from coming back in step. One
 * instance per loop; {@link #reset()} after a success.
 */
final class Backoff {
  private final Duration base;
  private final Duration cap;
  private final DoubleSupplier random;
  private int failures;

  Backoff(Duration base, Duration cap, DoubleSupplier random) {
    this.base = base;
    this.cap = cap;
    this.random = random;
  }

  Duration next() {
    long ceiling = cap.toMillis();
    if (failures < 30) {
      ceiling = Math.min(ceiling, base.toMillis() << failures);
    }
    failures++;
    // At least a tenth of the ceiling, so a tight loop cannot form.
    return Duration.ofMillis((long) (ceiling * (0.1 + 0.9 * random.getAsDouble())));
  }

  void reset() {
    failures = 0;
  }
}
