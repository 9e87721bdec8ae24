package dev.runway.claims;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What one claim request came to. Java 17 has no pattern matching in {@code switch}, so a {@link
 * Visitor} is the exhaustive way to handle an outcome: a new case is a compile error wherever it is
 * not handled.
 */
public sealed interface ClaimOutcome {

  <R> R accept(Visitor<R> visitor);

  /** The {@code result} label of {@code runway_claims_total}, for outcomes that are counted. */
  Optional<String> metricResult();

  /** Handles every outcome. */
  interface Visitor<R> {
    R claimed(Claimed claimed);

    R nothing(Nothing nothing);

    R unknownPool(UnknownPool unknown);

    R unavailable(Unavailable unavailable);

    R gitHubFailed(GitHubFailed failed);

    R deadlineExceeded(DeadlineExceeded exceeded);

    /**
     * GitHub is held back: Runway's own cap on GitHub requests, or GitHub's rate limit. A kind of
     * {@link Unavailable} (nothing changed, come back after {@code Retry-After}), which is what a
     * visitor that does not tell them apart gets.
     */
    default R gitHubHeld(GitHubHeld held) {
      return unavailable(new Unavailable(held.message(), held.retryAfterSeconds()));
    }

    R configError(ConfigError error);
  }

  /** The job a runner is started for: what the agent may show or log. */
  record Job(
      long jobId,
      int runAttempt,
      Long runId,
      String repository,
      String name,
      String workflowName,
      List<String> labels,
      String pool) {}

  /**
   * A job was claimed and a just-in-time runner registered for it. {@code encodedJitConfig} lets
   * its holder register a runner; it goes to the agent and nowhere else.
   */
  record Claimed(
      Job job, long claimId, String runnerName, String encodedJitConfig, Instant leaseExpiresAt)
      implements ClaimOutcome {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.claimed(this);
    }

    @Override
    public Optional<String> metricResult() {
      return Optional.of("claimed");
    }

    @Override
    public String toString() {
      return "Claimed[job="
          + job.jobId()
          + "/"
          + job.runAttempt()
          + ", claimId="
          + claimId
          + ", runnerName="
          + runnerName
          + ", encodedJitConfig=<redacted>]";
    }
  }

  /** Why nothing was claimed. */
  enum Reason {
    /** No claimable job in the pool. */
    EMPTY("empty"),
    /** Claimable jobs exist, but every one's account is at its {@code max_concurrent}. */
    OVER_ACCOUNT_CAP("over_account_cap"),
    /** The pool is at its {@code maxRunners}. */
    OVER_POOL_CAP("over_pool_cap"),
    /**
     * Claimable jobs exist, but each one's repository is at its own {@code max_concurrent} ({@code
     * runway repos set --max-concurrent}).
     */
    REPOSITORY_CAP("repository_cap");

    private final String label;

    Reason(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }

    /** The reason a label names, as the claim transaction's SQL answers it. */
    static Reason of(String label) {
      for (Reason r : values()) {
        if (r.label.equals(label)) {
          return r;
        }
      }
      throw new IllegalArgumentException("no claim reason " + label);
    }
  }

  /** Nothing to claim now; the agent asks again later. */
  record Nothing(Reason reason) implements ClaimOutcome {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.nothing(this);
    }

    @Override
    public Optional<String> metricResult() {
      return Optional.of(reason.label());
    }
  }

  /** The pool source answered, and it has no such pool. */
  record UnknownPool(String pool) implements ClaimOutcome {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.unknownPool(this);
    }

    @Override
    public Optional<String> metricResult() {
      return Optional.empty();
    }
  }

  /**
   * Runway cannot claim now: the pool source or the database does not answer, or the GitHub App is
   * not configured. Nothing was changed.
   */
  record Unavailable(String reason, long retryAfterSeconds) implements ClaimOutcome {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.unavailable(this);
    }

    @Override
    public Optional<String> metricResult() {
      return Optional.empty();
    }
  }

  /** GitHub refused or failed the runner registration; the claim was released. */
  record GitHubFailed(String message) implements ClaimOutcome {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.gitHubFailed(this);
    }

    @Override
    public Optional<String> metricResult() {
      return Optional.of("github_error");
    }
  }

  /**
   * GitHub did not register the runner within {@code RUNWAY_CLAIM_DEADLINE} (slow answers, retries
   * or a rate limit that resets later); the claim was released and the agent should come back.
   */
  record DeadlineExceeded(String message, long retryAfterSeconds) implements ClaimOutcome {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.deadlineExceeded(this);
    }

    @Override
    public Optional<String> metricResult() {
      return Optional.of("deadline_exceeded");
    }
  }

  /** Why GitHub was not asked: each is its own {@code runway_claims_total} result. */
  enum Hold {
    /** None of the process's GitHub request slots freed within the claim's deadline. */
    BUSY("github_busy"),
    /** GitHub's rate limit pauses JIT minting for the job's installation (or the App). */
    RATE_LIMITED("github_rate_limited");

    private final String label;

    Hold(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  /**
   * The runner was not registered because GitHub is held back ({@link Hold}); the claim was
   * released, the job is claimable again, and the agent comes back after {@code retryAfterSeconds}.
   */
  record GitHubHeld(Hold hold, String message, long retryAfterSeconds) implements ClaimOutcome {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.gitHubHeld(this);
    }

    @Override
    public Optional<String> metricResult() {
      return Optional.of(hold.label());
    }
  }

  /**
   * Runway cannot mint runners because of its own configuration or the App's: no App configured, a
   * key GitHub refuses, a permission the App lacks. Retrying soon will not help, but an operator
   * fixing it should not wait long either. {@code cause} is in words, and never holds a secret.
   */
  record ConfigError(String cause, long retryAfterSeconds) implements ClaimOutcome {
    @Override
    public <R> R accept(Visitor<R> visitor) {
      return visitor.configError(this);
    }

    @Override
    public Optional<String> metricResult() {
      return Optional.of("github_config");
    }
  }
}
