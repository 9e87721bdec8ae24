package dev.runway;

import com.github.benmanes.caffeine.cache.Ticker;
import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.Task;
import dev.runway.accounts.AccountDirectory;
import dev.runway.accounts.AccountRepository;
import dev.runway.accounts.InstallationEvents;
import dev.runway.claims.ClaimMetrics;
import dev.runway.claims.ClaimableSignals;
import dev.runway.claims.Claims;
import dev.runway.claims.ClaimsApi;
import dev.runway.claims.LeaseReaper;
import dev.runway.claims.LongPollClaims;
import dev.runway.claims.PoolTokens;
import dev.runway.claims.PoolWakeups;
import dev.runway.claims.WarmClaims;
import dev.runway.dispatch.BatchDispatcher;
import dev.runway.dispatch.DispatchQueue;
import dev.runway.dispatch.DispatchTasks;
import dev.runway.dispatch.VanishedPools;
import dev.runway.ingest.inbox.DeliveriesApi;
import dev.runway.ingest.inbox.InboxRepository;
import dev.runway.ingest.spool.Spool;
import dev.runway.ingest.webhook.DeliveryWriter;
import dev.runway.ingest.webhook.HealthRoutes;
import dev.runway.ingest.webhook.Intake;
import dev.runway.ingest.webhook.Payloads;
import dev.runway.ingest.webhook.SignatureVerifier;
import dev.runway.ingest.webhook.SpoolDrainer;
import dev.runway.ingest.webhook.WebhookHandler;
import dev.runway.jobs.JobListener;
import dev.runway.jobs.JobRepository;
import dev.runway.jobs.JobsApi;
import dev.runway.ledger.JobDetailApi;
import dev.runway.ledger.JobLedger;
import dev.runway.ledger.Seams;
import dev.runway.ledger.Sweep;
import dev.runway.ledger.WaitGauges;
import dev.runway.ledger.WaitReasons;
import dev.runway.operators.OperatorAuthenticator;
import dev.runway.operators.OperatorTokens;
import dev.runway.platform.config.ConfigException;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.db.Database;
import dev.runway.platform.db.DatabaseHealth;
import dev.runway.platform.db.DatabaseWaiter;
import dev.runway.platform.db.Signals;
import dev.runway.platform.github.AppJwtSigner;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.PemKeys;
import dev.runway.platform.github.Sleeper;
import dev.runway.platform.http.Bulkhead;
import dev.runway.platform.http.HttpRoutes;
import dev.runway.platform.http.HttpServer;
import dev.runway.platform.http.Json;
import dev.runway.platform.http.JsonResponses;
import dev.runway.platform.telemetry.Metrics;
import dev.runway.platform.telemetry.Poller;
import dev.runway.pools.DegradedPools;
import dev.runway.pools.KubernetesPoolSource;
import dev.runway.pools.PoolSource;
import dev.runway.pools.PoolSources;
import dev.runway.providers.ProviderLauncher;
import dev.runway.provisioner.Provisioner;
import dev.runway.redelivery.ReconcilerCheckpoints;
import dev.runway.redelivery.RedeliveryReconciler;
import dev.runway.redelivery.RedeliveryRepository;
import dev.runway.repos.RepositoryMetrics;
import dev.runway.repos.RepositoryShares;
import dev.runway.retention.Pruner;
import dev.runway.runners.ClaimEventsApi;
import dev.runway.runners.OrphanedRunners;
import dev.runway.runners.PoolStartHealth;
import dev.runway.runners.RunnerBinding;
import dev.runway.runners.RunnerLossReruns;
import dev.runway.runners.RunnerMetrics;
import dev.runway.runners.RunnerRegistrations;
import dev.runway.runners.RunnerStates;
import dev.runway.runners.StaleJobCheck;
import dev.runway.ui.MeterHistory;
import dev.runway.ui.OperatorUi;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where Runway is wired: it builds the database, the spool, the intake path, the
 * queue and the HTTP server from the configuration, starts them in order, and stops them in reverse
 * order with bounded waits. There is no DI container; reading this class is reading the system's
 * shape.
 *
 * <p>Over 400 lines: it still wires every part itself; handing that to a few assemblies (ingest,
 * dispatch, runners) is open (docs/architecture.md).
 */
public final class Runway implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Runway.class);

  /** Long-polling claimers one replica holds at most; past it, 503 with Retry-After. */
  private static final int MAX_CLAIM_WAITERS = 2000;

  /** Threads that run the claim attempts of woken long-polling claimers. */
  private static final int CLAIM_WAIT_THREADS = 8;

  /** Threads and queue of the claim events' bulkhead: database work only, a few at a time. */
  private static final int CLAIM_EVENT_THREADS = 8;

  private static final int CLAIM_EVENT_QUEUE = 256;

  /** Booting instances' metadata and callback calls running at once, and waiting at most. */
  private static final int PROVIDER_INSTANCE_THREADS = 4;

  private static final int PROVIDER_INSTANCE_QUEUE = 128;

  /** Work that waited longer than this for a bulkhead's thread is answered 503, not run. */
  private static final Duration BULKHEAD_MAX_QUEUE_WAIT = Duration.ofSeconds(10);

  private static final Duration ORPHAN_INTERVAL = Duration.ofMinutes(10);
  private static final Duration RERUN_INTERVAL = Duration.ofSeconds(5);

  // Pushed to from the database waiter's thread too; see startOnDatabase and close.
  private final Deque<AutoCloseable> stack = new ConcurrentLinkedDeque<>();
  private final Object lifecycle = new Object();
  private final RunwayConfig config;
  private volatile boolean stopping;
  private volatile boolean serving;
  private HttpServer.Pair http;

  private Runway(RunwayConfig config) {
    this.config = config;
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
    Optional<GitHubClient> github = github(clock, githubSleeper, metrics);

    Database db = database();

    InboxRepository inbox = new InboxRepository();
    DatabaseHealth health = new DatabaseHealth();
    Spool spool = new Spool(config.spoolDir(), config.spoolMaxBytes());
    stack.push(spool);
    log.info("spool in {}", config.spoolDir().toAbsolutePath());

    PoolSource pools = pools(metrics, kubernetes);
    requirePublicUrl(pools);

    AccountRepository accountRepo = new AccountRepository();
    AccountDirectory accounts =
        new AccountDirectory(db.main(), accountRepo, Duration.ofSeconds(60), Ticker.systemTicker());
    JobRepository jobs = new JobRepository();
    ClaimMetrics claimMetrics = new ClaimMetrics(metrics);
    RunnerBinding binding = new RunnerBinding(jobs, claimMetrics, clock);
    // One connection of the main pool listens for signals from every replica (hence +7, and +1 for
    // the
    // provisioner's leader lock).
    Signals signals = new Signals(db.main());
    PoolWakeups wakeups = new PoolWakeups(MAX_CLAIM_WAITERS);
    wakeups.listen(signals);
    signals.start();
    stack.push(signals);
    ClaimableSignals claimable = new ClaimableSignals(jobs);
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
            JobListener.both(binding, claimable));
    // Set once the intake exists; until then (and while stopping) this replica takes no webhooks.
    AtomicReference<Intake> intakeRef = new AtomicReference<>();
    List<Task<?>> background = new ArrayList<>();
    background.add(dispatch.redispatch());
    background.add(new LeaseReaper(db.main(), jobs, clock).task(config.claimReapInterval()));
    background.add(
        new Pruner(
                db.main(),
                config.retention(),
                clock,
                Pruner.MAX_BATCH,
                () -> stopping,
                metrics.registry())
            .task());
    background.add(
        redeliveryTask(
            db.main(),
            inbox,
            github,
            metrics,
            clock,
            () -> serving && !stopping && intakeRef.get() != null && intakeRef.get().ready()));
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

    Payloads payloads = new Payloads(json);
    // Set once dispatch runs (see startOnDatabase); until then a commit has nothing to wake.
    AtomicReference<Runnable> intakeWake = new AtomicReference<>(() -> {});
    Intake intake =
        new Intake(
            db.intake(),
            inbox,
            health,
            spool,
            config.intakeBudget(),
            DispatchQueue.handoff(schedulerHold()),
            () -> intakeWake.get().run(),
            metrics.registry());
    intakeRef.set(intake);
    stack.push(() -> intake.close(config.shutdownGrace()));

    // What needs the database (migrations, the queue with its reconcilers, the spool drain) starts
    // now if the database answers, and otherwise as soon as it does: meanwhile webhooks go to the
    // spool, so a rollout during a database outage still leaves replicas taking them.
    DatabaseWaiter waiter =
        new DatabaseWaiter(db.main(), Duration.ofMillis(500), Duration.ofSeconds(5));
    stack.push(waiter);
    DatabaseWaiter.Start onDatabase =
        () ->
            startOnDatabase(
                db, inbox, health, spool, payloads, dispatch, background, signals, intakeWake);
    if (waiter.reachable()) {
      onDatabase.run();
    } else {
      health.markDown("not reachable at start");
      log.warn(
          "PostgreSQL does not answer: taking webhooks into the spool; migrations, dispatch,"
              + " claims and reconcilers start once it does");
      waiter.whenReachable(onDatabase);
    }

    Poller poller = new Poller(Duration.ofSeconds(5), metrics.registry(), clock);
    stack.push(poller);
    DispatchQueue.registerMeters(metrics, poller, db.main());
    claimMetrics.pollJobs(poller, db.main());
    poller.every(new VanishedPools(db.main(), pools)::check);
    RunnerMetrics runnerMetrics = new RunnerMetrics(metrics);
    poller.every(
        "runway_runners",
        () -> {
          try (Connection c = db.main().getConnection()) {
            runnerMetrics.refresh(c);
          }
        });
    RepositoryMetrics repositoryMetrics = new RepositoryMetrics(metrics.registry());
    poller.every(
        () -> {
          try (Connection c = db.main().getConnection()) {
            repositoryMetrics.refresh(c);
          }
        });
    metrics.gauge("runway.claim.waiters", "Claim requests waiting in long-poll", wakeups::waiting);
    SpoolDrainer.registerMeters(metrics, spool);

    JsonResponses out = new JsonResponses(json);
    Claims claims =
        new Claims(
            db.main(),
            jobs,
            pools,
            github,
            claimMetrics,
            clock,
            config.claimLease(),
            config.claimDeadline());
    stack.push(claims);
    WaitReasons waitReasons =
        new WaitReasons(
            pools,
            claims.configProblems(),
            github.<Seams.JitPauses>map(g -> g::pausedUntil).orElse(Seams.JitPauses.NONE),
            new RepositoryShares()::atCap,
            clock);
    new WaitGauges(waitReasons, metrics.registry(), clock).poll(poller, db.main());
    JobLedger jobLedger = new JobLedger(jobs, waitReasons);
    LongPollClaims longPoll = new LongPollClaims(claims, wakeups, CLAIM_WAIT_THREADS);
    ExecutorService runnerCleanup =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "runner-cleanup");
              t.setDaemon(true);
              return t;
            });
    stack.push(runnerCleanup::shutdown);
    RunnerRegistrations runnerRegistrations = new RunnerRegistrations(db.main(), github);
    RunnerStates runnerStates =
        new RunnerStates(db.main(), jobs, runnerRegistrations, runnerMetrics, clock, runnerCleanup);
    DegradedPools degradedPools = DegradedPools.NONE;
    ProviderLauncher providers = null;
    if (pools instanceof KubernetesPoolSource kubernetesPools && github.isPresent()) {
      Provisioner provisioner =
          new Provisioner(
              kubernetesPools,
              claims,
              new WarmClaims(
                  db.main(), pools, github, clock, config.claimLease(), config.claimDeadline()),
              runnerStates,
              runnerRegistrations,
              db.main(),
              clock,
              config.provisioner(),
              metrics.registry());
      provisioner.start(signals);
      stack.push(provisioner);
      degradedPools = provisioner;
    }
    if (github.isPresent()) {
      ProviderLauncher launcher =
          new ProviderLauncher(
              db.main(),
              pools,
              claims,
              new WarmClaims(
                  db.main(), pools, github, clock, config.claimLease(), config.claimDeadline()),
              runnerStates,
              github.get(),
              config.githubApiUrl(),
              clock,
              new ProviderLauncher.Settings(
                  config.providers().publicUrl().orElse(null),
                  config.provisioner().interval(),
                  config.provisioner().launchesPerCycle(),
                  config.providers().syncInterval()),
              json,
              metrics.registry());
      launcher.start(signals);
      stack.push(launcher);
      providers = launcher;
      degradedPools = DegradedPools.both(degradedPools, launcher);
    }
    // Runners that fail to start, as agents report them: file pools become Degraded too.
    degradedPools =
        DegradedPools.both(degradedPools, new PoolStartHealth(db.main(), clock)::degraded);

    // Claims and claim events block on GitHub and the main pool: on threads of their own, never on
    // the public listener's, which the webhook needs. Closed after the HTTP stop (pushed first).
    Bulkhead claimsBulkhead =
        new Bulkhead(
            "claims",
            config.bulkheads().claimThreads(),
            config.bulkheads().claimQueue(),
            BULKHEAD_MAX_QUEUE_WAIT,
            out,
            metrics.registry());
    stack.push(claimsBulkhead);
    Bulkhead eventsBulkhead =
        new Bulkhead(
            "claim_events",
            CLAIM_EVENT_THREADS,
            CLAIM_EVENT_QUEUE,
            BULKHEAD_MAX_QUEUE_WAIT,
            out,
            metrics.registry());
    stack.push(eventsBulkhead);
    // What booting instances call: a bulkhead of their own, so a boot storm cannot take the threads
    // claims or the webhook need.
    Bulkhead instancesBulkhead =
        new Bulkhead(
            "provider_instances",
            PROVIDER_INSTANCE_THREADS,
            PROVIDER_INSTANCE_QUEUE,
            BULKHEAD_MAX_QUEUE_WAIT,
            out,
            metrics.registry());
    stack.push(instancesBulkhead);
    OperatorTokens operatorTokens = new OperatorTokens();
    OperatorAuthenticator operators =
        new OperatorAuthenticator(db.main(), operatorTokens, clock, metrics.registry());
    // The UI's last hour of meters, sampled on a thread of its own.
    MeterHistory history = new MeterHistory(metrics.registry(), clock);
    Poller sampler = new Poller(MeterHistory.INTERVAL);
    stack.push(sampler);
    sampler.every(history::sample);
    List<HttpRoutes> routes =
        new ArrayList<>(
            List.of(
                new WebhookHandler(
                    new SignatureVerifier(config.webhookSecrets()),
                    payloads,
                    intake,
                    metrics,
                    json,
                    clock,
                    config.webhookBodyTimeout(),
                    config.webhookUnverifiedMemory(),
                    config.dataDir().resolve("unverified")),
                new ClaimsApi(db.main(), new PoolTokens(), claims, longPoll, out, claimsBulkhead),
                new ClaimEventsApi(db.main(), new PoolTokens(), runnerStates, out, eventsBulkhead),
                new HealthRoutes(() -> !stopping && intake.ready(), health, spool, out),
                metrics,
                new DeliveriesApi(db.main(), inbox, out),
                new JobsApi(db.main(), jobs, out),
                new JobDetailApi(db.main(), jobLedger, out),
                new OperatorUi(
                    new OperatorUi.Sources(
                        db.main(),
                        operators,
                        operatorTokens,
                        pools,
                        spool,
                        history,
                        accounts,
                        github,
                        degradedPools,
                        clock,
                        jobLedger))));
    if (providers != null) {
      routes.add(providers.instanceApi(out, instancesBulkhead));
    }
    http =
        HttpServer.start(
            config.port(),
            config.adminPort(),
            routes,
            management -> management.before("/api/v1/*", operators::require));
    stack.push(() -> http.stop(config.shutdownGrace()));
    // Popped before the HTTP stop: long-polling claimers are answered at once, not waited for.
    stack.push(longPoll);
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
      InboxRepository inbox,
      DatabaseHealth health,
      Spool spool,
      Payloads payloads,
      DispatchTasks dispatch,
      List<Task<?>> background,
      Signals signals,
      AtomicReference<Runnable> intakeWake) {
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
      Runnable wakeDispatch = wakeDispatch(dispatch, scheduler, signals);
      // From now on the intake's commits wake dispatch at once too.
      intakeWake.set(wakeDispatch);
      SpoolDrainer drainer =
          new SpoolDrainer(
              spool,
              db.main(),
              inbox,
              payloads,
              health,
              DispatchQueue.handoff(schedulerHold()),
              wakeDispatch);
      drainer.start(config.drainInterval());
      stack.push(drainer);
    }
  }

  /** New dispatch tasks wait this long for db-scheduler; the batches, if any, take them at once. */
  private Duration schedulerHold() {
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
  private Runnable wakeDispatch(DispatchTasks dispatch, Scheduler scheduler, Signals signals) {
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

  /**
   * Opens the configured database, or starts the embedded one. An external database may be down
   * (the spool covers it, see {@link #startOnDatabase}); an embedded one that does not start stops
   * the start.
   */
  private Database database() throws IOException {
    // db-scheduler's threads, plus two batch dispatchers, the signal listener, the provisioner's
    // and the provider launcher's leader locks and the rest (+7).
    Database db =
        config.databaseUrl().isPresent()
            ? Database.open(
                new Database.Target(
                    config.databaseUrl().get(),
                    config.databaseUser().orElse(null),
                    config.databasePassword().orElse(null)),
                config.dispatchThreads() + 11)
            : Database.openEmbeddedForService(config.dataDir(), config.dispatchThreads() + 11);
    stack.push(db);
    return db;
  }

  /**
   * Stops the start when a pool of the pools file has a {@code provider} and {@code
   * RUNWAY_PUBLIC_URL} is unset: its instances would have no address to fetch their runner from.
   */
  private void requirePublicUrl(PoolSource pools) throws InterruptedException {
    if (config.providers().publicUrl().isPresent() || !config.pools().startsWith("file:")) {
      return;
    }
    Optional<String> providerPool =
        pools
            .awaitAvailable(Duration.ofSeconds(5))
            .fold(
                s ->
                    s.pools().stream()
                        .filter(p -> p.provider() != null)
                        .map(p -> p.name())
                        .findFirst(),
                reason -> Optional.empty());
    if (providerPool.isPresent()) {
      throw new ConfigException(
          RunwayConfig.PUBLIC_URL,
          "is required: pool "
              + providerPool.get()
              + " has a provider, and its instances fetch their runner's config from this address"
              + " (e.g. https://runway.example.com)");
    }
  }

  /** Starts the configured pool source; it answers from memory from now on. */
  private PoolSource pools(Metrics metrics, Supplier<KubernetesClient> kubernetes) {
    PoolSource pools =
        kubernetes == null
            ? PoolSources.fromConfig(
                config.pools(), metrics.registry(), config.provisioner().podPolicy())
            : PoolSources.fromConfig(
                config.pools(), metrics.registry(), kubernetes, config.provisioner().podPolicy());
    stack.push(pools);
    pools.start();
    log.info("pools from {}", pools.describe());
    return pools;
  }

  /** The stale-job check's recurring task; it needs the GitHub App to ask about jobs. */
  private Optional<Task<?>> staleJobCheck(
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
   * The GitHub App's client, when its credentials are configured. The key file is read once, here;
   * a missing or unreadable key stops the start with a message naming the variable, never quoting
   * the key.
   */
  private Optional<GitHubClient> github(Clock clock, Sleeper sleeper, Metrics metrics) {
    if (!config.hasAppCredentials()) {
      return Optional.empty();
    }
    var file = config.githubPrivateKeyFile().get();
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new ConfigException(
          RunwayConfig.GITHUB_PRIVATE_KEY_FILE,
          "cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
    }
    CharBuffer chars = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(bytes));
    char[] pem = new char[chars.remaining()];
    chars.get(pem);
    try {
      var key = PemKeys.parsePrivateKey(pem);
      return Optional.of(
          GitHubClient.builder(new AppJwtSigner(config.githubAppId().get(), key, clock))
              .apiUrl(config.githubApiUrl())
              .clock(clock)
              .sleeper(sleeper)
              .meterRegistry(metrics.registry())
              .maxConcurrency(config.bulkheads().githubMaxConcurrency())
              .build());
    } catch (PemKeys.InvalidPrivateKeyException e) {
      throw new ConfigException(
          RunwayConfig.GITHUB_PRIVATE_KEY_FILE, file + " holds " + e.getMessage());
    } finally {
      Arrays.fill(bytes, (byte) 0);
      Arrays.fill(pem, '\0');
      if (chars.hasArray()) {
        Arrays.fill(chars.array(), '\0');
      }
    }
  }

  /**
   * The redelivery reconciler's recurring task: the real one when the App's credentials are
   * configured and it is enabled, otherwise a stand-in under the same name that does nothing.
   */
  private Task<?> redeliveryTask(
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
