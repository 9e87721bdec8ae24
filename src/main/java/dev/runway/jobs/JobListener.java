package dev.runway.jobs;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Lets another feature (claims) react to a job's transitions inside the transaction that moved the
 * row, whoever moved it: a delivery's dispatch or the stale-job check.
 */
public interface JobListener {
  /** Called after the job row described by {@code job} moved to {@code status}. */
  void onTransition(Connection c, JobFacts job, JobStatus status) throws SQLException;

  JobListener NONE = (c, j, s) -> {};
}
