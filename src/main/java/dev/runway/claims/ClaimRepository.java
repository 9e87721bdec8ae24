// Over 400 lines because it is the one writer of the claims table, its runner columns included:
// every statement that changes the table is here, where ArchitectureTest looks for them; each is a
// short method.
package dev.runway.claims;

import dev.runway.jobs.JobRepository.ClaimedJob;
import dev.runway.pools.Pool;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SQL for the {@code claims} table, and the claims' reads of {@code jobs} (its writes go through
 * {@link dev.runway.jobs.JobRepository}). Every instant comes from the caller's clock, never from
 * {@code now()}, so tests can move time.
 *
 * <p>Caps count jobs in {@code claimed} and {@code in_progress}. Only a claim makes such a job
 * where there was none, and every claim of a pool holds that pool's advisory lock, and every claim
 * for an account that account's advisory lock, while it counts and marks: so two claims can never
 * both see the last free slot. (A job taken by a runner Runway did not start also counts, but
 * Runway cannot cap what it did not start.)
 */
public final class ClaimRepository {
  private static final Logger log = LoggerFactory.getLogger(ClaimRepository.class);

  /** Advisory lock key spaces (two-int keys never collide with the jobs' one-bigint keys). */
  private static final int POOL_LOCKS = 0x72770001;

  private static final int ACCOUNT_LOCKS = 0x72770002;

  /**
   * A claim row.
   *
   * @param jobId the job it holds or took; {@link #NO_JOB} for a warm claim that has none yet, or a
   *     job claim whose job another runner took (V38)
   * @param warm whether it was created for {@code minIdle}, not for a job
   */
  public record Claim(
      long id,
      long jobId,
      int runAttempt,
      String pool,
      String runnerName,
      String status,
      Instant createdAt,
      Instant boundAt,
      boolean warm) {
    public boolean hasJob() {
      return jobId != NO_JOB;
    }
  }

  /** The job id read from a null {@code claims.job_id}: job ids GitHub hands out are positive. */
  public static final long NO_JOB = 0;

  private static final String CLAIM_COLUMNS =
      "id, job_id, run_attempt, pool, runner_name, status, created_at, bound_at, warm";

  /**
   * Idle warm claims (warm, active, holding no job) of a pool: each holds one place in the caps
   * that no job row counts, so the cap counts add them.
   */
  private static final String IDLE_WARM = "warm and status = 'active' and job_id is null";

  /**
   * Waits until the claim transaction this connection just committed is on disk. Its commit does
   * not wait for the flush (V37: that wait held the pool's and the accounts' locks), so this one
   * does, outside every lock: it locks one of the claims that transaction wrote, which writes WAL,
   * and commits durably, and a flush covers everything written before it. A short row lock; the
   * claim is not yet known to anyone who could hold it.
   *
   * @throws SQLException also when none of {@code claimIds} is there any more, since then nothing
   *     was flushed here; the caller treats it as a commit in doubt
   */
  void awaitDurable(Connection c, List<Long> claimIds) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select 1 from claims cl, set_config('synchronous_commit', 'on', true)"
                + " where cl.id = any (?) order by cl.id limit 1 for update of cl")) {
      ps.setArray(1, c.createArrayOf("bigint", claimIds.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("claims " + claimIds + " vanished before their flush", "55000");
        }
      }
    }
    c.commit();
  }

  /** Serialises all claims of {@code pool} until the transaction ends. */
  void lockPool(Connection c, String pool) throws SQLException {
    lock(c, POOL_LOCKS, pool.hashCode());
  }

  /** Serialises all claims for {@code accountId}, in any pool, until the transaction ends. */
  void lockAccount(Connection c, long accountId) throws SQLException {
    lock(c, ACCOUNT_LOCKS, Long.hashCode(accountId));
  }

  /**
   * As {@link #lockAccount}, without waiting: for an account taken out of the lock order (see
   * {@link ClaimLocks}).
   *
   * @return whether this transaction holds it now
   */
  boolean tryLockAccount(Connection c, long accountId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("select pg_try_advisory_xact_lock(?, ?)")) {
      ps.setInt(1, ACCOUNT_LOCKS);
      ps.setInt(2, Long.hashCode(accountId));
      return ClaimLocks.firstBoolean(ps);
    }
  }

  private static void lock(Connection c, int space, int key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("select pg_advisory_xact_lock(?, ?)")) {
      ps.setInt(1, space);
      ps.setInt(2, key);
      ps.execute();
    }
  }

  /**
   * Runner places taken in {@code pool}: jobs claimed or in progress, plus idle warm runners (a
   * warm claim that holds or took a job is counted through that job).
   */
  long activeInPool(Connection c, String pool) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select (select count(*) from jobs where pool = ? and status in ('claimed',"
                + " 'in_progress')) + (select count(*) from claims where pool = ? and "
                + IDLE_WARM
                + ")")) {
      ps.setString(1, pool);
      ps.setString(2, pool);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /**
   * Whether {@code accountId} may have one more job claimed: runners allowed, and fewer claimed or
   * in-progress jobs across all pools than {@code max_concurrent}.
   */
  boolean accountHasRoom(Connection c, long accountId) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select a.runners_enabled and not a.installation_suspended and a.max_concurrent >"
                + " (select count(*) from jobs j where j.account_id = a.id"
                + "  and j.status in ('claimed', 'in_progress'))"
                + " + (select count(*) from claims w where w.account_id = a.id and w."
                + IDLE_WARM.replace(" and ", " and w.")
                + ")"
                + " from accounts a where a.id = ?")) {
      ps.setLong(1, accountId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  /** An idle warm claim that the claim transaction handed a claimable job. */
  record Handoff(long claimId, long jobId, int runAttempt) {}

  /**
   * What one claim transaction decided: the jobs handed to idle warm runners, then either the new
   * claim and its job or why there is none ({@code nothing}).
   */
  record Decision(
      List<Handoff> handoffs, Claim claim, ClaimedJob job, ClaimOutcome.Reason nothing) {}

  /**
   * The claim transaction, decided in the server in one round trip by {@code claims_claim} (V34):
   * the pool's lock; idle warm runners of the pool take claimable jobs first; the pool's cap; then
   * the accounts in the order of their oldest claimable job, each locked in the order of {@link
   * ClaimLocks} and stepped past when at its cap, held by another claim or with nothing to take;
   * inside the first that has room, the job of the fair-share rule ({@code claims_fair_pick}): the
   * oldest job of the repository with the lowest share (its claimed and in-progress jobs across all
   * pools divided by {@code repository_settings.weight}), ties to the oldest job, a repository at
   * its own {@code max_concurrent} skipped. Jobs change only through {@code jobs_mark_claimed}, the
   * jobs feature's claim intent. The caller commits, which releases the locks without waiting for
   * the disk (V37), and then calls {@link #awaitDurable} before it tells anyone of the claim.
   *
   * @param maxSkipped how many accounts the claim steps past at most
   */
  Decision claim(Connection c, Pool pool, Instant now, Instant leasedUntil, int maxSkipped)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("select * from claims_claim(?, ?, ?, ?, ?, ?, ?, ?)")) {
      ps.setString(1, pool.name());
      ps.setInt(2, POOL_LOCKS);
      ps.setInt(3, ACCOUNT_LOCKS);
      ps.setInt(4, pool.name().hashCode());
      ps.setObject(5, pool.maxRunners(), Types.INTEGER);
      setTime(ps, 6, now);
      setTime(ps, 7, leasedUntil);
      ps.setInt(8, maxSkipped);
      List<Handoff> handoffs = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String kind = rs.getString("o_kind");
          switch (kind) {
            case "warm" ->
                handoffs.add(
                    new Handoff(
                        rs.getLong("o_claim_id"),
                        rs.getLong("o_job_id"),
                        rs.getInt("o_run_attempt")));
            case "claimed" -> {
              ClaimedJob job = claimedJob(rs, pool.name());
              Claim claim =
                  new Claim(
                      rs.getLong("o_claim_id"),
                      job.jobId(),
                      job.runAttempt(),
                      pool.name(),
                      rs.getString("o_runner_name"),
                      "active",
                      now,
                      null,
                      false);
              return new Decision(handoffs, claim, job, null);
            }
            default -> {
              return new Decision(handoffs, null, null, ClaimOutcome.Reason.of(kind));
            }
          }
        }
      }
      throw new IllegalStateException("claims_claim answered no decision");
    }
  }

  private static ClaimedJob claimedJob(ResultSet rs, String pool) throws SQLException {
    Array labels = rs.getArray("o_labels");
    return new ClaimedJob(
        rs.getLong("o_job_id"),
        rs.getInt("o_run_attempt"),
        (Long) rs.getObject("o_run_id"),
        rs.getString("o_repository"),
        rs.getString("o_owner_login"),
        rs.getBoolean("o_owner_is_org"),
        (Long) rs.getObject("o_installation_id"),
        rs.getString("o_name"),
        rs.getString("o_workflow_name"),
        labels == null ? List.of() : Arrays.asList((String[]) labels.getArray()),
        pool,
        time(rs, "o_received_at"),
        time(rs, "o_dispatched_at"));
  }

  /** Where a warm runner registers, and for which account. */
  record WarmScope(long accountId, long installationId, String owner, String repo, boolean org) {}

  /** Inserts an active warm claim, holding no job, for a runner registered at {@code scope}. */
  Claim insertWarmClaim(
      Connection c, WarmScope scope, String pool, Instant now, Instant leasedUntil)
      throws SQLException {
    long id;
    try (PreparedStatement ps =
        c.prepareStatement("select nextval(pg_get_serial_sequence('claims', 'id'))")) {
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        id = rs.getLong(1);
      }
    }
    String runnerName = RunnerNames.of(pool, id);
    try (PreparedStatement ps =
        c.prepareStatement(
            "insert into claims (id, pool, account_id, runner_name, status, leased_until,"
                + " created_at, warm, runner_owner, runner_repo, runner_org)"
                + " values (?, ?, ?, ?, 'active', ?, ?, true, ?, ?, ?)")) {
      ps.setLong(1, id);
      ps.setString(2, pool);
      ps.setLong(3, scope.accountId());
      ps.setString(4, runnerName);
      setTime(ps, 5, leasedUntil);
      setTime(ps, 6, now);
      ps.setString(7, scope.owner());
      ps.setString(8, scope.repo());
      ps.setBoolean(9, scope.org());
      ps.executeUpdate();
    }
    return new Claim(id, NO_JOB, 0, pool, runnerName, "active", now, null, true);
  }

  /**
   * The claim no longer holds that job: another runner took it, it was cancelled, or the lease ran
   * out. A warm claim is idle again, its runner still waiting for work; a job claim holds no place
   * now, and its lease ends it unless its runner takes a job. The job's side is the caller's, under
   * the job's lock (a claimed job it held goes back to {@code queued}, or another claim took it).
   *
   * @return whether the claim was active and held that job
   */
  public boolean unassign(Connection c, long claimId, long jobId, int attempt) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update claims set job_id = null, run_attempt = null where id = ?"
                + " and status = 'active' and job_id = ? and run_attempt = ?")) {
      ps.setLong(1, claimId);
      ps.setLong(2, jobId);
      ps.setInt(3, attempt);
      return ps.executeUpdate() == 1;
    }
  }

  /** As {@link #unassign}, for the warm claims holding a job that completed before any took it. */
  public int unassignHoldersOf(Connection c, long jobId, int attempt) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update claims set job_id = null, run_attempt = null where job_id = ?"
                + " and run_attempt = ? and warm and status = 'active'")) {
      ps.setLong(1, jobId);
      ps.setInt(2, attempt);
      return ps.executeUpdate();
    }
  }

  /** Idle warm runners of {@code pool}, of any account. */
  long idleWarmCount(Connection c, String pool) throws SQLException {
    return count(c, "select count(*) from claims where pool = ? and " + IDLE_WARM, pool);
  }

  /** Whether {@code pool} has a claimable job: jobs get capacity before new warm runners. */
  boolean hasClaimable(Connection c, String pool) throws SQLException {
    return count(
            c,
            "select count(*) from (select 1 from jobs where status = 'queued' and outcome is null"
                + " and pool = ? and account_id is not null limit 1) q",
            pool)
        > 0;
  }

  /**
   * Accounts whose jobs were dispatched to {@code pool} since {@code since}, with how many, where
   * their runners register (the owner of their latest job, and its repository for a user), and how
   * many idle warm claims the pool has for each. Accounts that may not run jobs are left out.
   */
  List<WarmAccounts.Recent> recentAccounts(Connection c, String pool, Instant since)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select a.id, a.installation_id, r.jobs, l.owner, l.repository, l.org,"
                + " (select count(*) from claims w where w.pool = ? and w.account_id = a.id"
                + "  and w.warm and w.status = 'active' and w.job_id is null) as warm"
                + " from (select account_id, count(*) as jobs from jobs"
                + "  where pool = ? and account_id is not null and received_at >= ?"
                + "  group by account_id) r"
                + " join accounts a on a.id = r.account_id"
                + " cross join lateral (select coalesce(j.owner_login,"
                + "   split_part(j.repository, '/', 1)) as owner, j.repository,"
                + "   j.owner_is_org as org from jobs j"
                + "  where j.pool = ? and j.account_id = a.id and j.repository is not null"
                + "  order by j.received_at desc, j.job_id desc limit 1) l"
                + " where a.runners_enabled and not a.installation_suspended"
                + " and a.max_concurrent > 0 and a.installation_id is not null"
                + " order by a.id")) {
      ps.setString(1, pool);
      ps.setString(2, pool);
      setTime(ps, 3, since);
      ps.setString(4, pool);
      List<WarmAccounts.Recent> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String repository = rs.getString(5);
          boolean org = rs.getBoolean(6);
          String owner = rs.getString(4);
          String repo = org ? null : repository.substring(repository.indexOf('/') + 1);
          out.add(
              new WarmAccounts.Recent(
                  new WarmScope(rs.getLong(1), rs.getLong(2), owner, repo, org),
                  rs.getLong(3),
                  rs.getInt(7)));
        }
      }
      return out;
    }
  }

  /**
   * Ends an active claim with {@code reason}. The caller puts the job it held back to {@code
   * queued}.
   *
   * @return the claim, if it was active
   */
  Optional<Claim> release(Connection c, long claimId, String reason, Instant now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update claims set status = 'released', ended_at = ?, end_reason = ?"
                + " where id = ? and status = 'active'"
                + " returning "
                + CLAIM_COLUMNS)) {
      setTime(ps, 1, now);
      ps.setString(2, reason);
      ps.setLong(3, claimId);
      return one(ps);
    }
  }

  /** Active claims whose lease ran out before {@code now}, oldest first, at most {@code limit}. */
  List<Long> expired(Connection c, Instant now, int limit) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            // An idle warm runner waits for work as long as it takes: no lease ends it. A job
            // claim whose runner is up (its starter said so) keeps its place: the lease bounds the
            // start only, and a runner that runs may have a job already, its in_progress late.
            // A job claim whose job another runner took holds none, and its lease still ends it.
            "select id from claims where status = 'active' and leased_until < ?"
                + " and ((warm and job_id is not null) or (not warm and state <> 'running'))"
                + " order by leased_until limit ?")) {
      setTime(ps, 1, now);
      ps.setInt(2, limit);
      List<Long> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getLong(1));
        }
      }
      return out;
    }
  }

  /** Whether the claim's runner is up ({@code state = 'running'}): its lease no longer applies. */
  boolean runnerRunning(Connection c, long id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("select 1 from claims where id = ? and state = 'running'")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  public Optional<Claim> find(Connection c, long id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("select " + CLAIM_COLUMNS + " from claims where id = ?")) {
      ps.setLong(1, id);
      return one(ps);
    }
  }

  /** The claim, locked for this transaction. */
  public Optional<Claim> lockClaim(Connection c, long id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("select " + CLAIM_COLUMNS + " from claims where id = ? for update")) {
      ps.setLong(1, id);
      return one(ps);
    }
  }

  /** The active claim other than {@code except} that holds the job's place, locked. */
  public Optional<Claim> activeHolder(Connection c, long jobId, int attempt, long except)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select "
                + CLAIM_COLUMNS
                + " from claims where job_id = ? and run_attempt = ? and status = 'active'"
                + " and id <> ? order by id limit 1 for update")) {
      ps.setLong(1, jobId);
      ps.setInt(2, attempt);
      ps.setLong(3, except);
      return one(ps);
    }
  }

  /**
   * Claim {@code to} now holds the job, handed over from the claim that held it.
   *
   * @return {@code to}'s lease, for the job row; empty if {@code to} is no longer active (it is
   *     locked by the caller, so that means the caller must roll back rather than hand a job to an
   *     ended claim)
   */
  public Optional<Instant> reassign(Connection c, long to, long jobId, int attempt)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update claims set job_id = ?, run_attempt = ? where id = ? and status = 'active'"
                + " returning leased_until")) {
      ps.setLong(1, jobId);
      ps.setInt(2, attempt);
      ps.setLong(3, to);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(time(rs, "leased_until")) : Optional.empty();
      }
    }
  }

  /**
   * The failure reasons that are Runway's decision, not an observation of the runner's end: a late
   * {@code in_progress} naming the runner revives such a claim ({@link #bind}).
   */
  private static final String REVIVABLE = "'lease_expired', 'stopped'";

  /**
   * Whether claim {@code id} was failed by Runway's bookkeeping (lease, scale-down) with no
   * reported end of its runner: a late {@code in_progress} revives it.
   */
  public boolean revivable(Connection c, long id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select 1 from claims where id = ? and state = 'failed' and exit_code is null"
                + " and state_reason in ("
                + REVIVABLE
                + ")")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /**
   * The claim's runner took that job.
   *
   * @return whether the claim exists (the caller holds its row lock)
   */
  public boolean bind(Connection c, long claimId, long jobId, int attempt, Instant now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update claims set status = 'bound', job_id = ?, run_attempt = ?, bound_at = ?,"
                + " ended_at = null, end_reason = null,"
                + " running_at = coalesce(running_at, ?),"
                // The runner took a job, so it runs, whatever its starter reported so far; and a
                // claim that Runway's own bookkeeping marked failed (its lease, a scale-down) while
                // no starter reported the runner's end is revived: its runner exists and works.
                + " state = case when state in ('claimed', 'launching') then 'running'"
                + "   when state = 'failed' and exit_code is null and state_reason in ("
                + REVIVABLE
                + ") then 'running' else state end,"
                + " state_reason = case when state = 'failed' and exit_code is null"
                + "   and state_reason in ("
                + REVIVABLE
                + ") then null else state_reason end"
                + " where id = ?")) {
      ps.setLong(1, jobId);
      ps.setInt(2, attempt);
      setTime(ps, 3, now);
      setTime(ps, 4, now);
      ps.setLong(5, claimId);
      return ps.executeUpdate() == 1;
    }
  }

  /**
   * When the claim's runner was first reported up ({@code running_at}), or empty if it never was.
   */
  public Optional<Instant> runningAt(Connection c, long claimId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("select running_at from claims where id = ?")) {
      ps.setLong(1, claimId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next()
            ? Optional.ofNullable(dev.runway.platform.db.Sql.instant(rs, "running_at"))
            : Optional.empty();
      }
    }
  }

  /**
   * Records the first report that the claim's runner is up; returns the claim (for its pool and
   * creation time) when this was that first report.
   */
  public Optional<Claim> markRunning(Connection c, long claimId, Instant now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update claims set running_at = ? where id = ? and running_at is null returning "
                + CLAIM_COLUMNS)) {
      setTime(ps, 1, now);
      ps.setLong(2, claimId);
      return one(ps);
    }
  }

  /** Ends the active or bound claims of a completed job. */
  public int complete(Connection c, long jobId, int attempt, Instant now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update claims set status = 'completed', ended_at = ?, end_reason = 'job completed',"
                // The runner that took the job is done with it even if its starter never says.
                + " state = case when status = 'bound' and state in ('claimed', 'launching',"
                + " 'running') then 'done' else state end"
                + " where job_id = ? and run_attempt = ? and status in ('active', 'bound')")) {
      setTime(ps, 1, now);
      ps.setLong(2, jobId);
      ps.setInt(3, attempt);
      return ps.executeUpdate();
    }
  }

  private static Optional<Claim> one(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        return Optional.empty();
      }
      return Optional.of(
          new Claim(
              rs.getLong("id"),
              rs.getLong("job_id"),
              rs.getInt("run_attempt"),
              rs.getString("pool"),
              rs.getString("runner_name"),
              rs.getString("status"),
              time(rs, "created_at"),
              time(rs, "bound_at"),
              rs.getBoolean("warm")));
    }
  }

  private static long count(Connection c, String sql, String arg) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, arg);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  public static void setTime(PreparedStatement ps, int i, Instant v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.TIMESTAMP_WITH_TIMEZONE);
    } else {
      ps.setObject(i, OffsetDateTime.ofInstant(v, ZoneOffset.UTC));
    }
  }

  public static Instant time(ResultSet rs, String col) throws SQLException {
    OffsetDateTime t = rs.getObject(col, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  /** Deletes at most {@code limit} claims that ended before {@code before}; returns how many. */
  int deleteEndedBefore(Connection c, Instant before, int limit) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "delete from claims where id in (select id from claims"
                + " where ended_at is not null and ended_at < ? limit ?)")) {
      setTime(ps, 1, before);
      ps.setInt(2, limit);
      return ps.executeUpdate();
    }
  }

  // ---- the runner columns (state, stderr line, runner id, loss), moved by RunnerStates ----

  /**
   * Moves the claim to {@code to} if it is in one of {@code from}.
   *
   * @return whether it moved (the row count was 1)
   */
  public boolean move(
      Connection c,
      long id,
      RunnerState to,
      String reason,
      Integer exitCode,
      Boolean jobStarted,
      Instant now,
      RunnerState... from)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update claims set state = ?, state_reason = ?, state_changed_at = ?,"
                + " exit_code = coalesce(?, exit_code), job_started = coalesce(?, job_started)"
                + " where id = ? and state = any (?)")) {
      ps.setString(1, to.label());
      ps.setString(2, reason);
      setTime(ps, 3, now);
      if (exitCode == null) {
        ps.setNull(4, Types.INTEGER);
      } else {
        ps.setInt(4, exitCode);
      }
      if (jobStarted == null) {
        ps.setNull(5, Types.BOOLEAN);
      } else {
        ps.setBoolean(5, jobStarted);
      }
      ps.setLong(6, id);
      ps.setArray(
          7, c.createArrayOf("text", Arrays.stream(from).map(RunnerState::label).toArray()));
      return ps.executeUpdate() == 1;
    }
  }

  /** Keeps the last stderr line its starter reported for the claim's runner. */
  public void stderrLine(Connection c, long id, String line) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("update claims set stderr_line = ? where id = ?")) {
      ps.setString(1, line);
      ps.setLong(2, id);
      if (ps.executeUpdate() != 1) {
        throw new SQLException("claim " + id + " vanished inside its own transaction");
      }
    }
  }

  /** Records the id GitHub gave the claim's runner when it registered it. */
  boolean setRunnerId(Connection c, long claimId, long runnerId) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("update claims set runner_id = ? where id = ? and runner_id is null")) {
      ps.setLong(1, runnerId);
      ps.setLong(2, claimId);
      return ps.executeUpdate() == 1;
    }
  }

  /**
   * Records that the claim's runner was lost while it had a job (an {@code in_progress} bound the
   * claim, or its starter says a job started); the first observation wins.
   */
  public boolean markLost(Connection c, long claimId, RunnerLoss loss, boolean jobStarted)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update claims set lost_reason = ? where id = ? and lost_reason is null"
                + " and (bound_at is not null or ?)")) {
      ps.setString(1, loss.label());
      ps.setLong(2, claimId);
      ps.setBoolean(3, jobStarted);
      return ps.executeUpdate() == 1;
    }
  }

  /** The failure reason of a runner that never came up before its claim's lease ran out. */
  public static final String LEASE_EXPIRED = "lease_expired";

  /**
   * Marks a claim whose runner never came up before its lease ran out ({@code claimed}: nobody
   * started it; {@code launching}: its start never finished) as failed with {@code lease_expired};
   * called by the lease reaper in its release transaction. A {@code running} runner is left to its
   * starter's {@code exited}: it may still take a job.
   */
  void leaseExpired(Connection c, long claimId, Instant now) throws SQLException {
    move(
        c,
        claimId,
        RunnerState.FAILED,
        LEASE_EXPIRED,
        null,
        Boolean.FALSE,
        now,
        RunnerState.CLAIMED,
        RunnerState.LAUNCHING);
  }

  /**
   * Marks a claim for which GitHub registered no runner as failed with {@code github_error}; called
   * by {@link Claims} in its release transaction. Not a launch failure: {@code
   * runway_claims_total{result="github_error"}} counts it.
   */
  void registrationFailed(Connection c, long claimId, Instant now) throws SQLException {
    move(
        c,
        claimId,
        RunnerState.FAILED,
        "github_error",
        null,
        Boolean.FALSE,
        now,
        RunnerState.CLAIMED);
  }

  /**
   * Records the runner id GitHub answered when it registered claim {@code claimId}'s runner, so its
   * registration can be looked up by id. Best effort, after the claim's commit: a claim without it
   * falls back to the name, and is never concluded gone.
   */
  static void rememberRunnerId(DataSource ds, long claimId, long runnerId) {
    try (Connection c = ds.getConnection()) {
      new ClaimRepository().setRunnerId(c, claimId, runnerId);
    } catch (SQLException e) {
      // The name lookup still finds it; only "gone" cannot be concluded for this claim.
      log.warn("claim {}: runner id not recorded ({})", claimId, e.getMessage());
    }
  }
}
