package dev.runway.jobs;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * Lets another feature (claims) react to a job's transitions inside the transaction that moved the
 * row, whoever moved it: a delivery's dispatch or the stale-job check.
 */
public interface JobListener {
  /** One job row that moved to {@code status}. */
  record Moved(JobFacts job, JobStatus status) {}

  /** Called after the job row described by {@code job} moved to {@code status}. */
  void onTransition(Connection c, JobFacts job, JobStatus status) throws SQLException;

  /**
   * Called once for the rows a dispatch batch moved; a listener that can answer a batch with one
   * query overrides it. The same as one {@link #onTransition} per row.
   */
  default void onTransitions(Connection c, List<Moved> moved) throws SQLException {
    for (Moved m : moved) {
      onTransition(c, m.job(), m.status());
    }
  }

  /** Both listeners, {@code first} first, one row or one batch at a time. */
  static JobListener both(JobListener first, JobListener second) {
    return new JobListener() {
      @Override
      public void onTransition(Connection c, JobFacts job, JobStatus status) throws SQLException {
        first.onTransition(c, job, status);
        second.onTransition(c, job, status);
      }

      @Override
      public void onTransitions(Connection c, List<Moved> moved) throws SQLException {
        first.onTransitions(c, moved);
        second.onTransitions(c, moved);
      }
    };
  }

  JobListener NONE = (c, j, s) -> {};
}
