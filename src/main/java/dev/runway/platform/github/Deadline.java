package dev.runway.platform.github;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * When a whole GitHub operation must be over: every attempt, backoff and rate-limit wait of every
 * call made for it. Kept on a monotonic clock ({@link System#nanoTime} in production), so that it
 * shrinks as time passes whatever the wall clock does.
 */
public final class Deadline {
  private final long endNanos;
  private final Duration budget;
  private final LongSupplier nanoTime;

  private Deadline(Duration budget, LongSupplier nanoTime) {
    this.budget = Objects.requireNonNull(budget, "budget");
    this.nanoTime = nanoTime;
    this.endNanos = nanoTime.getAsLong() + budget.toNanos();
  }

  /** A deadline {@code budget} from now on the system's monotonic clock. */
  public static Deadline after(Duration budget) {
    return new Deadline(budget, System::nanoTime);
  }

  /** A deadline {@code budget} from now on {@code nanoTime} (tests move it by hand). */
  public static Deadline after(Duration budget, LongSupplier nanoTime) {
    return new Deadline(budget, nanoTime);
  }

  /** What is left, never negative. */
  public Duration remaining() {
    return Duration.ofNanos(Math.max(0, endNanos - nanoTime.getAsLong()));
  }

  public boolean expired() {
    return endNanos - nanoTime.getAsLong() <= 0;
  }

  /** The whole budget, as given. */
  public Duration budget() {
    return budget;
  }

  @Override
  public String toString() {
    return "Deadline[budget=" + budget + ", remaining=" + remaining() + "]";
  }
}
