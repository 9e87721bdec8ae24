package dev.runway.claims;

import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import dev.runway.jobs.JobRepository;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Releases claims whose lease ran out before their runner came up or took the job: the job goes
 * back to {@code queued} and is claimable again. The lease bounds the start only: a job claim whose
 * runner is {@code running} (its Pod runs, or its agent reported {@code started}) is never released
 * by it, since GitHub may have given that runner the job already and its {@code in_progress} may be
 * late; such a claim ends with its job's {@code completed}, its runner's exit, or the stale-job
 * check. An idle warm claim has no lease (its runner waits for work as long as it takes; its Pod's
 * failures end it); a warm claim handed a job goes back to idle when that job's lease runs out. A
 * db-scheduler recurring task, so one replica at a time runs it.
 */
public final class LeaseReaper {
  private static final Logger log = LoggerFactory.getLogger(LeaseReaper.class);
  public static final String TASK = "claims-lease-reaper";
  private static final int BATCH = 500;

  private final DataSource ds;
  private final ClaimRepository repo = new ClaimRepository();
  private final JobRepository jobs;
  private final Clock clock;

  public LeaseReaper(DataSource ds, JobRepository jobs, Clock clock) {
    this.ds = ds;
    this.jobs = jobs;
    this.clock = clock;
  }

  public RecurringTask<Void> task(Duration interval) {
    return Tasks.recurring(TASK, Schedules.fixedDelay(interval))
        .execute((instance, ctx) -> runSafely());
  }

  private void runSafely() {
    try {
      run();
    } catch (SQLException | RuntimeException e) {
      // The next round tries again; a failed round must not end the schedule.
      log.warn("lease reaper round failed: {}", e.toString());
    }
  }

  /** Releases every expired claim; returns how many. */
  int run() throws SQLException {
    Instant now = clock.instant();
    List<Long> expired;
    try (Connection c = ds.getConnection()) {
      expired = repo.expired(c, now, BATCH);
    }
    int released = 0;
    for (long id : expired) {
      released += releaseOne(id, now) ? 1 : 0;
    }
    return released;
  }

  /**
   * A warm claim handed a job its runner did not take in time: the job is claimable again, and the
   * claim is idle again, since its runner (up or starting) still waits for work. Its own failures
   * are the provisioner's to see, on its Pod.
   */
  private boolean unassignWarm(Connection c, ClaimRepository.Claim claim, Instant now)
      throws SQLException {
    // Under the job's lock, so the claim still naming the job means it still holds it.
    boolean idle = repo.unassign(c, claim.id(), claim.jobId(), claim.runAttempt());
    boolean requeued = idle && jobs.requeue(c, claim.jobId(), claim.runAttempt(), now);
    if (requeued) {
      PoolWakeups.notifyClaimable(c, claim.pool());
    }
    c.commit();
    if (idle) {
      log.info(
          "warm claim {} (runner {}) did not take job {}/{} within its lease; the job is claimable"
              + " again, the runner idle",
          claim.id(),
          claim.runnerName(),
          claim.jobId(),
          claim.runAttempt());
    }
    return idle;
  }

  /**
   * Takes the job's lock first, like the dispatch worker, then re-reads the claim: a runner's
   * {@code in_progress} may have bound it meanwhile.
   */
  private boolean releaseOne(long claimId, Instant now) throws SQLException {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try {
        Optional<ClaimRepository.Claim> peek = repo.find(c, claimId);
        if (peek.isEmpty()) {
          return false;
        }
        jobs.lock(c, peek.get().jobId());
        if (peek.get().warm()) {
          return unassignWarm(c, peek.get(), now);
        }
        repo.lockClaim(c, claimId);
        if (repo.runnerRunning(c, claimId)) {
          // Its runner came up between the query and the locks: it keeps its job (see expired).
          c.rollback();
          return false;
        }
        boolean released = Claims.release(repo, jobs, c, claimId, "lease expired", now);
        if (released) {
          repo.leaseExpired(c, claimId, now);
          PoolWakeups.notifyClaimable(c, peek.get().pool());
        }
        c.commit();
        if (released && peek.get().hasJob()) {
          log.info(
              "claim {} (runner {}) released after its lease; job {}/{} is claimable again",
              claimId,
              peek.get().runnerName(),
              peek.get().jobId(),
              peek.get().runAttempt());
        } else if (released) {
          // Its job went to another runner; its own runner never took one.
          log.info(
              "claim {} (runner {}) released after its lease; it held no job",
              claimId,
              peek.get().runnerName());
        }
        return released;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }
}
