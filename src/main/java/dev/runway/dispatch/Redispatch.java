package dev.runway.dispatch;

import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import dev.runway.jobs.Job;
import dev.runway.jobs.JobRepository;
import dev.runway.telemetry.Metrics;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
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
  private final Clock clock;

  Redispatch(
      DataSource ds, JobRepository jobs, JobEvaluator evaluator, Metrics metrics, Clock clock) {
    this.ds = ds;
    this.jobs = jobs;
    this.evaluator = evaluator;
    this.metrics = metrics;
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
      if (job.isEmpty() || !job.get().status().equals("queued") || job.get().outcome() == null) {
        return Optional.empty();
      }
      Job j = job.get();
      JobEvaluator.Evaluation eval =
          evaluator.evaluate(j.installationId(), j.ownerLogin(), j.labels());
      DispatchOutcome o = eval.outcome();
      boolean changed;
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
                clock.instant());
        c.commit();
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
}
