package dev.runway.claims;

/** What one attempt to start a warm runner came to. */
public sealed interface WarmOutcome {

  /**
   * A warm claim was made and its just-in-time runner registered for {@code account}. {@code
   * encodedJitConfig} goes into the runner's Secret and nowhere else.
   */
  record Started(long claimId, String runnerName, String account, String encodedJitConfig)
      implements WarmOutcome {
    @Override
    public String toString() {
      return "Started[claimId="
          + claimId
          + ", runnerName="
          + runnerName
          + ", account="
          + account
          + ", encodedJitConfig=<redacted>]";
    }
  }

  /** No warm runner now, and why: a {@code Warm} condition's reason and message. */
  record NotNow(Why why, String detail) implements WarmOutcome {}

  /** Why no warm runner was started. */
  enum Why {
    /** The pool has its {@code minIdle} idle runners. */
    ENOUGH,
    /** Jobs wait in the pool: they get its capacity first. */
    JOBS_WAITING,
    /** No account had jobs dispatched to the pool lately: nobody to register a runner for. */
    NO_RECENT_ACCOUNT,
    /** The pool is at its {@code maxRunners}. */
    POOL_FULL,
    /** Every recent account is at its {@code max_concurrent}. */
    ACCOUNTS_FULL,
    /** The database, the pool source or GitHub did not answer; the next attempt is later. */
    UNAVAILABLE
  }
}
