package dev.runway.jobs;

/**
 * The stages of a job's wait, the {@code stage} label of {@code runway_job_wait_seconds}: each is
 * the time between two of the job's timestamps.
 */
public enum WaitStage {
  /** Created on GitHub → received by Runway: GitHub's own delay in sending the webhook. */
  GITHUB_DELAY("github_delay"),
  /** Received → claimable: intake, the dispatch queue and the pool match. */
  DISPATCH("dispatch"),
  /** Claimable → claimed: waiting for room (caps) and for a claimer. */
  CAPACITY("capacity"),
  /** Claimed → runner started: the agent or provisioner starting the runner. */
  LAUNCH("launch"),
  /** Runner started → {@code in_progress}: GitHub assigning the job to a runner. */
  ASSIGN("assign");

  private final String label;

  WaitStage(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }
}
