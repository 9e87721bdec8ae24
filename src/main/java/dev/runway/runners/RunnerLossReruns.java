package dev.runway.runners;

import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.GitHubException;
import dev.runway.pools.Pool;
import dev.runway.pools.PoolSource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reruns a job that failed because Runway's runner was lost (issue 22 item 4). A db-scheduler
 * recurring task, so one replica at a time decides.
 *
 * <p>A candidate is a claim whose runner Runway saw end abnormally while it had a job ({@link
 * RunnerLoss}, recorded by the provisioner or from an agent's {@code exited}), and whose job has
 * completed: the loss and the {@code completed} may arrive in either order, so the decision waits
 * for both. Then, once per claim:
 *
 * <ul>
 *   <li>a conclusion other than {@code failure} or {@code cancelled}: nothing to rerun;
 *   <li>the pool's {@code rerunOnRunnerLoss} is 0 (or the pool is gone): off;
 *   <li>the job (over all its attempts) was rerun that many times: over budget;
 *   <li>otherwise {@code POST .../actions/jobs/{id}/rerun}, counted in {@code
 *       runway_job_reruns_total{pool,reason}}. The decision is written ({@code requesting}) before
 *       the request, so a crash in between never asks twice: the budget is a ceiling.
 * </ul>
 *
 * A job that failed on its own, its runner exiting normally, has no loss and is never a candidate.
 */
public final class RunnerLossReruns {
  private static final Logger log = LoggerFactory.getLogger(RunnerLossReruns.class);
  public static final String TASK = "runner-loss-reruns";
  public static final String METRIC = "runway_job_reruns_total";
  static final Set<String> RERUNNABLE = Set.of("failure", "cancelled");
  static final Duration LOOKBACK = Duration.ofDays(1);
  private static final int BATCH = 100;

  private final DataSource ds;
  private final GitHubClient github;
  private final PoolSource pools;
  private final Clock clock;
  private final MeterRegistry registry;
  private final RerunRepository repo = new RerunRepository();

  public RunnerLossReruns(
      DataSource ds, GitHubClient github, PoolSource pools, Clock clock, MeterRegistry registry) {
    this.ds = ds;
    this.github = github;
    this.pools = pools;
    this.clock = clock;
    this.registry = registry;
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
      log.warn("runner-loss rerun round failed: {}", e.toString());
    }
  }

  /** One round; returns how many reruns GitHub accepted. */
  public int run() throws SQLException {
    Optional<List<Pool>> known =
        pools.current().fold(s -> Optional.of(s.pools()), r -> Optional.empty());
    if (known.isEmpty()) {
      // Unknown is not "off": the decision waits for a pool source that answers.
      return 0;
    }
    Instant now = clock.instant();
    List<RerunRepository.Candidate> candidates;
    try (Connection c = ds.getConnection()) {
      candidates = repo.candidates(c, now.minus(LOOKBACK), BATCH);
    }
    int requested = 0;
    for (RerunRepository.Candidate job : candidates) {
      int budget =
          known.get().stream()
              .filter(p -> p.name().equals(job.pool()))
              .findFirst()
              .map(Pool::rerunOnRunnerLoss)
              .orElse(0);
      try {
        requested += decide(job, budget) ? 1 : 0;
      } catch (GitHubException e) {
        if (e.rateLimited()) {
          log.info("runner-loss reruns stop at GitHub's rate limit; the next round goes on");
          return requested;
        }
        throw e;
      }
    }
    return requested;
  }

  private boolean decide(RerunRepository.Candidate job, int budget) throws SQLException {
    Instant now = clock.instant();
    String what =
        "job "
            + job.jobId()
            + "/"
            + job.runAttempt()
            + " of "
            + job.repository()
            + " (pool "
            + job.pool()
            + ", runner "
            + job.loss().label()
            + ")";
    try (Connection c = ds.getConnection()) {
      if (!RERUNNABLE.contains(job.conclusion())) {
        repo.decide(c, job, "not_failed", "concluded " + job.conclusion(), now);
        return false;
      }
      if (budget == 0) {
        repo.decide(c, job, "off", "the pool's rerunOnRunnerLoss is 0", now);
        return false;
      }
      int spent = repo.spent(c, job);
      if (spent >= budget) {
        repo.decide(c, job, "over_budget", spent + " of " + budget + " reruns spent", now);
        log.info("{}: not rerun, {} of {} reruns spent", what, spent, budget);
        return false;
      }
      if (!repo.decide(c, job, "requesting", null, now)) {
        return false;
      }
    }
    String result;
    String detail;
    try {
      int slash = job.repository() == null ? -1 : job.repository().indexOf('/');
      if (job.installationId() == null || slash <= 0) {
        throw new IllegalArgumentException("the job has no installation or repository");
      }
      github.rerunJob(
          job.installationId(),
          job.repository().substring(0, slash),
          job.repository().substring(slash + 1),
          job.jobId());
      result = "requested";
      detail = null;
    } catch (GitHubException e) {
      if (e.rateLimited()) {
        // Not asked: the decision is taken back, and the next round asks again.
        undo(job.claimId());
        throw e;
      }
      result = "failed";
      detail =
          "GitHub answered "
              + e.statusCode()
              + (e.statusCode() == 403 ? " (does the App have actions: write?)" : "");
    } catch (RuntimeException e) {
      result = "failed";
      detail = e.getMessage();
    }
    try (Connection c = ds.getConnection()) {
      repo.settle(c, job.claimId(), result, detail);
    }
    if (result.equals("requested")) {
      Counter.builder(METRIC)
          .description("Jobs Runway asked GitHub to rerun because their runner was lost")
          .tag("pool", job.pool())
          .tag("reason", job.loss().label())
          .register(registry)
          .increment();
      log.warn("{}: concluded {}, rerun requested at GitHub", what, job.conclusion());
      return true;
    }
    log.warn("{}: rerun not requested: {}", what, detail);
    return false;
  }

  private void undo(long claimId) throws SQLException {
    try (Connection c = ds.getConnection()) {
      repo.undo(c, claimId);
    }
  }

  /** The rerun decisions of a job, for its page and the API. */
  public List<RerunAttempt> attempts(long jobId) throws SQLException {
    try (Connection c = ds.getConnection()) {
      return repo.forJob(c, jobId);
    }
  }
}
