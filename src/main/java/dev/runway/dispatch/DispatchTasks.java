package dev.runway.dispatch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import dev.runway.accounts.AccountDirectory;
import dev.runway.accounts.InstallationEvents;
import dev.runway.ingest.inbox.InboxRepository;
import dev.runway.jobs.JobListener;
import dev.runway.jobs.JobRepository;
import dev.runway.platform.telemetry.Metrics;
import dev.runway.pools.PoolSource;
import java.time.Clock;
import javax.sql.DataSource;

/** The dispatch feature as the wiring class sees it: its two db-scheduler tasks. */
public final class DispatchTasks {
  private final DispatchWorker worker;
  private final Redispatch redispatch;

  public DispatchTasks(
      DataSource ds,
      InboxRepository inbox,
      JobRepository jobs,
      AccountDirectory accounts,
      InstallationEvents installations,
      PoolSource pools,
      ObjectMapper json,
      Metrics metrics,
      Clock clock,
      JobListener listener) {
    JobEvaluator evaluator = new JobEvaluator(accounts, pools);
    this.worker =
        new DispatchWorker(
            ds, inbox, jobs, evaluator, installations, json, metrics, clock, listener);
    this.redispatch = new Redispatch(ds, jobs, evaluator, metrics, clock);
  }

  /** Dispatches one delivery; instance id = GUID. */
  public OneTimeTask<Void> dispatch() {
    return DispatchQueue.task(worker);
  }

  /**
   * Threads (not started) that dispatch up to {@code maxBatch} deliveries per transaction when
   * woken, and at least every {@code pollInterval}.
   */
  public BatchDispatcher batches(int maxBatch, java.time.Duration pollInterval) {
    return new BatchDispatcher(worker::dispatchBatch, maxBatch, pollInterval);
  }

  /** Re-evaluates one ignored queued job; instance id {@code JOB_ID/ATTEMPT}. */
  public OneTimeTask<Void> redispatch() {
    return redispatch.task();
  }
}
