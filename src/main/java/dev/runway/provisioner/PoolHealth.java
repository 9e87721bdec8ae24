package dev.runway.provisioner;

import dev.runway.platform.retry.Backoff;
import dev.runway.runners.ClaimEvent;
import java.time.Duration;
import java.time.Instant;

/**
 * Launch failures in a row of one pool, as its leader saw them. At {@code maxLaunchFailures} the
 * pool is {@code Degraded}: it launches one Pod per backoff period (10 s, doubling up to 5 min)
 * instead of a full batch, so a broken image or template costs one Pod at a time, not the whole
 * queue. The first runner that comes up clears it. Confined to the provisioning thread; a new
 * leader starts from zero, and its first failures find the pool broken again.
 */
public final class PoolHealth {
  static final Duration FIRST_BACKOFF = Duration.ofSeconds(10);
  static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

  private int failuresInARow;
  private ClaimEvent.FailureReason lastReason;
  private String lastError;
  private Instant backoffUntil = Instant.MIN;

  /** Counts a failure; returns whether this one made the pool degraded. */
  public boolean failure(
      ClaimEvent.FailureReason reason, String error, int maxLaunchFailures, Instant now) {
    boolean was = degraded(maxLaunchFailures);
    failuresInARow++;
    lastReason = reason;
    lastError = error;
    if (degraded(maxLaunchFailures)) {
      backoffUntil = now.plus(backoff(failuresInARow - maxLaunchFailures));
    }
    return !was && degraded(maxLaunchFailures);
  }

  /** A runner came up; returns whether the pool was degraded until now. */
  public boolean success(int maxLaunchFailures) {
    boolean was = degraded(maxLaunchFailures);
    failuresInARow = 0;
    backoffUntil = Instant.MIN;
    return was;
  }

  public boolean degraded(int maxLaunchFailures) {
    return state().degraded(maxLaunchFailures);
  }

  /** How many Pods the pool may launch now, given the per-cycle bound. */
  public int launchesAllowed(int maxLaunchFailures, int perCycle, Instant now) {
    return state().launchesAllowed(maxLaunchFailures, perCycle, now);
  }

  /** The health as it is now, for a planner that must not move it. */
  public State state() {
    return new State(failuresInARow, lastReason, lastError, backoffUntil);
  }

  /** Called when a degraded pool launched its one probe: wait a backoff before the next. */
  public void probed(int maxLaunchFailures, Instant now) {
    if (degraded(maxLaunchFailures)) {
      backoffUntil = now.plus(backoff(failuresInARow - maxLaunchFailures));
    }
  }

  public ClaimEvent.FailureReason lastReason() {
    return lastReason;
  }

  public String lastError() {
    return lastError;
  }

  public int failuresInARow() {
    return failuresInARow;
  }

  /** 10 s, 20 s, 40 s, ... up to 5 min. */
  static Duration backoff(int step) {
    return new Backoff(FIRST_BACKOFF, MAX_BACKOFF).delay(step + 1);
  }

  /**
   * A pool's health at one moment: what its status and its launch bound are decided from.
   *
   * @param lastReason null before the first failure
   * @param backoffUntil {@link Instant#MIN} while the pool is not backing off
   */
  public record State(
      int failuresInARow,
      ClaimEvent.FailureReason lastReason,
      String lastError,
      Instant backoffUntil) {
    /** A pool nothing failed in yet. */
    public static final State HEALTHY = new State(0, null, null, Instant.MIN);

    public boolean degraded(int maxLaunchFailures) {
      return failuresInARow >= maxLaunchFailures;
    }

    /** How many Pods the pool may launch now, given the per-cycle bound. */
    public int launchesAllowed(int maxLaunchFailures, int perCycle, Instant now) {
      if (!degraded(maxLaunchFailures)) {
        return perCycle;
      }
      return now.isBefore(backoffUntil) ? 0 : 1;
    }
  }
}
