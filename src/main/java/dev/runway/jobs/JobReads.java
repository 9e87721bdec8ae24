package dev.runway.jobs;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * What the operator's views read of the {@code jobs} table. Reads only: a caller that holds this
 * can change no job, so the web UI need not be one of {@link JobRepository}'s named callers. The
 * statements stay in the repository, the table's one file of SQL.
 */
public final class JobReads {
  private final JobRepository jobs = new JobRepository();

  /** Newest first, as the jobs list filters them. */
  public List<Job> list(Connection c, JobRepository.Filter f) throws SQLException {
    return jobs.list(c, f);
  }

  /** One job attempt, if Runway has it. */
  public Optional<Job> find(Connection c, long jobId, int attempt) throws SQLException {
    return jobs.find(c, jobId, attempt);
  }
}
