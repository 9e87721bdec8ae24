package dev.runway.dispatch;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.Task;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import dev.runway.inbox.InboxRepository;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * The durable dispatch queue: db-scheduler on PostgreSQL. Replicas share it safely, because
 * db-scheduler claims each execution with {@code SELECT ... FOR UPDATE SKIP LOCKED}; a task whose
 * worker died is revived after its heartbeat goes stale.
 */
public final class DispatchQueue {
  private DispatchQueue() {}

  /** The one-time task named {@link InboxRepository#DISPATCH_TASK}, instance id = GUID. */
  public static OneTimeTask<Void> task(DispatchWorker worker) {
    return Tasks.oneTime(InboxRepository.DISPATCH_TASK)
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
