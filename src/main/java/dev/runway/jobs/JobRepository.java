// Over 400 lines because it is the one writer of the jobs table: every statement that changes the
// table is here, where ArchitectureTest looks for them; each is a short method.
package dev.runway.jobs;

import dev.runway.platform.db.Sql;
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

/**
 * SQL for the {@code jobs} table: the one class that writes it (an architecture test names its
 * callers). Every instant it writes comes from the caller's injected clock, passed as {@code now},
 * never from the database's {@code now()}: the stale-job check and the lease reaper compare these
 * columns with that clock, and tests move it.
 */
public final class JobRepository {
  static final String COLUMNS =
      "job_id, run_attempt, run_id, repository, owner_login, owner_is_org, installation_id,"
          + " account_id, name, workflow_name, labels, pool, status, outcome, outcome_detail,"
          + " conclusion, runner_id, runner_name, created_at_github, received_at, dispatched_at,"
          + " claimed_at, lease_expires_at, started_at, completed_at, updated_at,"
          + " in_progress_at, source";

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

  /**
   * {@link #lock} in the lock order of jobs (by id, see {@code claims.ClaimLocks}), for a job a
   * transaction takes after others: it waits only when {@code jobId} is above every job lock this
   * transaction holds, and otherwise only tries, since waiting there could close a cycle with a
   * transaction that locks in id order (a dispatch batch).
   *
   * @return whether this transaction holds the job's lock now (also when it already did)
   */
  public boolean lockInOrder(Connection c, long jobId) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            // Single-bigint advisory keys show in pg_locks as classid (high 32 bits), objid (low
            // 32 bits) and objsubid 1.
            "select coalesce(max((classid::bigint << 32) | objid::bigint), -1) from pg_locks"
                + " where locktype = 'advisory' and objsubid = 1 and granted"
                + " and pid = pg_backend_pid()")) {
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (jobId > rs.getLong(1)) {
          lock(c, jobId);
          return true;
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement("select pg_try_advisory_xact_lock(?)")) {
      ps.setLong(1, jobId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
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

  /** The latest attempt of the job, if Runway has any. */
  public Optional<Job> findLatest(Connection c, long jobId) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select "
                + COLUMNS
                + " from jobs where job_id = ? order by run_attempt desc limit 1")) {
      ps.setLong(1, jobId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(map(rs)) : Optional.empty();
      }
    }
  }

  /**
   * One job row to insert or move forward: the facts of the event, the status it moves to, and what
   * dispatch decided (account, pool, an ignore outcome), null where the event says nothing.
   */
  public record Upsert(
      JobFacts f,
      JobStatus status,
      Long accountId,
      String pool,
      String outcome,
      String outcomeDetail,
      boolean dispatched,
      Instant receivedAt,
      String source) {
    public Upsert(
        JobFacts f,
        JobStatus status,
        Long accountId,
        String pool,
        String outcome,
        String outcomeDetail,
        boolean dispatched,
        Instant receivedAt) {
      this(f, status, accountId, pool, outcome, outcomeDetail, dispatched, receivedAt, WEBHOOK);
    }
  }

  /** {@code jobs.source}: a webhook's job. */
  public static final String WEBHOOK = "webhook";

  /** {@code jobs.source}: a job only the sweep of GitHub's queue found. */
  public static final String SWEEP = "sweep";

  /**
   * The GUID prefix of the deliveries the sweep writes for the jobs it found: dispatch records such
   * a job's source as {@link #SWEEP}.
   */
  public static final String SWEEP_GUID_PREFIX = "sweep-";

  private static final String UPSERT =
      "insert into jobs (job_id, run_attempt, run_id, repository, owner_login, owner_is_org,"
          + " installation_id, account_id, name, workflow_name, labels, pool, status,"
          + " outcome, outcome_detail, conclusion, runner_id, runner_name,"
          + " created_at_github, started_at, completed_at, dispatched_at, received_at,"
          + " updated_at, in_progress_at, source)"
          + " values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?, case when ? then ?::timestamptz end, ?, ?,"
          + " ?, ?)"
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
          + " in_progress_at = coalesce(jobs.in_progress_at, excluded.in_progress_at),"
          // The first to bring the job names its source; a later webhook does not rewrite it.
          + " updated_at = excluded.updated_at";

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
      boolean dispatched,
      Instant receivedAt,
      Instant now)
      throws SQLException {
    upsertAll(
        c,
        List.of(
            new Upsert(f, status, accountId, pool, outcome, outcomeDetail, dispatched, receivedAt)),
        now);
  }

  /**
   * {@link #upsert} for many jobs, sent as one JDBC batch (one round trip). The caller holds every
   * job's lock and has checked that each move is forward; each job appears at most once.
   */
  public void upsertAll(Connection c, List<Upsert> rows, Instant now) throws SQLException {
    if (rows.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement(UPSERT)) {
      for (Upsert u : rows) {
        bindUpsert(c, ps, u, now);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private static void bindUpsert(Connection c, PreparedStatement ps, Upsert u, Instant now)
      throws SQLException {
    int i = 0;
    ps.setLong(++i, u.f().jobId());
    ps.setInt(++i, u.f().runAttempt());
    Sql.setLong(ps, ++i, u.f().runId());
    ps.setString(++i, u.f().repository());
    ps.setString(++i, u.f().ownerLogin());
    ps.setBoolean(++i, u.f().ownerIsOrg());
    Sql.setLong(ps, ++i, u.f().installationId());
    Sql.setLong(ps, ++i, u.accountId());
    ps.setString(++i, u.f().name());
    ps.setString(++i, u.f().workflowName());
    ps.setArray(++i, c.createArrayOf("text", u.f().labels().toArray()));
    ps.setString(++i, u.pool());
    ps.setString(++i, u.status().db());
    ps.setString(++i, u.outcome());
    ps.setString(++i, u.outcomeDetail());
    ps.setString(++i, u.f().conclusion());
    Sql.setLong(ps, ++i, u.f().runnerId());
    ps.setString(++i, u.f().runnerName());
    Sql.setTime(ps, ++i, u.f().createdAtGithub());
    Sql.setTime(ps, ++i, u.f().startedAt());
    Sql.setTime(ps, ++i, u.f().completedAt());
    ps.setBoolean(++i, u.dispatched());
    Sql.setTime(ps, ++i, now);
    // The receipt time of the delivery that creates the row; a later event keeps it.
    Sql.setTime(ps, ++i, u.receivedAt() == null ? now : u.receivedAt());
    Sql.setTime(ps, ++i, now);
    // Runway's own time of the in_progress stage; kept once set, whatever comes later.
    Sql.setTime(ps, ++i, u.status() == JobStatus.IN_PROGRESS ? now : null);
    ps.setString(++i, u.source() == null ? WEBHOOK : u.source());
  }

  /**
   * {@link #lock} for many jobs in one statement. The ids are locked in ascending order, so two
   * batches that share jobs wait for each other instead of deadlocking.
   */
  public void lockAll(Connection c, java.util.Collection<Long> jobIds) throws SQLException {
    Long[] ids = jobIds.stream().distinct().sorted().toArray(Long[]::new);
    if (ids.length == 0) {
      return;
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "select count(pg_advisory_xact_lock(id)) from unnest(?::bigint[]) as t(id)")) {
      ps.setArray(1, c.createArrayOf("bigint", ids));
      ps.execute();
    }
  }

  /** The rows of the given jobs ({@code job_id/run_attempt} keys), by key. */
  public java.util.Map<String, Job> findAll(Connection c, List<long[]> keys) throws SQLException {
    java.util.Map<String, Job> out = new java.util.HashMap<>();
    if (keys.isEmpty()) {
      return out;
    }
    Long[] ids = keys.stream().map(k -> k[0]).toArray(Long[]::new);
    Integer[] attempts = keys.stream().map(k -> (int) k[1]).toArray(Integer[]::new);
    try (PreparedStatement ps =
        c.prepareStatement(
            // A join from the keys, not "in (select unnest ...)": the semi-join form got a
            // cached plan that scanned the whole table once per dispatch batch.
            "select "
                + COLUMNS
                + " from unnest(?::bigint[], ?::int[]) as k(job_id, run_attempt)"
                + " join jobs using (job_id, run_attempt)")) {
      ps.setArray(1, c.createArrayOf("bigint", ids));
      ps.setArray(2, c.createArrayOf("int", attempts));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Job j = map(rs);
          out.put(j.jobId() + "/" + j.runAttempt(), j);
        }
      }
    }
    return out;
  }

  /**
   * The pools of the given jobs ({@code job_id/run_attempt} keys) that are claimable (queued with a
   * pool and no ignore outcome) or completed: where a claimer may now find work or room.
   */
  public java.util.Set<String> claimableOrEndedPools(Connection c, List<long[]> keys)
      throws SQLException {
    java.util.Set<String> out = new java.util.TreeSet<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "select distinct pool from unnest(?::bigint[], ?::int[]) as k(job_id, run_attempt)"
                + " join jobs using (job_id, run_attempt) where pool is not null"
                + " and ((status = 'queued' and outcome is null) or status = 'completed')")) {
      ps.setArray(1, c.createArrayOf("bigint", keys.stream().map(k -> k[0]).toArray(Long[]::new)));
      ps.setArray(
          2, c.createArrayOf("int", keys.stream().map(k -> (int) k[1]).toArray(Integer[]::new)));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
    }
    return out;
  }

  /** Fills in the account and pool of a job that moved on before its queued event arrived. */
  public void fillDispatchFacts(
      Connection c, long jobId, int attempt, Long accountId, String pool, Instant now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update jobs set account_id = coalesce(account_id, ?), pool = coalesce(pool, ?),"
                + " updated_at = ? where job_id = ? and run_attempt = ?")) {
      Sql.setLong(ps, 1, accountId);
      ps.setString(2, pool);
      Sql.setTime(ps, 3, now);
      ps.setLong(4, jobId);
      ps.setInt(5, attempt);
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
      String detail,
      Instant now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update jobs set account_id = coalesce(?, account_id), pool = ?, outcome = ?,"
                + " outcome_detail = ?, dispatched_at = ?, updated_at = ?"
                + " where job_id = ? and run_attempt = ? and status = 'queued'"
                + " and outcome is not null")) {
      Sql.setLong(ps, 1, accountId);
      ps.setString(2, pool);
      ps.setString(3, outcome);
      ps.setString(4, detail);
      Sql.setTime(ps, 5, now);
      Sql.setTime(ps, 6, now);
      ps.setLong(7, jobId);
      ps.setInt(8, attempt);
      return ps.executeUpdate() == 1;
    }
  }

  /**
   * Moves a claimable job (queued, not ignored) out of {@code fromPool}, which its source no longer
   * lists: into {@code pool}, or to an ignore {@code outcome}. {@code note} says what happened, for
   * the job page and the API ({@code outcome_detail}). The caller holds the job's lock.
   *
   * @return false when the job is no longer claimable in {@code fromPool} (claimed meanwhile)
   */
  public boolean rematch(
      Connection c,
      long jobId,
      int attempt,
      String fromPool,
      Long accountId,
      String pool,
      String outcome,
      String note,
      Instant now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update jobs set account_id = coalesce(?, account_id), pool = ?, outcome = ?,"
                + " outcome_detail = ?, dispatched_at = ?, updated_at = ?"
                + " where job_id = ? and run_attempt = ? and status = 'queued'"
                + " and outcome is null and pool = ?")) {
      Sql.setLong(ps, 1, accountId);
      ps.setString(2, pool);
      ps.setString(3, outcome);
      ps.setString(4, note);
      Sql.setTime(ps, 5, now);
      Sql.setTime(ps, 6, now);
      ps.setLong(7, jobId);
      ps.setInt(8, attempt);
      ps.setString(9, fromPool);
      return ps.executeUpdate() == 1;
    }
  }

  /**
   * What the claim answer and the JIT request need of a claimed job. A queued job becomes claimed
   * only in the claim transaction, through this feature's SQL {@code jobs_mark_claimed} (V34),
   * which the claims' server-side claim calls: the whole claim is one round trip.
   */
  public record ClaimedJob(
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
      String pool,
      Instant receivedAt,
      Instant dispatchedAt) {}

  /**
   * The claimed job moved to another claim, and takes that claim's lease, {@code leasedUntil}.
   * Which claim holds a job is the claims' record ({@code claims.job_id}, V38); the caller holds
   * the job's lock and both claims' row locks, and has moved the job on the claims' side.
   *
   * @return whether the job was still claimed
   */
  public boolean handOver(Connection c, long jobId, int attempt, Instant leasedUntil, Instant now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update jobs set lease_expires_at = ?, updated_at = ?"
                + " where job_id = ? and run_attempt = ? and status = 'claimed'")) {
      Sql.setTime(ps, 1, leasedUntil);
      Sql.setTime(ps, 2, now);
      ps.setLong(3, jobId);
      ps.setInt(4, attempt);
      return ps.executeUpdate() == 1;
    }
  }

  /**
   * Puts the claimed job back to {@code queued}: the claim that held it let go. The caller holds
   * the job's lock and has seen, on the claims' side, that the claim letting go was its holder.
   *
   * @return whether the job was still claimed
   */
  public boolean requeue(Connection c, long jobId, int attempt, Instant now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update jobs set status = 'queued', claimed_at = null, lease_expires_at = null,"
                + " updated_at = ? where job_id = ? and run_attempt = ? and status = 'claimed'")) {
      Sql.setTime(ps, 1, now);
      ps.setLong(2, jobId);
      ps.setInt(3, attempt);
      return ps.executeUpdate() == 1;
    }
  }

  /**
   * Records that a runner of {@code pool} took the job: no lease bounds it any more, and the job
   * takes the runner's pool (and its account by installation) if it never had them, so it counts
   * against the caps like any claimed job.
   */
  public void takenByRunner(Connection c, String pool, long jobId, int attempt, Instant now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update jobs j set lease_expires_at = null, updated_at = ?,"
                + " pool = coalesce(j.pool, ?),"
                + " account_id = coalesce(j.account_id,"
                + "   (select a.id from accounts a where a.installation_id = j.installation_id))"
                + " where job_id = ? and run_attempt = ?")) {
      Sql.setTime(ps, 1, now);
      ps.setString(2, pool);
      ps.setLong(3, jobId);
      ps.setInt(4, attempt);
      ps.executeUpdate();
    }
  }

  /** Completes a job GitHub has given up on, with the conclusion {@code stale}. */
  public void markStale(Connection c, long jobId, int attempt, Instant now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update jobs set status = 'completed', conclusion = 'stale', completed_at = ?,"
                + " checked_at = ?, updated_at = ? where job_id = ? and run_attempt = ?")) {
      Sql.setTime(ps, 1, now);
      Sql.setTime(ps, 2, now);
      Sql.setTime(ps, 3, now);
      ps.setLong(4, jobId);
      ps.setInt(5, attempt);
      ps.executeUpdate();
    }
  }

  /** Records that GitHub was asked about the job at {@code now}. */
  public void markChecked(Connection c, long jobId, int attempt, Instant now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("update jobs set checked_at = ? where job_id = ? and run_attempt = ?")) {
      Sql.setTime(ps, 1, now);
      ps.setLong(2, jobId);
      ps.setInt(3, attempt);
      ps.executeUpdate();
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
        Sql.instant(rs, "lease_expires_at"),
        Sql.instant(rs, "started_at"),
        Sql.instant(rs, "completed_at"),
        Sql.instant(rs, "updated_at"),
        Sql.instant(rs, "in_progress_at"),
        rs.getString("source"));
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
