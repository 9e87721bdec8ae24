package dev.runway.ledger;

import java.time.Instant;

/**
 * Why a job that is not running yet waits: one closed set, the {@code reason} label of {@code
 * runway_jobs_waiting} and {@code runway_job_oldest_wait_seconds}, shown in words on the job page
 * and in {@code GET /api/v1/jobs/{id}}. Java 17 has no pattern matching in {@code switch}; each
 * case carries its own label and words.
 */
public sealed interface WaitReason {

  /** The metric label: {@code account_cap}, ..., {@code ignored:<outcome>}. */
  String label();

  /** The reason in words, with its numbers or cause. */
  String words();

  /** The account is at its own {@code max_concurrent}: the wait its owner chose. */
  record AccountCap(long running, long max) implements WaitReason {
    @Override
    public String label() {
      return "account_cap";
    }

    @Override
    public String words() {
      return "the account is at its cap: " + running + " of " + max + " running";
    }
  }

  /** The pool is at its {@code maxRunners}. */
  record PoolFull(String pool, long active, long maxRunners) implements WaitReason {
    @Override
    public String label() {
      return "pool_full";
    }

    @Override
    public String words() {
      return "pool " + pool + " is full: " + active + " of maxRunners " + maxRunners;
    }
  }

  /** A runner is being started for it, or the job waits for a claimer of a pool with room. */
  record Launching(String detail) implements WaitReason {
    @Override
    public String label() {
      return "launching";
    }

    @Override
    public String words() {
      return detail;
    }
  }

  /** The pool's runners fail to start; {@code lastFailure} is the latest failure's reason. */
  record LaunchFailing(String pool, String lastFailure, Instant at) implements WaitReason {
    @Override
    public String label() {
      return "launch_failing";
    }

    @Override
    public String words() {
      return "runners of pool "
          + pool
          + " fail to start; the last failed at "
          + at
          + ": "
          + lastFailure;
    }
  }

  /**
   * GitHub holds the job: {@code waiting} (a protection rule), or a started runner not given it.
   */
  record WaitingForGitHub(String detail) implements WaitReason {
    @Override
    public String label() {
      return "waiting_for_github";
    }

    @Override
    public String words() {
      return detail;
    }
  }

  /** Claims cannot mint runners: no App, a refused key, a missing permission. */
  record GitHubConfig(String cause) implements WaitReason {
    @Override
    public String label() {
      return "github_config";
    }

    @Override
    public String words() {
      return "configuration error: " + cause;
    }
  }

  /** JIT minting for the job's installation is paused until GitHub's rate limit resets. */
  record GitHubRateLimited(Instant until) implements WaitReason {
    @Override
    public String label() {
      return "github_rate_limited";
    }

    @Override
    public String words() {
      return "GitHub's rate limit: runner registrations are paused until " + until;
    }
  }

  /** The job's repository is at its own cap inside the account. */
  record RepositoryCap(String detail) implements WaitReason {
    @Override
    public String label() {
      return "repository_cap";
    }

    @Override
    public String words() {
      return detail;
    }
  }

  /** Dispatch stored the job with an ignore outcome: it is not claimable until redispatched. */
  record Ignored(String outcome, String detail) implements WaitReason {
    @Override
    public String label() {
      return "ignored:" + outcome;
    }

    @Override
    public String words() {
      return "ignored ("
          + outcome
          + ")"
          + (detail == null || detail.isBlank() ? "" : ": " + detail);
    }
  }
}
