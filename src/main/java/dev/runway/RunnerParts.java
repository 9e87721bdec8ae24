package dev.runway;

import dev.runway.claims.ClaimMetrics;
import dev.runway.claims.Claims;
import dev.runway.claims.ClaimsApi;
import dev.runway.claims.LongPollClaims;
import dev.runway.claims.PoolTokens;
import dev.runway.claims.PoolWakeups;
import dev.runway.claims.WarmClaims;
import dev.runway.jobs.JobRepository;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.db.Database;
import dev.runway.platform.db.Signals;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.http.Bulkhead;
import dev.runway.platform.http.HttpRoutes;
import dev.runway.platform.http.JsonResponses;
import dev.runway.platform.telemetry.Metrics;
import dev.runway.platform.telemetry.Poller;
import dev.runway.pools.DegradedPools;
import dev.runway.pools.KubernetesPoolSource;
import dev.runway.pools.PoolSource;
import dev.runway.providers.ProviderLauncher;
import dev.runway.provisioner.Provisioner;
import dev.runway.repos.RepositoryMetrics;
import dev.runway.runners.ClaimEventsApi;
import dev.runway.runners.PoolStartHealth;
import dev.runway.runners.RunnerMetrics;
import dev.runway.runners.RunnerRegistrations;
import dev.runway.runners.RunnerStates;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The runner side: the claim transaction ({@link Claims}) and its long-poll, the runner state
 * machine, the Kubernetes provisioner and the provider launcher when configured, which pools are
 * Degraded, and the bulkheads that keep claims, claim events and booting instances off the threads
 * the webhook needs. Each part it starts is pushed on the stop stack.
 */
final class RunnerParts {
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

  final Claims claims;
  final LongPollClaims longPoll;
  final RunnerStates runnerStates;
  final DegradedPools degradedPools;
  final ClaimsApi claimsApi;
  final ClaimEventsApi eventsApi;
  private final ProviderLauncher providers;
  private final Bulkhead instancesBulkhead;

  RunnerParts(
      RunwayConfig config,
      Deque<AutoCloseable> stack,
      Database db,
      JobRepository jobs,
      PoolSource pools,
      Optional<GitHubClient> github,
      ClaimMetrics claimMetrics,
      Poller poller,
      Signals signals,
      Metrics metrics,
      com.fasterxml.jackson.databind.ObjectMapper json,
      JsonResponses out,
      Clock clock) {
    // Claimers of every replica are woken by the signals of any (a claimable job, a freed cap).
    PoolWakeups wakeups = new PoolWakeups(MAX_CLAIM_WAITERS);
    wakeups.listen(signals);
    // The runner side's query-backed gauges, refreshed by the service's poller.
    claimMetrics.pollJobs(poller, db.main());
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
    this.claims =
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
    this.longPoll = new LongPollClaims(claims, wakeups, CLAIM_WAIT_THREADS);
    ExecutorService runnerCleanup =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "runner-cleanup");
              t.setDaemon(true);
              return t;
            });
    stack.push(runnerCleanup::shutdown);
    RunnerRegistrations runnerRegistrations = new RunnerRegistrations(db.main(), github);
    this.runnerStates =
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
    this.instancesBulkhead =
        new Bulkhead(
            "provider_instances",
            PROVIDER_INSTANCE_THREADS,
            PROVIDER_INSTANCE_QUEUE,
            BULKHEAD_MAX_QUEUE_WAIT,
            out,
            metrics.registry());
    stack.push(instancesBulkhead);
    this.degradedPools = degradedPools;
    this.providers = providers;
    this.claimsApi =
        new ClaimsApi(db.main(), new PoolTokens(), claims, longPoll, out, claimsBulkhead);
    this.eventsApi =
        new ClaimEventsApi(db.main(), new PoolTokens(), runnerStates, out, eventsBulkhead);
  }

  /** The booting instances' metadata and callback routes, when provider pools run here. */
  Optional<HttpRoutes> instanceApi(JsonResponses out) {
    return Optional.ofNullable(providers).map(p -> p.instanceApi(out, instancesBulkhead));
  }
}
