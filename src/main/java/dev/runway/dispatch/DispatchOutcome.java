package dev.runway.dispatch;

import java.util.List;

/**
 * How one delivery settled. {@link #label()} is the {@code outcome} label of {@code
 * runway_dispatch_outcomes_total} and the inbox row's outcome; these names are contracts (see
 * docs/operations.md for what each means and what to do about it).
 */
sealed interface DispatchOutcome {
  String label();

  /** A detail kept on the inbox row and the job, for explaining the outcome. */
  default String detail() {
    return null;
  }

  /** Whether this outcome is a reason a queued job is not claimable. */
  /** The pool the job is claimable in; null unless {@link Queued}. */
  default String pool() {
    return null;
  }

  default boolean isIgnore() {
    return false;
  }

  record Queued(String pool) implements DispatchOutcome {
    public String label() {
      return "queued";
    }

    public String detail() {
      return "pool " + pool;
    }
  }

  record Waiting() implements DispatchOutcome {
    public String label() {
      return "waiting";
    }
  }

  record InProgress() implements DispatchOutcome {
    public String label() {
      return "in_progress";
    }
  }

  record Completed() implements DispatchOutcome {
    public String label() {
      return "completed";
    }
  }

  /** No account has the job's installation id or owner login; the detail says what to run. */
  record NoAccount(String ownerLogin, Long installationId) implements DispatchOutcome {
    public String label() {
      return "no_account";
    }

    public String detail() {
      String owner = ownerLogin == null ? "OWNER" : ownerLogin;
      // Plain quotes: the detail is shown in the log and on the UI's job page as typed.
      return "no account for "
          + owner
          + (installationId == null ? "" : " (installation " + installationId + ")")
          + ": run 'runway accounts set "
          + owner
          + (installationId == null ? "" : " --installation-id " + installationId)
          + " --enabled', then 'runway jobs redispatch --outcome no_account'";
    }

    public boolean isIgnore() {
      return true;
    }
  }

  record RunnersDisabled(String why) implements DispatchOutcome {
    public String label() {
      return "runners_disabled";
    }

    public String detail() {
      return why;
    }

    public boolean isIgnore() {
      return true;
    }
  }

  record NoMatchingPool(List<String> jobLabels) implements DispatchOutcome {
    public String label() {
      return "no_matching_pool";
    }

    public String detail() {
      return "no pool has all of " + jobLabels;
    }

    public boolean isIgnore() {
      return true;
    }
  }

  /** The pool source answered, and it listed zero pools. Never used for "could not answer". */
  record NoPools(String source) implements DispatchOutcome {
    public String label() {
      return "no_pools";
    }

    public String detail() {
      return source + " lists no pools";
    }

    public boolean isIgnore() {
      return true;
    }
  }

  record AmbiguousPool(List<String> candidates) implements DispatchOutcome {
    public String label() {
      return "ambiguous_pool";
    }

    public String detail() {
      return String.join(",", candidates);
    }

    public boolean isIgnore() {
      return true;
    }
  }

  /** The delivery changed nothing: a stale, duplicate or unused event. */
  record Ignored(String why) implements DispatchOutcome {
    public String label() {
      return "ignored";
    }

    public String detail() {
      return why;
    }
  }
}
