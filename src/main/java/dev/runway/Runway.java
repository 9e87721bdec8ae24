package dev.runway;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.Task;
import dev.runway.claims.ClaimMetrics;
import dev.runway.claims.ClaimableSignals;
import dev.runway.dispatch.DispatchQueue;
import dev.runway.dispatch.DispatchTasks;
import dev.runway.dispatch.VanishedPools;
import dev.runway.ingest.webhook.Intake;
import dev.runway.jobs.JobListener;
import dev.runway.jobs.JobRepository;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.db.Database;
import dev.runway.platform.db.DatabaseWaiter;
import dev.runway.platform.db.Signals;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.Sleeper;
import dev.runway.platform.http.HttpServer;
import dev.runway.platform.http.Json;
import dev.runway.platform.http.JsonResponses;
import dev.runway.platform.telemetry.Metrics;
import dev.runway.platform.telemetry.Poller;
import dev.runway.pools.PoolSource;
import dev.runway.runners.RunnerBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where Runway is wired: it builds the database, the spool, the intake path, the
 * queue and the HTTP server from the configuration, starts them in order, and stops them in reverse
 * order with bounded waits. There is no DI container; reading this class is reading the system's
 * shape.
 *
 * <p>The parts are assembled by {@link PlatformParts} (database, pools, GitHub client, signals),
 * {@link IngestParts} (spool, intake, spool drain, the webhook and health routes), {@link
 * DispatchParts} (the account cache, the dispatch tasks, the queue's recurring tasks and wake-up),
 * {@link RunnerParts} (claims, runners, provisioner, providers, bulkheads) and {@link EdgeParts}
 * (the job ledger, operators' sign-in, the UI, the HTTP server); this class orders their start and
 * their stop.
 */
public final class Runway implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Runway.class);

  // Pushed to from the database waiter's thread too; see startOnDatabase and close.
  private final Deque<AutoCloseable> stack = new ConcurrentLinkedDeque<>();
  private final Object lifecycle = new Object();
  private final RunwayConfig config;
  private volatile boolean stopping;
  private volatile boolean serving;
  private HttpServer.Pair http;

  private final DispatchParts dispatchParts;

  private Runway(RunwayConfig config) {
    this.config = config;
    this.dispatchParts = new DispatchParts(config, stack);
  }

  /** Builds and starts everything; on failure, stops what had started and rethrows. */
  public static Runway start(RunwayConfig config, Clock clock) throws Exception {
    return start(config, clock, Sleeper.system(), null);
  }

  /**
   * As {@link #start(RunwayConfig, Clock)}, with the waits of the GitHub client (backoff, rate
   * limits) going to {@code githubSleeper}, so tests need not spend them, and the Kubernetes client
   * for a {@code kubernetes:} pool source given by the caller (tests point it at a mock API
   * server); null means the default in-cluster or kubeconfig client.
   */
  public static Runway start(
      RunwayConfig config,
      Clock clock,
      Sleeper githubSleeper,
      Supplier<KubernetesClient> kubernetes)
      throws Exception {
    Runway r = new Runway(config);
    try {
      r.startAll(clock, githubSleeper, kubernetes);
      return r;
    } catch (Exception | Error e) {
      r.close();
      throw e;
    }
  }

  private void startAll(Clock clock, Sleeper githubSleeper, Supplier<KubernetesClient> kubernetes)
      throws Exception {
    log.info("starting Runway with {}", config.redacted());
    var json = Json.mapper();
    Metrics metrics = new Metrics();
    // Before anything starts: a bad key file stops the start with a message naming the variable.
    PlatformParts platform = new PlatformParts(config, stack);
    Optional<GitHubClient> github = platform.github(clock, githubSleeper, metrics);
    Database db = platform.database();
    IngestParts ingest = new IngestParts(config, stack, json);
    PoolSource pools = platform.pools(metrics, kubernetes);
    platform.requirePublicUrl(pools);

    JobRepository jobs = new JobRepository();
    ClaimMetrics claimMetrics = new ClaimMetrics(metrics);
    RunnerBinding binding = new RunnerBinding(jobs, claimMetrics, clock);
    Signals signals = platform.signals(db);
    DispatchParts.Tasks tasks =
        dispatchParts.tasks(
            db,
            ingest.inbox,
            jobs,
            pools,
            json,
            metrics,
            clock,
            JobListener.both(binding, new ClaimableSignals(jobs)));
    List<Task<?>> background =
        dispatchParts.background(
            db,
            ingest.inbox,
            jobs,
            pools,
            github,
            binding,
            tasks.dispatch(),
            metrics,
            clock,
            () -> stopping,
            () -> serving && !stopping && ingest.ready());
    Intake intake =
        ingest.intake(db, DispatchQueue.handoff(dispatchParts.schedulerHold()), metrics);

    // What needs the database (migrations, the queue with its reconcilers, the spool drain) starts
    // now if the database answers, and otherwise as soon as it does: meanwhile webhooks go to the
    // spool, so a rollout during a database outage still leaves replicas taking them.
    DatabaseWaiter waiter =
        new DatabaseWaiter(db.main(), Duration.ofMillis(500), Duration.ofSeconds(5));
    stack.push(waiter);
    DatabaseWaiter.Start onDatabase =
        () -> startOnDatabase(db, ingest, tasks.dispatch(), background, signals);
    if (waiter.reachable()) {
      onDatabase.run();
    } else {
      ingest.health.markDown("not reachable at start");
      log.warn(
          "PostgreSQL does not answer: taking webhooks into the spool; migrations, dispatch,"
              + " claims and reconcilers start once it does");
      waiter.whenReachable(onDatabase);
    }

    Poller poller = new Poller(Duration.ofSeconds(5), metrics.registry(), clock);
    stack.push(poller);
    DispatchQueue.registerMeters(metrics, poller, db.main());
    poller.every(new VanishedPools(db.main(), pools)::check);
    ingest.registerMeters(metrics);

    JsonResponses out = new JsonResponses(json);
    RunnerParts runners =
        new RunnerParts(
            config,
            stack,
            db,
            jobs,
            pools,
            github,
            claimMetrics,
            poller,
            signals,
            metrics,
            json,
            out,
            clock);
    http =
        new EdgeParts(config, stack)
            .serve(
                new EdgeParts.Served(
                    db,
                    jobs,
                    pools,
                    tasks.accounts(),
                    github,
                    ingest,
                    intake,
                    runners,
                    metrics,
                    poller,
                    json,
                    out,
                    clock,
                    () -> stopping));
    serving = true;
    log.info(
        "Runway listening on port {} (webhooks, claims), management on port {}",
        http.publicServer().port(),
        http.management().port());
  }

  /**
   * Migrates the database, then starts the dispatch queue with its reconcilers, the dispatch
   * wake-up and the spool drain. Runs at start when the database answers, else on the waiter's
   * thread once it does; never after the stop has begun.
   */
  private void startOnDatabase(
      Database db,
      IngestParts ingest,
      DispatchTasks dispatch,
      List<Task<?>> background,
      Signals signals) {
    synchronized (lifecycle) {
      if (stopping) {
        return;
      }
      Database.migrate(db.main());
      Scheduler scheduler =
          DispatchQueue.scheduler(
              db.main(),
              config.dispatchThreads(),
              config.dispatchPollInterval(),
              dispatch.dispatch(),
              background);
      scheduler.start();
      stack.push(scheduler::stop);
      // From now on the intake's commits wake dispatch at once too.
      ingest.startDrain(
          db,
          DispatchQueue.handoff(dispatchParts.schedulerHold()),
          dispatchParts.wakeDispatch(dispatch, scheduler, signals));
    }
  }

  /** The public port, useful when the configuration asked for 0. */
  public int port() {
    return http.publicServer().port();
  }

  /** The management port, useful when the configuration asked for 0. */
  public int adminPort() {
    return http.management().port();
  }

  public RunwayConfig config() {
    return config;
  }

  /** Stops in reverse start order: HTTP first (finishing requests in flight), database last. */
  @Override
  public void close() {
    boolean first;
    synchronized (lifecycle) {
      first = !stopping;
      if (first) {
        log.info("stopping Runway");
      }
      // Under the lock: the database waiter starts nothing once this is set.
      stopping = true;
    }
    while (!stack.isEmpty()) {
      try {
        stack.pop().close();
      } catch (Exception e) {
        log.warn("error while stopping: {}", e.toString());
      }
    }
    if (first) {
      // The one closing line: everything above, the database last, has stopped.
      log.info("Runway stopped");
    }
  }
}
