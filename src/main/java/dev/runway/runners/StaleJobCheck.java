package dev.runway.runners;

import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import dev.runway.claims.ClaimRepository;
import dev.runway.jobs.JobFacts;
import dev.runway.jobs.JobListener;
import dev.runway.jobs.JobRepository;
import dev.runway.jobs.JobStatus;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.GitHubException;
import dev.runway.platform.github.WorkflowJob;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks GitHub's jobs API about jobs Runway has heard nothing of for too long: in progress longer
 * than {@code staleInProgress}, or queued longer than {@code staleQueued} (a missed delivery leaves
 * a job there). Each is settled to GitHub's answer. GitHub cancels a self-hosted job that waited 24
 * hours, so a job queued that long that GitHub does not report running or done is completed with
 * the conclusion {@code stale}. A db-scheduler recurring task: one replica at a time runs it.
 */
public final class StaleJobCheck {
  private static final Logger log = LoggerFactory.getLogger(StaleJobCheck.class);
  public static final String TASK = "stale-job-check";

  /** GitHub cancels a self-hosted job that waited this long in the queue. */
  static final Duration GIVE_UP = Duration.ofHours(24);

  /** A job GitHub reported as still running or waiting is not asked about again sooner. */
  static final Duration RECHECK = Duration.ofMinutes(30);

  private static final int BATCH = 100;

  private final DataSource ds;
  private final JobRepository jobs;
  private final GitHubClient github;
  private final JobListener binding;
  private final Clock clock;
  private final Duration staleInProgress;
  private final Duration staleQueued;

  public StaleJobCheck(
      DataSource ds,
      JobRepository jobs,
      GitHubClient github,
      JobListener binding,
      Clock clock,
      Duration staleInProgress,
      Duration staleQueued) {
    this.ds = ds;
    this.jobs = jobs;
    this.github = github;
    this.binding = binding;
    this.clock = clock;
    this.staleInProgress = staleInProgress;
    this.staleQueued = staleQueued;
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
      log.warn("stale-job check failed: {}", e.toString());
    }
  }

  /** A job to check, as the database has it. */
  record Stale(
      long jobId,
      int runAttempt,
      String status,
      String repository,
      String ownerLogin,
      boolean ownerIsOrg,
      Long installationId,
      Instant receivedAt) {}

  /** One round; returns how many jobs changed. */
  int run() throws SQLException {
    Instant now = clock.instant();
    List<Stale> stale;
    try (Connection c = ds.getConnection()) {
      stale = candidates(c, now);
    }
    int changed = 0;
    for (Stale job : stale) {
      Optional<WorkflowJob> answer;
      try {
        answer = ask(job);
      } catch (GitHubException e) {
        if (e.rateLimited()) {
          log.warn("stale-job check paused by GitHub's rate limit: {}", e.getMessage());
          break;
        }
        log.warn("stale-job check of job {}/{}: {}", job.jobId(), job.runAttempt(), e.getMessage());
        continue;
      }
      changed += settle(job, answer, now) ? 1 : 0;
    }
    return changed;
  }

  /**
   * GitHub's view of the job; empty when it cannot be asked (no installation or repository known)
   * or does not know the job (404).
   */
  private Optional<WorkflowJob> ask(Stale job) {
    if (job.installationId() == null || job.repository() == null) {
      return Optional.empty();
    }
    int slash = job.repository().indexOf('/');
    String owner = slash > 0 ? job.repository().substring(0, slash) : job.ownerLogin();
    String repo = job.repository().substring(slash + 1);
    try {
      return Optional.of(github.getJob(job.installationId(), owner, repo, job.jobId()));
    } catch (GitHubException e) {
      if (e.statusCode() == 404) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** Applies GitHub's answer if the job is still as it was read; returns whether it changed. */
  private boolean settle(Stale job, Optional<WorkflowJob> answer, Instant now) throws SQLException {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try {
        jobs.lock(c, job.jobId());
        Optional<dev.runway.jobs.Job> row = jobs.find(c, job.jobId(), job.runAttempt());
        if (row.isEmpty() || !row.get().status().equals(job.status())) {
          c.rollback();
          return false;
        }
        String githubStatus = answer.map(WorkflowJob::status).orElse("unknown");
        boolean changed;
        if (githubStatus.equals("completed")) {
          move(c, job, answer.get(), JobStatus.COMPLETED, answer.get().conclusion());
          changed = true;
        } else if (githubStatus.equals("in_progress") && job.status().equals("queued")) {
          move(c, job, answer.get(), JobStatus.IN_PROGRESS, null);
          changed = true;
        } else if (job.status().equals("queued")
            && job.receivedAt().isBefore(now.minus(GIVE_UP))
            && !githubStatus.equals("in_progress")) {
          markStale(c, job, now);
          changed = true;
        } else {
          jobs.markChecked(c, job.jobId(), job.runAttempt(), now);
          changed = false;
        }
        c.commit();
        if (changed) {
          log.info(
              "stale job {}/{} ({} here, {} on GitHub) settled",
              job.jobId(),
              job.runAttempt(),
              job.status(),
              githubStatus);
        }
        return changed;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /** Moves the job as the matching delivery would have, runner binding included. */
  private void move(Connection c, Stale job, WorkflowJob gh, JobStatus status, String conclusion)
      throws SQLException {
    JobFacts facts =
        new JobFacts(
            job.jobId(),
            job.runAttempt(),
            null,
            job.repository(),
            job.ownerLogin(),
            job.ownerIsOrg(),
            job.installationId(),
            null,
            null,
            List.of(),
            null,
            gh.runnerId(),
            gh.runnerName(),
            conclusion,
            gh.startedAt(),
            gh.completedAt());
    Instant now = clock.instant();
    jobs.upsert(c, facts, status, null, null, null, null, false, null, now);
    binding.onTransition(c, facts, status);
    jobs.markChecked(c, job.jobId(), job.runAttempt(), now);
  }

  private void markStale(Connection c, Stale job, Instant now) throws SQLException {
    jobs.markStale(c, job.jobId(), job.runAttempt(), now);
    new ClaimRepository().complete(c, job.jobId(), job.runAttempt(), now);
  }

  /**
   * Jobs in progress or queued for too long, not checked within {@link #RECHECK}. "In progress
   * since" is the row's last change, which for a running job is when Runway learnt it started.
   */
  private List<Stale> candidates(Connection c, Instant now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select j.job_id, j.run_attempt, j.status, j.repository, j.owner_login,"
                + " j.owner_is_org, coalesce(j.installation_id, a.installation_id) as inst,"
                + " j.received_at"
                + " from jobs j left join accounts a on a.id = j.account_id"
                + " where ((j.status = 'in_progress' and j.updated_at < ?)"
                + "     or (j.status = 'queued' and j.received_at < ?))"
                + " and (j.checked_at is null or j.checked_at < ?)"
                + " order by j.received_at limit ?")) {
      ClaimRepository.setTime(ps, 1, now.minus(staleInProgress));
      ClaimRepository.setTime(ps, 2, now.minus(staleQueued));
      ClaimRepository.setTime(ps, 3, now.minus(RECHECK));
      ps.setInt(4, BATCH);
      List<Stale> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new Stale(
                  rs.getLong("job_id"),
                  rs.getInt("run_attempt"),
                  rs.getString("status"),
                  rs.getString("repository"),
                  rs.getString("owner_login"),
                  rs.getBoolean("owner_is_org"),
                  (Long) rs.getObject("inst"),
                  ClaimRepository.time(rs, "received_at")));
        }
      }
      return out;
    }
  }
}
