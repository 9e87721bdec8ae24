package dev.runway.dispatch;

import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * Re-evaluation of ignored queued jobs, once their cause is fixed (a pool added, an account
 * enabled). The CLI enqueues one {@code redispatch} task per job, instance id {@code
 * JOB_ID/ATTEMPT}; the service's workers run them against their live accounts and pools.
 */
public final class Redispatch {
  public static final String TASK = "redispatch";

  /** The outcomes whose jobs can be dispatched again. */
  public static final Set<String> OUTCOMES =
      Set.of("no_matching_pool", "no_account", "runners_disabled", "ambiguous_pool", "no_pools");

  private Redispatch() {}

  public static OneTimeTask<Void> task(DispatchWorker worker) {
    return Tasks.oneTime(TASK)
        .onFailure(new CappedBackoff<>(Duration.ofSeconds(1), Duration.ofMinutes(5)))
        .execute(
            (instance, ctx) -> {
              String[] id = instance.getId().split("/");
              worker.redispatch(Long.parseLong(id[0]), Integer.parseInt(id[1]));
            });
  }

  /**
   * Enqueues a redispatch of every queued job ignored with {@code outcome} since {@code since}.
   *
   * @return how many jobs were enqueued
   */
  public static int enqueue(Connection c, String outcome, Instant since) throws SQLException {
    if (!OUTCOMES.contains(outcome)) {
      throw new IllegalArgumentException("outcome must be one of " + OUTCOMES);
    }
    return enqueueWhere(c, outcome, since, null, null);
  }

  /**
   * Enqueues a redispatch of one job, the web UI's button: the same statement as {@link #enqueue},
   * narrowed to the job, so it also does nothing unless the job is queued and ignored.
   *
   * @return 1 when the job was enqueued, 0 when it is not an ignored queued job
   */
  public static int enqueueJob(Connection c, long jobId, int attempt) throws SQLException {
    return enqueueWhere(c, null, null, jobId, attempt);
  }

  private static int enqueueWhere(
      Connection c, String outcome, Instant since, Long jobId, Integer attempt)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "insert into scheduled_tasks (task_name, task_instance, task_data, execution_time,"
                + " picked, version, priority)"
                + " select ?, job_id || '/' || run_attempt, null, now(), false, 1, 0 from jobs"
                + " where status = 'queued' and outcome = any(?) and received_at >= ?"
                + " and (?::bigint is null or job_id = ?) and (?::int is null or run_attempt = ?)"
                + " on conflict do nothing")) {
      ps.setString(1, TASK);
      ps.setArray(
          2,
          c.createArrayOf("text", outcome == null ? OUTCOMES.toArray() : new String[] {outcome}));
      ps.setTimestamp(3, Timestamp.from(since == null ? Instant.EPOCH : since));
      ps.setObject(4, jobId, java.sql.Types.BIGINT);
      ps.setObject(5, jobId, java.sql.Types.BIGINT);
      ps.setObject(6, attempt, java.sql.Types.INTEGER);
      ps.setObject(7, attempt, java.sql.Types.INTEGER);
      return ps.executeUpdate();
    }
  }
}
