package dev.runway.claims;

import java.util.Locale;

/**
 * How Runway saw a runner end abnormally while it had a job: the {@code reason} of {@code
 * runway_job_reruns_total} and of {@code claims.lost_reason}. A runner that exits by itself (any
 * exit code up to 128) is not lost, whatever its job's conclusion.
 */
public enum RunnerLoss {
  /** The kubelet or the eviction API evicted its Pod. */
  EVICTED,
  /** The kernel killed its container for memory. */
  OOM_KILLED,
  /** Its Pod was deleted (by someone else) while the runner had a job. */
  POD_DELETED,
  /** The node under its Pod was lost. */
  NODE_LOST,
  /** The runner process died of a signal (exit code above 128), not by its starter's kill. */
  SIGNAL;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static RunnerLoss of(String label) {
    return valueOf(label.toUpperCase(Locale.ROOT));
  }

  /** An exit code above 128 is 128 plus the number of the signal that killed the process. */
  public static boolean bySignal(Integer exitCode) {
    return exitCode != null && exitCode > 128;
  }
}
