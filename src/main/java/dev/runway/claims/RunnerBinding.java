package dev.runway.claims;

import dev.runway.jobs.JobFacts;
import dev.runway.jobs.JobListener;
import dev.runway.jobs.JobRepository;
import dev.runway.jobs.JobStatus;
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
 * A job taken by a runner that is not Runway's loses its claim reference; that claim keeps nothing
 * and its lease ends it. {@code completed} ends the claims of the job.
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
        name.isPresent() ? repo.lockClaim(c, name.get().claimId()) : Optional.empty();
    if (claim.isPresent() && claim.get().runnerName().equals(job.runnerName())) {
      bind(c, claim.get(), job.jobId(), job.runAttempt(), now);
    } else if (job.runnerName() != null) {
      // Not one of Runway's runners: whichever claim held the job's place holds nothing now.
      Optional<ClaimRepository.Claim> holder =
          repo.activeHolder(c, job.jobId(), job.runAttempt(), -1);
      if (holder.isPresent()) {
        jobs.detachClaim(c, job.jobId(), job.runAttempt(), holder.get().id());
        // A warm holder's runner still waits for work: it is idle again, not gone.
        repo.unassign(c, holder.get().id());
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
    if (!sameJob && x.status().equals("active") && !x.hasJob()) {
      // An idle warm runner took the job: it had no place to give away. A claim that held the
      // job's place holds nothing now; a warm one is idle again.
      Optional<ClaimRepository.Claim> y = repo.activeHolder(c, jobId, attempt, x.id());
      if (y.isPresent()) {
        jobs.detachClaim(c, jobId, attempt, y.get().id());
        repo.unassign(c, y.get().id());
      }
    } else if (!sameJob && x.status().equals("active")) {
      Optional<ClaimRepository.Claim> y = repo.activeHolder(c, jobId, attempt, x.id());
      boolean handedOver =
          y.isPresent() && jobs.handOver(c, x.id(), y.get().id(), x.jobId(), x.runAttempt(), now);
      if (handedOver) {
        repo.reassign(c, y.get().id(), x.jobId(), x.runAttempt());
      }
      if (handedOver) {
        log.info(
            "runner {} took job {}/{} of claim {}; claim {} holds job {}/{} instead",
            x.runnerName(),
            jobId,
            attempt,
            y.get().id(),
            y.get().id(),
            x.jobId(),
            x.runAttempt());
      } else if (jobs.requeue(c, x.id(), x.jobId(), x.runAttempt(), now)) {
        log.info(
            "runner {} took job {}/{} instead of job {}/{}, which is claimable again",
            x.runnerName(),
            jobId,
            attempt,
            x.jobId(),
            x.runAttempt());
      }
      if (y.isPresent() && !handedOver) {
        // Y's place was the job X's runner took, and X had no place left to give it.
        jobs.detachClaim(c, jobId, attempt, y.get().id());
        repo.unassign(c, y.get().id());
      }
    }
    boolean revived = repo.revivable(c, x.id());
    jobs.attachClaim(c, x.id(), x.pool(), jobId, attempt, now);
    repo.bind(c, x.id(), jobId, attempt, now);
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
    }
  }
}
