package dev.runway;

import com.github.benmanes.caffeine.cache.Ticker;
import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.Task;
import dev.runway.accounts.AccountDirectory;
import dev.runway.accounts.AccountRepository;
import dev.runway.claims.ClaimMetrics;
import dev.runway.claims.Claims;
import dev.runway.claims.ClaimsApi;
import dev.runway.claims.LeaseReaper;
import dev.runway.claims.PoolTokens;
import dev.runway.claims.RunnerBinding;
import dev.runway.claims.StaleJobCheck;
import dev.runway.config.ConfigException;
import dev.runway.config.RunwayConfig;
import dev.runway.db.Database;
import dev.runway.db.DatabaseHealth;
import dev.runway.deliveries.ReconcilerCheckpoints;
import dev.runway.deliveries.RedeliveryReconciler;
import dev.runway.deliveries.RedeliveryRepository;
import dev.runway.dispatch.DispatchQueue;
import dev.runway.dispatch.DispatchWorker;
import dev.runway.dispatch.Redispatch;
import dev.runway.github.AppJwtSigner;
import dev.runway.github.GitHubClient;
import dev.runway.github.PemKeys;
import dev.runway.github.Sleeper;
import dev.runway.http.HttpServer;
import dev.runway.http.JsonResponses;
import dev.runway.inbox.DeliveriesApi;
import dev.runway.inbox.InboxRepository;
import dev.runway.jobs.JobRepository;
import dev.runway.jobs.JobsApi;
import dev.runway.operators.OperatorAuthenticator;
import dev.runway.operators.OperatorTokens;
import dev.runway.pools.PoolSource;
import dev.runway.pools.PoolSources;
import dev.runway.retention.Pruner;
import dev.runway.spool.Spool;
import dev.runway.telemetry.Metrics;
import dev.runway.ui.MeterHistory;
import dev.runway.ui.OperatorUi;
import dev.runway.webhook.Intake;
import dev.runway.webhook.Payloads;
import dev.runway.webhook.SignatureVerifier;
import dev.runway.webhook.SpoolDrainer;
import dev.runway.webhook.WebhookHandler;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
 */
public final class Runway implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Runway.class);

  private final Deque<AutoCloseable> stack = new ArrayDeque<>();
  private final RunwayConfig config;
  private volatile boolean stopping;
  private volatile boolean serving;
  private HttpServer http;

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

    Database db =
        config.databaseUrl().isPresent()
            ? Database.open(
                new Database.Target(
                    config.databaseUrl().get(),
                    config.databaseUser().orElse(null),
                    config.databasePassword().orElse(null)),
                config.dispatchThreads() + 6)
            : Database.openEmbedded(config.dataDir(), config.dispatchThreads() + 6);
    stack.push(db);
    Database.migrate(db.main());

    InboxRepository inbox = new InboxRepository();
    DatabaseHealth health = new DatabaseHealth();
    Spool spool = new Spool(config.spoolDir(), config.spoolMaxBytes());
    stack.push(spool);
    log.info("spool in {}", config.spoolDir().toAbsolutePath());

    PoolSource pools =
        kubernetes == null
            ? PoolSources.fromConfig(config.pools(), metrics.registry())
            : PoolSources.fromConfig(config.pools(), metrics.registry(), kubernetes);
    stack.push(pools);
    pools.start();
    log.info("pools from {}", pools.describe());

    AccountRepository accountRepo = new AccountRepository();
    AccountDirectory accounts =
        new AccountDirectory(db.main(), accountRepo, Duration.ofSeconds(60), Ticker.systemTicker());
    JobRepository jobs = new JobRepository();
    ClaimMetrics claimMetrics = new ClaimMetrics(metrics);
    RunnerBinding binding = new RunnerBinding(claimMetrics, clock);
    DispatchWorker worker =
        new DispatchWorker(
            db.main(), inbox, jobs, accounts, accountRepo, pools, json, metrics, clock, binding);
    // Set once the intake exists; until then (and while stopping) this replica takes no webhooks.
    AtomicReference<Intake> intakeRef = new AtomicReference<>();
    List<Task<?>> background = new ArrayList<>();
    background.add(Redispatch.task(worker));
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
    github.ifPresentOrElse(
        gh ->
            background.add(
                new StaleJobCheck(
                        db.main(),
                        jobs,
                        gh,
                        binding,
                        clock,
                        config.staleInProgress(),
                        config.staleQueued())
                    .task(config.staleCheckInterval())),
        () -> log.info("no GitHub App configured: claims answer 503, the stale-job check is off"));
    Scheduler scheduler =
        DispatchQueue.scheduler(
            db.main(),
            config.dispatchThreads(),
            Duration.ofSeconds(1),
            DispatchQueue.task(worker),
            background);
    scheduler.start();
    stack.push(scheduler::stop);

    // Wakes the queue after a commit so a delivery is dispatched within milliseconds at low rates,
    // but at most every 100 ms: under a burst, one poll fetches a batch instead of one poll per
    // commit competing with the webhook path for the same two cores.
    Runnable wakeDispatch =
        atMostEvery(Duration.ofMillis(100), scheduler::triggerCheckForDueExecutions);
    Payloads payloads = new Payloads(json);
    Intake intake =
        new Intake(
            db.intake(), inbox, health, spool, config.intakeBudget(), () -> {}, metrics.registry());
    intakeRef.set(intake);
    stack.push(() -> intake.close(config.shutdownGrace()));
    SpoolDrainer drainer =
        new SpoolDrainer(spool, db.main(), inbox, payloads, health, wakeDispatch);
    drainer.start(config.drainInterval());
    stack.push(drainer);

    AtomicLong queueDepth = new AtomicLong();
    ScheduledExecutorService poller =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "queue-depth");
              t.setDaemon(true);
              return t;
            });
    poller.scheduleWithFixedDelay(
        () -> {
          try (Connection c = db.main().getConnection()) {
            queueDepth.set(inbox.queueDepth(db.main()));
            claimMetrics.refreshJobs(c);
          } catch (SQLException | RuntimeException e) {
            // The gauge keeps its last value; the outage shows in the spool and health signals.
          }
        },
        0,
        5,
        TimeUnit.SECONDS);
    stack.push(poller::shutdownNow);
    metrics.gauge("runway.queue.depth", "Dispatch tasks not yet done", queueDepth::get);
    metrics.gauge("runway.spool.depth", "Deliveries waiting in the disk spool", spool::depth);
    metrics.gauge("runway.spool.bytes", "Bytes in the disk spool", spool::sizeBytes);

    WebhookHandler webhook =
        new WebhookHandler(
            new SignatureVerifier(config.webhookSecrets()),
            payloads,
            intake,
            metrics,
            json,
            clock,
            config.webhookBodyTimeout());
    JsonResponses out = new JsonResponses(json);
    DeliveriesApi deliveries = new DeliveriesApi(db.main(), inbox, out);
    JobsApi jobsApi = new JobsApi(db.main(), jobs, out);
    ClaimsApi claimsApi =
        new ClaimsApi(
            db.main(),
            new PoolTokens(),
            new Claims(
                db.main(),
                jobs,
                pools,
                github,
                claimMetrics,
                clock,
                config.claimLease(),
                config.claimDeadline()),
            out);
    // The operator UI; it moves to the management listener (RUNWAY_ADMIN_PORT) with /api/v1.
    MeterHistory history = new MeterHistory(metrics.registry(), clock);
    history.start();
    stack.push(history);
    OperatorTokens operatorTokens = new OperatorTokens();
    OperatorUi ui =
        new OperatorUi(
            new OperatorUi.Sources(
                db.main(),
                new OperatorAuthenticator(db.main(), operatorTokens, clock, metrics.registry()),
                operatorTokens,
                pools,
                spool,
                metrics.registry(),
                history,
                accounts,
                github,
                clock));
    http =
        HttpServer.start(
            config.port(),
            routes -> {
              routes.post("/webhooks/github", webhook::handle);
              routes.get("/healthz", ctx -> out.send(ctx, 200, Map.of("status", "alive")));
              routes.get(
                  "/readyz",
                  ctx -> {
                    boolean ready = !stopping && intake.ready();
                    out.send(
                        ctx,
                        ready ? 200 : 503,
                        Map.of(
                            "status", ready ? "ready" : "not ready",
                            "database", health.isUp() ? "up" : "down",
                            "spool_depth", spool.depth()));
                  });
              routes.get(
                  "/metrics",
                  ctx -> ctx.contentType("text/plain; version=0.0.4").result(metrics.scrape()));
              routes.get("/api/v1/deliveries", deliveries::list);
              routes.get("/api/v1/deliveries/{guid}", deliveries::one);
              routes.get("/api/v1/jobs", jobsApi::list);
              routes.post("/api/v1/pools/{pool}/claims", claimsApi::claim);
              ui.routes(routes);
            });
    stack.push(() -> http.stop(config.shutdownGrace()));
    serving = true;
    log.info("Runway listening on port {}", http.port());
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

  /** Runs {@code action} when at least {@code interval} passed since it last ran; never blocks. */
  static Runnable atMostEvery(Duration interval, Runnable action) {
    AtomicLong last = new AtomicLong(System.nanoTime() - interval.toNanos());
    return () -> {
      long now = System.nanoTime();
      long prev = last.get();
      if (now - prev >= interval.toNanos() && last.compareAndSet(prev, now)) {
        action.run();
      }
    };
  }

  /** The HTTP port, useful when the configuration asked for 0. */
  public int port() {
    return http.port();
  }

  public RunwayConfig config() {
    return config;
  }

  /** Stops in reverse start order: HTTP first (finishing requests in flight), database last. */
  @Override
  public void close() {
    if (!stopping) {
      log.info("stopping Runway");
    }
    stopping = true;
    while (!stack.isEmpty()) {
      try {
        stack.pop().close();
      } catch (Exception e) {
        log.warn("error while stopping: {}", e.toString());
      }
    }
  }
}
