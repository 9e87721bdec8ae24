package dev.runway.dispatch;

import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import dev.runway.jobs.Job;
import dev.runway.jobs.JobRepository;
import dev.runway.jobs.WaitStage;
import dev.runway.jobs.WaitStages;
import dev.runway.platform.telemetry.Metrics;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-evaluation of ignored queued jobs, once their cause is fixed (a pool added, an account
 * enabled). The CLI enqueues one {@link DispatchQueue#REDISPATCH_TASK} task per job, instance id
 * {@code JOB_ID/ATTEMPT}; the service's workers run them against their live accounts and pools.
 */
final class Redispatch {
  private static final Logger log = LoggerFactory.getLogger(Redispatch.class);

  private final DataSource ds;
  private final JobRepository jobs;
  private final JobEvaluator evaluator;
  private final Metrics metrics;
  private final WaitStages stages;
  private final Clock clock;

  Redispatch(
      DataSource ds, JobRepository jobs, JobEvaluator evaluator, Metrics metrics, Clock clock) {
    this.ds = ds;
    this.jobs = jobs;
    this.evaluator = evaluator;
    this.metrics = metrics;
    this.stages = new WaitStages(metrics.registry());
    this.clock = clock;
  }

  OneTimeTask<Void> task() {
    return Tasks.oneTime(DispatchQueue.REDISPATCH_TASK)
        .onFailure(new CappedBackoff<>(Duration.ofSeconds(1), Duration.ofMinutes(5)))
        .execute(
            (instance, ctx) -> {
              String[] id = instance.getId().split("/");
              redispatch(Long.parseLong(id[0]), Integer.parseInt(id[1]));
            });
  }

  /**
   * Evaluates an ignored queued job again against the current accounts and pools: after a pool is
   * added or an account enabled, its jobs become claimable without a new delivery.
   *
   * @return the new outcome, or empty when the job is no longer an ignored queued job
   */
  Optional<DispatchOutcome> redispatch(long jobId, int attempt) {
    try {
      Optional<Job> job;
      try (Connection c = ds.getConnection()) {
        job = jobs.find(c, jobId, attempt);
      }
      if (job.isEmpty() || !job.get().status().equals("queued")) {
        return Optional.empty();
      }
      Job j = job.get();
      if (j.outcome() == null) {
        return j.pool() == null ? Optional.empty() : rematch(j);
      }
      JobEvaluator.Evaluation eval = evaluate(j);
      DispatchOutcome o = eval.outcome();
      boolean changed;
      Instant now = clock.instant();
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        jobs.lock(c, jobId);
        changed =
            jobs.reevaluate(
                c,
                jobId,
                attempt,
                eval.accountId(),
                o.pool(),
                o.isIgnore() ? o.label() : null,
                o.isIgnore() ? o.detail() : null,
                now);
        c.commit();
      }
      if (changed && !o.isIgnore()) {
        // Claimable only now: its first dispatch ignored it, so neither stage was observed then.
        // Its dispatch stage runs from its receipt to this re-evaluation, and says how long the
        // cause (an account, a pool) took to be fixed.
        stages.observe(o.pool(), WaitStage.GITHUB_DELAY, j.createdAtGithub(), j.receivedAt());
        stages.observe(o.pool(), WaitStage.DISPATCH, j.receivedAt(), now);
      }
      if (changed) {
        metrics.dispatchOutcome("redispatch", o.label(), Duration.ZERO);
        log.info("redispatched job {}/{}: {}", jobId, attempt, o.label());
      }
      return changed ? Optional.of(o) : Optional.empty();
    } catch (SQLException e) {
      throw new DispatchRetry("database: " + e.getMessage(), e);
    }
  }

  /**
   * A claimable job evaluated again, because its pool vanished from a source that answered (or an
   * operator asked): it stays where it is when its pool still matches, else it goes to the pool
   * that matches now, or gets the ignore outcome the evaluation gives, with a note saying why.
   */
  private Optional<DispatchOutcome> rematch(Job j) throws SQLException {
    JobEvaluator.Evaluation eval = evaluate(j);
    DispatchOutcome o = eval.outcome();
    if (!o.isIgnore() && j.pool().equals(o.pool())) {
      return Optional.empty();
    }
    String note =
        "pool "
            + j.pool()
            + " is no longer listed; "
            + (o.isIgnore()
                ? o.label() + (o.detail() == null ? "" : " (" + o.detail() + ")")
                : "re-matched to pool " + o.pool());
    boolean changed;
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      jobs.lock(c, j.jobId());
      changed =
          jobs.rematch(
              c,
              j.jobId(),
              j.runAttempt(),
              j.pool(),
              eval.accountId(),
              o.pool(),
              o.isIgnore() ? o.label() : null,
              note,
              clock.instant());
      c.commit();
    }
    if (!changed) {
      return Optional.empty();
    }
    metrics.dispatchOutcome("rematch", o.label(), Duration.ZERO);
    log.info("job {}/{}: {}", j.jobId(), j.runAttempt(), note);
    return Optional.of(o);
  }

  /** Evaluated on a connection closed before the write: no two are held at once. */
  private JobEvaluator.Evaluation evaluate(Job j) throws SQLException {
    try (Connection c = ds.getConnection()) {
      return evaluator.evaluate(c, j.installationId(), j.ownerLogin(), j.labels());
    }
  }
}
