package dev.runway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Ticker;
import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.Task;
import dev.runway.accounts.AccountDirectory;
import dev.runway.accounts.AccountRepository;
import dev.runway.accounts.InstallationEvents;
import dev.runway.claims.LeaseReaper;
import dev.runway.dispatch.BatchDispatcher;
import dev.runway.dispatch.DispatchQueue;
import dev.runway.dispatch.DispatchTasks;
import dev.runway.ingest.inbox.InboxRepository;
import dev.runway.ingest.webhook.DeliveryWriter;
import dev.runway.jobs.JobListener;
import dev.runway.jobs.JobRepository;
import dev.runway.ledger.Sweep;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.db.Database;
import dev.runway.platform.db.Signals;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.telemetry.Metrics;
import dev.runway.pools.PoolSource;
import dev.runway.redelivery.ReconcilerCheckpoints;
import dev.runway.redelivery.RedeliveryReconciler;
import dev.runway.redelivery.RedeliveryRepository;
import dev.runway.retention.Pruner;
import dev.runway.runners.OrphanedRunners;
import dev.runway.runners.RunnerBinding;
import dev.runway.runners.RunnerLossReruns;
import dev.runway.runners.StaleJobCheck;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dispatch side's parts: the recurring tasks that run with the dispatch queue (the redelivery
 * reconciler, the stale-job check), how long new tasks wait for db-scheduler, and what wakes
 * dispatch when new tasks commit. {@link Runway} starts them once the database answers.
 */
final class DispatchParts {
  private static final Logger log = LoggerFactory.getLogger(DispatchParts.class);

  private final RunwayConfig config;
  private final Deque<AutoCloseable> stack;

  DispatchParts(RunwayConfig config, Deque<AutoCloseable> stack) {
    this.config = config;
    this.stack = stack;
  }

  private static final Duration ORPHAN_INTERVAL = Duration.ofMinutes(10);
  private static final Duration RERUN_INTERVAL = Duration.ofSeconds(5);

  /** The account cache and the dispatch tasks that read it. */
  record Tasks(AccountDirectory accounts, DispatchTasks dispatch) {}

  /**
   * The dispatch tasks, over a 60 s cache of the accounts (hits only: a miss is read on the
   * dispatch transaction's own connection), handing every job they write to {@code listener}.
   */
  Tasks tasks(
      Database db,
      InboxRepository inbox,
      JobRepository jobs,
      PoolSource pools,
      ObjectMapper json,
      Metrics metrics,
      Clock clock,
      JobListener listener) {
    AccountRepository accountRepo = new AccountRepository();
    AccountDirectory accounts =
        new AccountDirectory(db.main(), accountRepo, Duration.ofSeconds(60), Ticker.systemTicker());
    DispatchTasks dispatch =
        new DispatchTasks(
            db.main(),
            inbox,
            jobs,
            accounts,
            new InstallationEvents(accountRepo, accounts),
            pools,
            json,
            metrics,
            clock,
            listener);
    return new Tasks(accounts, dispatch);
  }

  /**
   * The recurring tasks that run with the dispatch queue, one replica at a time each: redispatch,
   * the lease reaper, retention, the redelivery reconciler, the stale-job check, and, with the
   * GitHub App, the sweep, orphaned runners and reruns after a lost runner.
   */
  List<Task<?>> background(
      Database db,
      InboxRepository inbox,
      JobRepository jobs,
      PoolSource pools,
      Optional<GitHubClient> github,
      RunnerBinding binding,
      DispatchTasks dispatch,
      Metrics metrics,
      Clock clock,
      BooleanSupplier stopping,
      BooleanSupplier redeliveryReady) {
    List<Task<?>> background = new ArrayList<>();
    background.add(dispatch.redispatch());
    background.add(new LeaseReaper(db.main(), jobs, clock).task(config.claimReapInterval()));
    background.add(
        new Pruner(
                db.main(),
                config.retention(),
                clock,
                Pruner.MAX_BATCH,
                stopping,
                metrics.registry())
            .task());
    background.add(redeliveryTask(db.main(), inbox, github, metrics, clock, redeliveryReady));
    staleJobCheck(db.main(), jobs, github, binding, clock).ifPresent(background::add);
    if (config.sweep().enabled()) {
      github.ifPresent(
          gh ->
              background.add(
                  new Sweep(
                          db.main(),
                          gh,
                          new DeliveryWriter(inbox, DispatchQueue.handoff(schedulerHold())),
                          metrics.registry(),
                          clock)
                      .task(config.sweep().interval())));
    }
    github.ifPresent(
        gh -> background.add(new OrphanedRunners(db.main(), gh, clock).task(ORPHAN_INTERVAL)));
    github.ifPresent(
        gh ->
            background.add(
                new RunnerLossReruns(db.main(), gh, pools, clock, metrics.registry())
                    .task(RERUN_INTERVAL)));
    return background;
  }

  /** New dispatch tasks wait this long for db-scheduler; the batches, if any, take them at once. */
  Duration schedulerHold() {
    return config.dispatchBatch() > 1 ? DispatchQueue.SCHEDULER_HOLD : Duration.ZERO;
  }

  /**
   * What wakes dispatch when new tasks are committed: in this process, the intake's and the spool
   * drainer's commits call the returned action at once; other replicas' commits arrive through
   * {@link Signals} ({@code LISTEN/NOTIFY}, sent by {@link DispatchQueue} in the enqueuing
   * transaction). With batching on, the batch dispatcher takes new deliveries and db-scheduler's
   * own poll only serves retries and redispatches; with {@code RUNWAY_DISPATCH_BATCH=1}
   * db-scheduler takes every task and is woken directly. Either way the poll interval is only a
   * fallback for a lost signal.
   */
  Runnable wakeDispatch(DispatchTasks dispatch, Scheduler scheduler, Signals signals) {
    BatchDispatcher batches =
        config.dispatchBatch() > 1
            ? dispatch
                .batches(config.dispatchBatch(), config.dispatchPollInterval())
                .start(Math.min(2, config.dispatchThreads()))
            : null;
    if (batches != null) {
      stack.push(batches);
    }
    signals.subscribe(
        DispatchQueue.WAKE_TOPIC,
        key -> {
          if (batches == null || !key.equals(DispatchQueue.DISPATCH_TASK)) {
            scheduler.triggerCheckForDueExecutions();
          }
          if (batches != null) {
            batches.wake();
          }
        });
    return batches != null ? batches::wake : scheduler::triggerCheckForDueExecutions;
  }

  /** The stale-job check's recurring task; it needs the GitHub App to ask about jobs. */
  Optional<Task<?>> staleJobCheck(
      DataSource ds,
      JobRepository jobs,
      Optional<GitHubClient> github,
      RunnerBinding binding,
      Clock clock) {
    if (github.isEmpty()) {
      log.info("no GitHub App configured: claims answer 503, the stale-job check is off");
      return Optional.empty();
    }
    return Optional.of(
        new StaleJobCheck(
                ds,
                jobs,
                github.get(),
                binding,
                clock,
                config.staleInProgress(),
                config.staleQueued())
            .task(config.staleCheckInterval()));
  }

  /**
   * The redelivery reconciler's recurring task: the real one when the App's credentials are
   * configured and it is enabled, otherwise a stand-in under the same name that does nothing.
   */
  Task<?> redeliveryTask(
      DataSource ds,
      InboxRepository inbox,
      Optional<GitHubClient> github,
      Metrics metrics,
      Clock clock,
      BooleanSupplier ready) {
    RunwayConfig.Redelivery settings = config.redelivery();
    if (!config.redeliveryActive() || github.isEmpty()) {
      log.info(
          "redelivery of failed deliveries is off ({})",
          settings.enabled()
              ? "set " + RunwayConfig.GITHUB_APP_ID + " and " + RunwayConfig.GITHUB_PRIVATE_KEY_FILE
              : RunwayConfig.REDELIVERY_ENABLED + "=false");
      return RedeliveryReconciler.disabledTask(settings.interval());
    }
    RedeliveryReconciler reconciler =
        new RedeliveryReconciler(
            ds,
            github.get(),
            inbox,
            new RedeliveryRepository(),
            new ReconcilerCheckpoints(),
            settings,
            metrics,
            clock,
            ready);
    log.info(
        "redelivering failed workflow_job deliveries every {} via {}",
        settings.interval(),
        config.githubApiUrl());
    return RedeliveryReconciler.task(reconciler, settings.interval());
  }
}
