package dev.runway.platform.github;

import java.time.Duration;

/** Waits between attempts. Injected so tests can record waits instead of spending them. */
@FunctionalInterface
public interface Sleeper {

  /** Blocks for {@code duration}, or less if interrupted. */
  void sleep(Duration duration) throws InterruptedException;

  /** The real thing: {@link Thread#sleep(long)}. */
  static Sleeper system() {
    return duration -> {
      if (!duration.isNegative() && !duration.isZero()) {
        Thread.sleep(duration.toMillis());
      }
    };
  }
}
