package dev.runway.dispatch;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.Task;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import dev.runway.ingest.webhook.DeliveryWriter;
import dev.runway.platform.db.Signals;
import dev.runway.platform.telemetry.Metrics;
import dev.runway.platform.telemetry.Poller;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.postgresql.PGStatement;

/**
 * The durable dispatch queue: db-scheduler on PostgreSQL. Replicas share it safely, because
 * db-scheduler claims each execution with {@code SELECT ... FOR UPDATE SKIP LOCKED}; a task whose
 * worker died is revived after its heartbeat goes stale.
 *
 * <p>The one writer of {@code scheduled_tasks} rows outside db-scheduler itself: intake enqueues
 * dispatch tasks and the CLI enqueues redispatch tasks through here, in db-scheduler's documented
 * row format, inside the caller's transaction. db-scheduler's client would commit on its own
 * connection, which would let an inbox row and its task diverge.
 */
public final class DispatchQueue {
  /** The db-scheduler task that dispatches one delivery; its instance id is the delivery GUID. */
  public static final String DISPATCH_TASK = "dispatch";

  /** The task that re-evaluates one ignored queued job; instance id {@code JOB_ID/ATTEMPT}. */
  public static final String REDISPATCH_TASK = "redispatch";

  /** The {@link Signals} topic that announces new dispatch tasks. */
  public static final String WAKE_TOPIC = "dispatch";

  /** The outcomes whose jobs can be dispatched again. */
  public static final Set<String> REDISPATCHABLE =
      Set.of("no_matching_pool", "no_account", "runners_disabled", "ambiguous_pool", "no_pools");

  private DispatchQueue() {}

  /**
   * How long a new dispatch task stays out of db-scheduler's sight when the batch dispatcher runs:
   * the batches take it at once (they ignore {@code execution_time} for a task that never failed),
   * and db-scheduler only takes what no batch took in this time, a safety net. Without it,
   * db-scheduler's own fetch took about one delivery in ten of a backlog, each in a transaction of
   * its own at several times a batch's cost per delivery (docs/benchmarks.md).
   */
  public static final Duration SCHEDULER_HOLD = Duration.ofMinutes(5);

  /**
   * Enqueues one dispatch task per GUID on the caller's connection and transaction. A GUID already
   * queued is skipped: the unique {@code (task_name, task_instance)} key collapses retries.
   *
   * @param hold {@link #SCHEDULER_HOLD} when batches dispatch, zero when db-scheduler does
   */
  /** Ingest's hand-off: the stored deliveries' dispatch tasks, in the storing transaction. */
  public static DeliveryWriter.Handoff handoff(Duration hold) {
    return (c, guids) -> enqueue(c, guids, hold);
  }

  public static void enqueue(Connection c, Collection<String> guids, Duration hold)
      throws SQLException {
    if (guids.isEmpty()) {
      return;
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "insert into scheduled_tasks (task_name, task_instance, task_data, execution_time,"
                + " picked, version, priority)"
                + " select ?, g, null, now() + ? * interval '1 millisecond', false, 1, 0"
                + " from unnest(?::text[]) as g order by g on conflict do nothing")) {
      ps.setString(1, DISPATCH_TASK);
      ps.setLong(2, hold.toMillis());
      ps.setArray(3, c.createArrayOf("text", guids.toArray()));
      if (ps.executeUpdate() > 0) {
        announce(c);
      }
    }
  }

  /**
   * Enqueues a redispatch of every queued job ignored with {@code outcome} since {@code since}.
   *
   * @return how many jobs were enqueued
   */
  public static int enqueueRedispatch(Connection c, String outcome, Instant since)
      throws SQLException {
    if (!REDISPATCHABLE.contains(outcome)) {
      throw new IllegalArgumentException("outcome must be one of " + REDISPATCHABLE);
    }
    return enqueueRedispatchWhere(c, outcome, since, null, null);
  }

  /**
   * Enqueues a redispatch of one job, the web UI's button: the statement of {@link
   * #enqueueRedispatch}, narrowed to the job, so it does nothing unless the job is queued and was
   * ignored with a redispatchable outcome.
   *
   * @return 1 when the job was enqueued, 0 otherwise
   */
  public static int enqueueRedispatch(Connection c, long jobId, int attempt) throws SQLException {
    return enqueueRedispatchWhere(c, null, null, jobId, attempt);
  }

  private static int enqueueRedispatchWhere(
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
      ps.setString(1, REDISPATCH_TASK);
      ps.setArray(
          2,
          c.createArrayOf(
              "text", outcome == null ? REDISPATCHABLE.toArray() : new String[] {outcome}));
      ps.setTimestamp(3, Timestamp.from(since == null ? Instant.EPOCH : since));
      ps.setObject(4, jobId, java.sql.Types.BIGINT);
      ps.setObject(5, jobId, java.sql.Types.BIGINT);
      ps.setObject(6, attempt, java.sql.Types.INTEGER);
      ps.setObject(7, attempt, java.sql.Types.INTEGER);
      int n = ps.executeUpdate();
      if (n > 0) {
        Signals.notify(c, WAKE_TOPIC, REDISPATCH_TASK);
      }
      return n;
    }
  }

  /**
   * {@code runway jobs redispatch} with {@code --job} or {@code --pool}: the queued jobs that match
   * every filter given, ignored with a redispatchable outcome or claimable (then re-matched, see
   * {@link Redispatch}); with {@code outcome}, only jobs ignored with it.
   *
   * @return how many jobs were enqueued
   */
  public static int enqueueRedispatch(
      Connection c, String outcome, Instant since, Long jobId, String pool) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "insert into scheduled_tasks (task_name, task_instance, task_data, execution_time,"
                + " picked, version, priority)"
                + " select ?, job_id || '/' || run_attempt, null, now(), false, 1, 0 from jobs"
                + " where status = 'queued' and received_at >= ?"
                + " and (outcome = any(?) or (outcome is null and pool is not null))"
                + " and (?::text is null or outcome = ?)"
                + " and (?::bigint is null or job_id = ?) and (?::text is null or pool = ?)"
                + " on conflict do nothing")) {
      ps.setString(1, REDISPATCH_TASK);
      ps.setTimestamp(2, Timestamp.from(since == null ? Instant.EPOCH : since));
      ps.setArray(3, c.createArrayOf("text", REDISPATCHABLE.toArray()));
      ps.setString(4, outcome);
      ps.setString(5, outcome);
      ps.setObject(6, jobId, java.sql.Types.BIGINT);
      ps.setObject(7, jobId, java.sql.Types.BIGINT);
      ps.setString(8, pool);
      ps.setString(9, pool);
      int n = ps.executeUpdate();
      if (n > 0) {
        Signals.notify(c, WAKE_TOPIC, REDISPATCH_TASK);
      }
      return n;
    }
  }

  /**
   * One redispatch task for each claimable job whose pool is not in {@code listed}: its pool
   * vanished from a source that answered (a pools file rewritten, a RunnerPool deleted or renamed).
   *
   * @param listed every pool name the source lists, readable or not
   * @return how many jobs were enqueued (a job already enqueued is not counted again)
   */
  static int enqueueVanished(Connection c, java.util.Collection<String> listed)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "insert into scheduled_tasks (task_name, task_instance, task_data, execution_time,"
                + " picked, version, priority)"
                + " select ?, job_id || '/' || run_attempt, null, now(), false, 1, 0 from jobs"
                + " where status = 'queued' and outcome is null and pool is not null"
                + " and pool <> all(?)"
                + " on conflict do nothing")) {
      ps.setString(1, REDISPATCH_TASK);
      ps.setArray(2, c.createArrayOf("text", listed.toArray()));
      int n = ps.executeUpdate();
      if (n > 0) {
        Signals.notify(c, WAKE_TOPIC, REDISPATCH_TASK);
      }
      return n;
    }
  }

  /**
   * Takes up to {@code max} due dispatch tasks that db-scheduler has not picked and that never
   * failed, locking their rows for the caller's transaction: another replica's batch and
   * db-scheduler's own fetch skip them, and a crash or a dropped connection releases them
   * untouched. Tasks that failed before stay with db-scheduler, which retries each with its
   * backoff.
   */
  static List<String> claimBatch(Connection c, int max) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select task_instance from scheduled_tasks where task_name = ?"
                + " and (not picked or last_heartbeat < now() - interval '30 seconds')"
                // Not "execution_time <= now()": a new task is held from db-scheduler, not from
                // the batches (SCHEDULER_HOLD), and the order stays the order of arrival.
                + " and coalesce(consecutive_failures, 0) = 0"
                + " order by execution_time limit ? for update skip locked")) {
      // Planned afresh each time, so that a fresh analyze (see analyze) applies at once.
      ps.unwrap(PGStatement.class).setPrepareThreshold(0);
      ps.setString(1, DISPATCH_TASK);
      ps.setInt(2, max);
      List<String> out = new ArrayList<>(max);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    }
  }

  /**
   * Refreshes the queue's planner statistics. A backlog of 100,000 arrives faster than autovacuum's
   * analyze follows; with statistics of a near-empty queue the planner reads and sorts the whole
   * queue for every batch (18 ms per batch at 100,000, against 0.3 ms with current statistics).
   */
  static void analyze(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("analyze scheduled_tasks")) {
      ps.execute();
    }
  }

  /** Removes the done tasks of {@code guids}, in the caller's transaction that settled them. */
  static void completeBatch(Connection c, Collection<String> guids) throws SQLException {
    if (guids.isEmpty()) {
      return;
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "delete from scheduled_tasks where task_name = ? and task_instance = any(?)")) {
      ps.setString(1, DISPATCH_TASK);
      ps.setArray(2, c.createArrayOf("text", guids.toArray()));
      ps.executeUpdate();
    }
  }

  /**
   * Hands the tasks of a batch that could not be settled to db-scheduler's retry with backoff: one
   * failure recorded on each, due again after {@code delay}.
   */
  static void failBatch(Connection c, Collection<String> guids, Duration delay)
      throws SQLException {
    if (guids.isEmpty()) {
      return;
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "update scheduled_tasks set consecutive_failures = coalesce(consecutive_failures, 0) + 1,"
                + " last_failure = now(), execution_time = now() + ? * interval '1 millisecond',"
                + " picked = false, picked_by = null, last_heartbeat = null, version = version + 1"
                + " where task_name = ? and task_instance = any(?)"
                + " and (not picked or last_heartbeat < now() - interval '30 seconds')")) {
      ps.setLong(1, delay.toMillis());
      ps.setString(2, DISPATCH_TASK);
      ps.setArray(3, c.createArrayOf("text", guids.toArray()));
      ps.executeUpdate();
    }
  }

  /**
   * Announces new dispatch tasks to every replica when {@code c}'s transaction commits, so their
   * dispatchers wake at once instead of at their next poll.
   */
  static void announce(Connection c) throws SQLException {
    Signals.notify(c, WAKE_TOPIC, DISPATCH_TASK);
  }

  /** The {@code runway_queue_depth} gauge, refreshed from {@code poller}'s thread. */
  public static void registerMeters(Metrics metrics, Poller poller, DataSource ds) {
    AtomicLong depth = new AtomicLong();
    poller.every("runway_queue_depth", () -> depth.set(depth(ds)));
    metrics.gauge("runway.queue.depth", "Dispatch tasks not yet done", depth::get);
  }

  /** Dispatch tasks not yet done: the queue depth. */
  public static long depth(DataSource ds) throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement("select count(*) from scheduled_tasks where task_name = ?")) {
      ps.setString(1, DISPATCH_TASK);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** The one-time task named {@link #DISPATCH_TASK}, instance id = GUID. */
  static OneTimeTask<Void> task(DispatchWorker worker) {
    return Tasks.oneTime(DISPATCH_TASK)
        .onFailure(new CappedBackoff<>(Duration.ofSeconds(1), Duration.ofMinutes(5)))
        .execute((instance, ctx) -> worker.dispatch(instance.getId()));
  }

  /**
   * Builds the scheduler with the dispatch task plus {@code more} tasks. Recurring ones (the
   * reconcilers) are registered as start tasks only: db-scheduler schedules a recurring task's
   * execution only for those, runs each on one replica at a time, and refuses a task listed twice.
   */
  public static Scheduler scheduler(
      DataSource ds, int threads, Duration pollingInterval, Task<?> dispatch, List<Task<?>> more) {
    List<Task<?>> known = new ArrayList<>();
    List<RecurringTask<?>> recurring = new ArrayList<>();
    known.add(dispatch);
    for (Task<?> task : more) {
      if (task instanceof RecurringTask<?> r) {
        recurring.add(r);
      } else {
        known.add(task);
      }
    }
    return Scheduler.create(ds, known)
        .startTasks(recurring)
        .threads(threads)
        .pollingInterval(pollingInterval)
        .pollUsingLockAndFetch(0.5, 1.0)
        // A dispatch takes milliseconds. A short heartbeat lets an execution orphaned by a
        // crashed replica, or by a database drop mid-commit, be revived within half a minute.
        .heartbeatInterval(Duration.ofSeconds(5))
        .missedHeartbeatsLimit(4)
        .enableImmediateExecution()
        .shutdownMaxWait(Duration.ofSeconds(10))
        .build();
  }
}
