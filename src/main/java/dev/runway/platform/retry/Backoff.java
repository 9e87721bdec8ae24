package dev.runway.platform.retry;

import java.time.Duration;

/**
 * The one exponential backoff of the house: retry {@code n} (1-based) waits {@code first ·
 * 2^(n-1)}, capped at {@code max}. Each user picks its jitter with {@link #jittered}, a factor
 * drawn from its own range, because each spreads a different crowd: agents that lost Runway at once
 * (wide, with a floor so no tight loop forms), a dispatch backlog that failed together (a little
 * later, never sooner), GitHub calls (never later than the schedule).
 */
public record Backoff(Duration first, Duration max) {
  public Backoff {
    if (first.isNegative() || max.compareTo(first) < 0) {
      throw new IllegalArgumentException("a backoff needs 0 <= first <= max");
    }
  }

  /** The wait before retry {@code n} (1-based; 0 or less counts as 1), without jitter. */
  public Duration delay(int n) {
    if (first.isZero()) {
      return Duration.ZERO;
    }
    int shift = Math.min(Math.max(n - 1, 0), 30);
    long millis = first.toMillis() << shift;
    return millis <= 0 || millis > max.toMillis() ? max : Duration.ofMillis(millis);
  }

  /**
   * {@link #delay(int)} times a factor between {@code from} (at {@code random} 0) and {@code to}
   * (towards {@code random} 1): {@code from + (to - from) · random}, rounded to the millisecond.
   */
  public Duration jittered(int n, double from, double to, double random) {
    double factor = from + (to - from) * random;
    return Duration.ofMillis(Math.round(delay(n).toMillis() * factor));
  }

  /** The delay after {@code current}: twice it, capped; for loops that keep their last wait. */
  public Duration after(Duration current) {
    Duration doubled = current.multipliedBy(2);
    return doubled.compareTo(max) > 0 || doubled.isNegative() ? max : doubled;
  }
}
