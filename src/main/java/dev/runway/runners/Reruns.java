package dev.runway.runners;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/** The read side of runner-loss reruns, for a job's page and {@code GET /api/v1/jobs/{id}}. */
public final class Reruns {
  private Reruns() {}

  /** Each rerun decision about the job, over all its attempts, oldest first. */
  public static List<RerunAttempt> of(Connection c, long jobId) throws SQLException {
    return new RerunRepository().forJob(c, jobId);
  }
}
