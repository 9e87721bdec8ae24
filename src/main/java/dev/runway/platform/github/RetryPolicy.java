package dev.runway.platform.github;

import dev.runway.platform.retry.Backoff;
import java.time.Duration;
import java.util.Objects;

/**
 * How {@link GitHubClient} retries: an immutable value, separate from the state of any one call.
 *
 * @param maxAttempts attempts per call, including the first; bounds retries of 5xx answers,
 *     connection errors and rate-limit waits alike
 * @param initialBackoff backoff before the second attempt after a 5xx or connection error
 * @param maxBackoff cap of the exponential backoff
 * @param jitter fraction of each backoff that is randomised (0 = none, 1 = full jitter)
 * @param maxRateLimitWait longest wait for a rate limit to reset; a longer reset fails the call
 * @param requestTimeout timeout of each HTTP request, from send to the full response
 * @param callDeadline how long one call may take in all, its attempts, backoffs and rate-limit
 *     waits included, unless the caller gives its own {@link Deadline}
 */
public record RetryPolicy(
    int maxAttempts,
    Duration initialBackoff,
    Duration maxBackoff,
    double jitter,
    Duration maxRateLimitWait,
    Duration requestTimeout,
    Duration callDeadline) {

  public RetryPolicy {
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
    }
    Objects.requireNonNull(initialBackoff, "initialBackoff");
    Objects.requireNonNull(maxBackoff, "maxBackoff");
    Objects.requireNonNull(maxRateLimitWait, "maxRateLimitWait");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException("need 0 <= initialBackoff <= maxBackoff");
    }
    if (jitter < 0 || jitter > 1) {
      throw new IllegalArgumentException("jitter must be within [0, 1], was " + jitter);
    }
    if (maxRateLimitWait.isNegative()) {
      throw new IllegalArgumentException("maxRateLimitWait must not be negative");
    }
    if (requestTimeout.isZero() || requestTimeout.isNegative()) {
      throw new IllegalArgumentException("requestTimeout must be positive");
    }
    Objects.requireNonNull(callDeadline, "callDeadline");
    if (callDeadline.isZero() || callDeadline.isNegative()) {
      throw new IllegalArgumentException("callDeadline must be positive");
    }
  }

  /**
   * 4 attempts, 0.5 s doubling to 8 s with half jitter, rate-limit waits up to 60 s, 30 s per
   * request, 90 s per call in all.
   */
  public static RetryPolicy defaults() {
    return new RetryPolicy(
        4,
        Duration.ofMillis(500),
        Duration.ofSeconds(8),
        0.5,
        Duration.ofSeconds(60),
        Duration.ofSeconds(30),
        Duration.ofSeconds(90));
  }

  /** Returns a copy with another number of attempts. */
  public RetryPolicy withMaxAttempts(int attempts) {
    return new RetryPolicy(
        attempts,
        initialBackoff,
        maxBackoff,
        jitter,
        maxRateLimitWait,
        requestTimeout,
        callDeadline);
  }

  /** Returns a copy with another rate-limit wait bound. */
  public RetryPolicy withMaxRateLimitWait(Duration wait) {
    return new RetryPolicy(
        maxAttempts, initialBackoff, maxBackoff, jitter, wait, requestTimeout, callDeadline);
  }

  /** Returns a copy with another overall deadline per call. */
  public RetryPolicy withCallDeadline(Duration deadline) {
    return new RetryPolicy(
        maxAttempts,
        initialBackoff,
        maxBackoff,
        jitter,
        maxRateLimitWait,
        requestTimeout,
        deadline);
  }

  /**
   * The backoff after failed attempt {@code attempt} (1-based).
   *
   * @param random a value in [0, 1) that picks the jittered share
   */
  public Duration backoff(int attempt, double random) {
    // Never later than the schedule: a call's deadline is planned on it.
    return new Backoff(initialBackoff, maxBackoff).jittered(attempt, 1, 1 - jitter, random);
  }
}
