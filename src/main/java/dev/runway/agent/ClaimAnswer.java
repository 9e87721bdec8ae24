package dev.runway.agent;

import java.time.Duration;

/** What one claim request came to, as the agent acts on it. */
sealed interface ClaimAnswer {

  /** A job to run. {@code jitConfig} goes into the runner's environment and nowhere else. */
  record Claimed(
      long claimId,
      String runnerName,
      long jobId,
      int runAttempt,
      String repository,
      String jitConfig)
      implements ClaimAnswer {
    /** The prefix of every log line about this claim. */
    String label() {
      return "claim " + claimId + " job " + jobId + "/" + runAttempt;
    }

    @Override
    public String toString() {
      return "Claimed[" + label() + ", runner=" + runnerName + ", jitConfig=<redacted>]";
    }
  }

  /** Nothing to claim (204, or the long-poll ended): claim again at once. */
  record Nothing() implements ClaimAnswer {}

  /** 503: Runway asks to wait. */
  record RetryAfter(Duration delay, String why) implements ClaimAnswer {}

  /**
   * 503 with {@code Runway-Claim-Result: github_config}: Runway's GitHub App setup is broken (no
   * App, a refused key, a missing permission). Not a busy server: it is said as an error, and the
   * agent asks again within a minute so that a fix takes effect soon.
   */
  record ConfigError(Duration delay, String why) implements ClaimAnswer {}

  /** Another 5xx, a 404 (no such pool yet) or a connection error: back off and try again. */
  record Transient(String why) implements ClaimAnswer {}

  /** 401 or another refusal that retrying will not fix: the agent stops with exit code 1. */
  record Fatal(String why) implements ClaimAnswer {}
}
