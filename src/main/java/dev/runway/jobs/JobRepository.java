package dev.runway.jobs;

import dev.runway.db.Sql;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** SQL for the {@code jobs} table. */
public final class JobRepository {
  static final String COLUMNS =
      "job_id, run_attempt, run_id, repository, owner_login, owner_is_org, installation_id,"
          + " account_id, name, workflow_name, labels, pool, status, outcome, outcome_detail,"
          + " conclusion, runner_id, runner_name, created_at_github, received_at, dispatched_at,"
          + " claimed_at, claim_id, lease_expires_at, started_at, completed_at, updated_at";

  /**
   * Serialises all work on one job id for the rest of the transaction, so two events of the same
   * job (on two workers or two replicas) apply one after the other.
   */
  public void lock(Connection c, long jobId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("select pg_advisory_xact_lock(?)")) {
      ps.setLong(1, jobId);
      ps.execute();
    }
  }

  public Optional<Job> find(Connection c, long jobId, int attempt) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select " + COLUMNS + " from jobs where job_id = ? and run_attempt = ?")) {
      ps.setLong(1, jobId);
      ps.setInt(2, attempt);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(map(rs)) : Optional.empty();
      }
    }
  }

  /** Everything an event knows about a job, written on insert or merged into an update. */
  public record JobFacts(
      long jobId,
      int runAttempt,
      Long runId,
      String repository,
      String ownerLogin,
      boolean ownerIsOrg,
      Long installationId,
      String name,
      String workflowName,
      List<String> labels,
      Instant createdAtGithub,
      Long runnerId,
      String runnerName,
      String conclusion,
      Instant startedAt,
      Instant completedAt) {}

  /**
   * Inserts the job, or moves an existing row to {@code status}, keeping what the row already knows
   * where the event does not say. The caller holds the job's lock and has checked that the move is
   * forward.
   */
  public void upsert(
      Connection c,
      JobFacts f,
      JobStatus status,
      Long accountId,
      String pool,
      String outcome,
      String outcomeDetail,
      boolean dispatched)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "insert into jobs (job_id, run_attempt, run_id, repository, owner_login, owner_is_org,"
                + " installation_id, account_id, name, workflow_name, labels, pool, status,"
                + " outcome, outcome_detail, conclusion, runner_id, runner_name,"
                + " created_at_github, started_at, completed_at, dispatched_at)"
                + " values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?, case when ? then now() end)"
                + " on conflict (job_id, run_attempt) do update set"
                + " run_id = coalesce(excluded.run_id, jobs.run_id),"
                + " repository = coalesce(excluded.repository, jobs.repository),"
                + " owner_login = coalesce(excluded.owner_login, jobs.owner_login),"
                + " installation_id = coalesce(excluded.installation_id, jobs.installation_id),"
                + " account_id = coalesce(excluded.account_id, jobs.account_id),"
                + " name = coalesce(excluded.name, jobs.name),"
                + " workflow_name = coalesce(excluded.workflow_name, jobs.workflow_name),"
                + " labels = case when cardinality(excluded.labels) > 0 then excluded.labels"
                + "   else jobs.labels end,"
                + " pool = coalesce(excluded.pool, jobs.pool),"
                + " status = excluded.status,"
                + " outcome = excluded.outcome,"
                + " outcome_detail = excluded.outcome_detail,"
                + " conclusion = coalesce(excluded.conclusion, jobs.conclusion),"
                + " runner_id = coalesce(excluded.runner_id, jobs.runner_id),"
                + " runner_name = coalesce(excluded.runner_name, jobs.runner_name),"
                + " created_at_github = coalesce(excluded.created_at_github, jobs.created_at_github),"
                + " started_at = coalesce(excluded.started_at, jobs.started_at),"
                + " completed_at = coalesce(excluded.completed_at, jobs.completed_at),"
                + " dispatched_at = coalesce(excluded.dispatched_at, jobs.dispatched_at),"
                + " updated_at = now()")) {
      int i = 0;
      ps.setLong(++i, f.jobId());
      ps.setInt(++i, f.runAttempt());
      Sql.setLong(ps, ++i, f.runId());
      ps.setString(++i, f.repository());
      ps.setString(++i, f.ownerLogin());
      ps.setBoolean(++i, f.ownerIsOrg());
      Sql.setLong(ps, ++i, f.installationId());
      Sql.setLong(ps, ++i, accountId);
      ps.setString(++i, f.name());
      ps.setString(++i, f.workflowName());
      ps.setArray(++i, c.createArrayOf("text", f.labels().toArray()));
      ps.setString(++i, pool);
      ps.setString(++i, status.db());
      ps.setString(++i, outcome);
      ps.setString(++i, outcomeDetail);
      ps.setString(++i, f.conclusion());
      Sql.setLong(ps, ++i, f.runnerId());
      ps.setString(++i, f.runnerName());
      Sql.setTime(ps, ++i, f.createdAtGithub());
      Sql.setTime(ps, ++i, f.startedAt());
      Sql.setTime(ps, ++i, f.completedAt());
      ps.setBoolean(++i, dispatched);
      ps.executeUpdate();
    }
  }

  /** Fills in the account and pool of a job that moved on before its queued event arrived. */
  public void fillDispatchFacts(Connection c, long jobId, int attempt, Long accountId, String pool)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update jobs set account_id = coalesce(account_id, ?), pool = coalesce(pool, ?),"
                + " updated_at = now() where job_id = ? and run_attempt = ?")) {
      Sql.setLong(ps, 1, accountId);
      ps.setString(2, pool);
      ps.setLong(3, jobId);
      ps.setInt(4, attempt);
      ps.executeUpdate();
    }
  }

  /** Re-evaluation of an ignored queued job: set its pool or its new ignore outcome. */
  public boolean reevaluate(
      Connection c,
      long jobId,
      int attempt,
      Long accountId,
      String pool,
      String outcome,
      String detail)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update jobs set account_id = coalesce(?, account_id), pool = ?, outcome = ?,"
                + " outcome_detail = ?, dispatched_at = now(), updated_at = now()"
                + " where job_id = ? and run_attempt = ? and status = 'queued'"
                + " and outcome is not null")) {
      Sql.setLong(ps, 1, accountId);
      ps.setString(2, pool);
      ps.setString(3, outcome);
      ps.setString(4, detail);
      ps.setLong(5, jobId);
      ps.setInt(6, attempt);
      return ps.executeUpdate() == 1;
    }
  }

  /** A filter for listing jobs; null fields do not filter. */
  public record Filter(
      String status, String outcome, String pool, String repository, Instant since, int limit) {
    public Filter(String status, String outcome, String pool, Instant since, int limit) {
      this(status, outcome, pool, null, since, limit);
    }
  }

  public List<Job> list(Connection c, Filter f) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select "
                + COLUMNS
                + " from jobs where (?::text is null or status = ?)"
                + " and (?::text is null or outcome = ?) and (?::text is null or pool = ?)"
                + " and (?::text is null or repository = ?)"
                + " and received_at >= ? order by received_at desc, job_id desc limit ?")) {
      ps.setString(1, f.status());
      ps.setString(2, f.status());
      ps.setString(3, f.outcome());
      ps.setString(4, f.outcome());
      ps.setString(5, f.pool());
      ps.setString(6, f.pool());
      ps.setString(7, f.repository());
      ps.setString(8, f.repository());
      ps.setTimestamp(9, Timestamp.from(f.since() == null ? Instant.EPOCH : f.since()));
      ps.setInt(10, f.limit());
      List<Job> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(map(rs));
        }
      }
      return out;
    }
  }

  static Job map(ResultSet rs) throws SQLException {
    Array labels = rs.getArray("labels");
    return new Job(
        rs.getLong("job_id"),
        rs.getInt("run_attempt"),
        (Long) rs.getObject("run_id"),
        rs.getString("repository"),
        rs.getString("owner_login"),
        rs.getBoolean("owner_is_org"),
        (Long) rs.getObject("installation_id"),
        (Long) rs.getObject("account_id"),
        rs.getString("name"),
        rs.getString("workflow_name"),
        labels == null ? List.of() : Arrays.asList((String[]) labels.getArray()),
        rs.getString("pool"),
        rs.getString("status"),
        rs.getString("outcome"),
        rs.getString("outcome_detail"),
        rs.getString("conclusion"),
        (Long) rs.getObject("runner_id"),
        rs.getString("runner_name"),
        Sql.instant(rs, "created_at_github"),
        Sql.instant(rs, "received_at"),
        Sql.instant(rs, "dispatched_at"),
        Sql.instant(rs, "claimed_at"),
        (Long) rs.getObject("claim_id"),
        Sql.instant(rs, "lease_expires_at"),
        Sql.instant(rs, "started_at"),
        Sql.instant(rs, "completed_at"),
        Sql.instant(rs, "updated_at"));
  }

  /**
   * Deletes at most {@code limit} jobs that completed (by their last change) before {@code before};
   * returns how many. Retention's batch: one short transaction that holds few row locks.
   */
  public int deleteCompletedBefore(Connection c, Instant before, int limit) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "delete from jobs where (job_id, run_attempt) in (select job_id, run_attempt from jobs"
                + " where status = 'completed' and updated_at < ? limit ?)")) {
      ps.setTimestamp(1, Timestamp.from(before));
      ps.setInt(2, limit);
      return ps.executeUpdate();
    }
  }
}
