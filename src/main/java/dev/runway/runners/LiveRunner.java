package dev.runway.runners;

import dev.runway.claims.RunnerState;
import java.time.Instant;

/**
 * A claim whose runner may still be starting or running, as a provisioner sees it.
 *
 * @param bound whether an {@code in_progress} named its runner: the runner has a job
 * @param stateChangedAt when {@code state} was last set
 * @param warm whether it is a warm claim (made for {@code minIdle}, not for a job)
 * @param holdsJob whether it holds or took a job; a warm claim without one is idle
 */
public record LiveRunner(
    long claimId,
    String pool,
    RunnerState state,
    boolean bound,
    Instant stateChangedAt,
    boolean warm,
    boolean holdsJob) {

  /** A warm claim with no job: its runner waits for any job its account queues. */
  public boolean idleWarm() {
    return warm && !bound && !holdsJob;
  }
}
