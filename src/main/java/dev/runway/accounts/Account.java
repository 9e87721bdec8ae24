package dev.runway.accounts;

/**
 * A GitHub account (organisation or user) that Runway serves.
 *
 * @param maxConcurrent how many of its jobs may be claimed or running at once, across all pools; 0
 *     disables runners
 */
public record Account(
    long id,
    String login,
    Long installationId,
    boolean installationSuspended,
    boolean runnersEnabled,
    int maxConcurrent) {

  /** Whether jobs of this account may be dispatched to runners at all. */
  public boolean runnersAllowed() {
    return runnersEnabled && maxConcurrent > 0 && !installationSuspended;
  }
}
