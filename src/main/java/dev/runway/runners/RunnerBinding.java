package dev.runway.runners;

import dev.runway.claims.ClaimMetrics;
import dev.runway.claims.ClaimRepository;
import dev.runway.claims.RunnerNames;
import dev.runway.jobs.JobFacts;
import dev.runway.jobs.JobListener;
import dev.runway.jobs.JobRepository;
import dev.runway.jobs.JobStatus;
import dev.runway.jobs.WaitStage;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds claims to the jobs their runners really took. GitHub hands a registered runner any queued
 * job it can run, so the claim follows the runner, not the job it was created for.
 *
 * <p>Runs inside the dispatch transaction of an {@code in_progress} or {@code completed} event,
 * after the job row has moved. When the runner of claim X (named {@code runway-<pool>-<X>}) takes
 * job B while X held job A:
 *
 * <ul>
 *   <li>B = A: X is bound to B.
 *   <li>B was held by another active claim Y: Y takes over A (still claimed), so every starting
 *       runner keeps exactly one place in the caps; X is bound to B.
 *   <li>otherwise A goes back to {@code queued}, claimable again; X is bound to B.
 * </ul>
 *
 * When a runner that is not Runway's takes a job, the claim that held it names no job any more, and
 * its lease ends it. A claim's {@code job_id} is the one record of which claim holds a job (V38);
 * the job row knows only that it is claimed. {@code completed} ends the claims of the job.
 *
 * <p>A warm claim (made for {@code minIdle}, with no job of its own) binds the same way. When its
 * runner takes a job while it held none, it had no place to hand over. A warm claim that held a job
 * some other runner took, or that completed first, gets no lease-end: its runner still waits for
 * work, so the claim is idle again.
 */
public final class RunnerBinding implements JobListener {
  private static final Logger log = LoggerFactory.getLogger(RunnerBinding.class);

  private final ClaimRepository repo = new ClaimRepository();
  private final JobRepository jobs;
  private final ClaimMetrics metrics;
  private final Clock clock;

  public RunnerBinding(JobRepository jobs, ClaimMetrics metrics, Clock clock) {
    this.jobs = jobs;
    this.metrics = metrics;
    this.clock = clock;
  }

  @Override
  public void onTransition(Connection c, JobFacts job, JobStatus status) throws SQLException {
    if (status != JobStatus.IN_PROGRESS && status != JobStatus.COMPLETED) {
      return;
    }
    Instant now = clock.instant();
    Optional<RunnerNames.Parsed> name = RunnerNames.parse(job.runnerName());
    Optional<ClaimRepository.Claim> claim =
        name.isPresent() ? lockWithItsJob(c, name.get().claimId(), job) : Optional.empty();
    if (claim.isPresent() && claim.get().runnerName().equals(job.runnerName())) {
      bind(c, claim.get(), job.jobId(), job.runAttempt(), now);
    } else if (job.runnerName() != null) {
      // Not one of Runway's runners: whichever claim held the job's place holds nothing now.
      Optional<ClaimRepository.Claim> holder =
          repo.activeHolder(c, job.jobId(), job.runAttempt(), -1);
      if (holder.isPresent()) {
        // A warm holder's runner still waits for work: it is idle again, not gone. A job claim's
        // runner may still take another job; if not, its lease ends it.
        repo.unassign(c, holder.get().id(), job.jobId(), job.runAttempt());
        log.info(
            "job {}/{} taken by runner {}, not by claim {}'s runner",
            job.jobId(),
            job.runAttempt(),
            job.runnerName(),
            holder.get().id());
      }
    }
    if (status == JobStatus.COMPLETED) {
      // A warm runner handed a job that completed before any runner took it (cancelled) is idle
      // again; every other claim of the job ends.
      repo.unassignHoldersOf(c, job.jobId(), job.runAttempt());
      repo.complete(c, job.jobId(), job.runAttempt(), now);
    }
  }

  /**
   * Locks claim X and the job it holds, if that is another job than the event's: binding X may put
   * that job back to {@code queued} or hand it to another claim, and every write of a job row
   * happens under its job lock. The event's job is locked already, so X's job is waited for only
   * when its id is above every job this transaction holds ({@link ClaimLocks}), and otherwise only
   * tried: when another transaction holds it, this dispatch fails with {@code 55P03} and is
   * retried, instead of writing a row that transaction is changing or waiting in a cycle. Of two
   * bindings that swap jobs, one waits and the other steps back, so they cannot livelock either.
   * The job lock comes before X's row lock, as everywhere.
   */
  private Optional<ClaimRepository.Claim> lockWithItsJob(Connection c, long claimId, JobFacts job)
      throws SQLException {
    Optional<ClaimRepository.Claim> seen = repo.find(c, claimId);
    if (seen.isEmpty()) {
      return seen;
    }
    lockOtherJob(c, seen.get(), job);
    Optional<ClaimRepository.Claim> x = repo.lockClaim(c, claimId);
    if (x.isPresent() && x.get().jobId() != seen.get().jobId()) {
      // It changed hands between the read and the lock; the lock is reentrant, so try again.
      lockOtherJob(c, x.get(), job);
    }
    return x;
  }

  private void lockOtherJob(Connection c, ClaimRepository.Claim x, JobFacts job)
      throws SQLException {
    if (!x.hasJob() || x.jobId() == job.jobId()) {
      return;
    }
    if (!jobs.lockInOrder(c, x.jobId())) {
      throw new SQLException(
          "job "
              + x.jobId()
              + " of claim "
              + x.id()
              + " is being changed by another transaction; the binding is retried",
          "55P03");
    }
  }

  private void bind(Connection c, ClaimRepository.Claim x, long jobId, int attempt, Instant now)
      throws SQLException {
    if (x.boundAt() != null) {
      if (x.jobId() != jobId || x.runAttempt() != attempt) {
        log.warn(
            "runner {} already took job {}/{}; not binding it to job {}/{}",
            x.runnerName(),
            x.jobId(),
            x.runAttempt(),
            jobId,
            attempt);
      }
      return;
    }
    boolean sameJob = x.jobId() == jobId && x.runAttempt() == attempt;
    if (!sameJob && x.status().equals("active") && x.hasJob()) {
      // X's runner took another job than the one X holds: X's place goes to the claim that held
      // the job X's runner took, so every starting runner keeps exactly one place; or, if none
      // did, X's job is claimable again.
      Optional<ClaimRepository.Claim> y = repo.activeHolder(c, jobId, attempt, x.id());
      if (y.isPresent() && handOver(c, x, y.get(), now)) {
        log.info(
            "runner {} took job {}/{} of claim {}; claim {} holds job {}/{} instead",
            x.runnerName(),
            jobId,
            attempt,
            y.get().id(),
            y.get().id(),
            x.jobId(),
            x.runAttempt());
      } else if (jobs.requeue(c, x.jobId(), x.runAttempt(), now)) {
        log.info(
            "runner {} took job {}/{} instead of job {}/{}, which is claimable again",
            x.runnerName(),
            jobId,
            attempt,
            x.jobId(),
            x.runAttempt());
      }
    }
    // Any other claim still naming the job X's runner took holds nothing now (one live claim per
    // job, V38): a warm one is idle again, a job claim's runner may take another job or its lease
    // ends it.
    Optional<ClaimRepository.Claim> other = repo.activeHolder(c, jobId, attempt, x.id());
    if (other.isPresent()) {
      repo.unassign(c, other.get().id(), jobId, attempt);
    }
    boolean revived = repo.revivable(c, x.id());
    jobs.takenByRunner(c, x.pool(), jobId, attempt, now);
    Optional<Instant> runningAt = repo.runningAt(c, x.id());
    if (!repo.bind(c, x.id(), jobId, attempt, now)) {
      throw new IllegalStateException("claim " + x.id() + " vanished while locked");
    }
    if (revived) {
      log.info(
          "claim {} (runner {}) revived: its runner took job {}/{} after Runway had marked it"
              + " failed; it keeps the job until it completes",
          x.id(),
          x.runnerName(),
          jobId,
          attempt);
    }
    if (!x.warm()) {
      // A warm runner waited for work by design; its wait is not a start latency.
      metrics.startLatency(x.pool(), Duration.between(x.createdAt(), now));
      if (runningAt.isEmpty()) {
        // Nobody reported the runner up: the in_progress is the first sign of it, so the launch
        // ends here and the assignment took no time Runway can see.
        metrics.stages().observe(x.pool(), WaitStage.LAUNCH, x.createdAt(), now);
      }
    }
    metrics.stages().observe(x.pool(), WaitStage.ASSIGN, runningAt.orElse(now), now);
  }

  /**
   * Y takes X's job (still claimed), with Y's lease. Both claims and both jobs are locked.
   *
   * @return false when X's job was no longer claimed; Y then names no job
   */
  private boolean handOver(
      Connection c, ClaimRepository.Claim x, ClaimRepository.Claim y, Instant now)
      throws SQLException {
    Instant leasedUntil =
        repo.reassign(c, y.id(), x.jobId(), x.runAttempt())
            // Y is locked and was active when read: a job must never go to a claim that ended.
            .orElseThrow(
                () -> new IllegalStateException("claim " + y.id() + " ended while locked"));
    if (jobs.handOver(c, x.jobId(), x.runAttempt(), leasedUntil, now)) {
      return true;
    }
    repo.unassign(c, y.id(), x.jobId(), x.runAttempt());
    return false;
  }
}
