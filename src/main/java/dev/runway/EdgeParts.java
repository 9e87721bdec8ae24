package dev.runway;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.accounts.AccountDirectory;
import dev.runway.ingest.webhook.Intake;
import dev.runway.jobs.JobRepository;
import dev.runway.jobs.JobsApi;
import dev.runway.ledger.JobDetailApi;
import dev.runway.ledger.JobLedger;
import dev.runway.ledger.Seams;
import dev.runway.ledger.WaitGauges;
import dev.runway.ledger.WaitReasons;
import dev.runway.operators.OperatorAuthenticator;
import dev.runway.operators.OperatorTokens;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.db.Database;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.http.HttpRoutes;
import dev.runway.platform.http.HttpServer;
import dev.runway.platform.http.JsonResponses;
import dev.runway.platform.telemetry.Metrics;
import dev.runway.platform.telemetry.Poller;
import dev.runway.pools.PoolSource;
import dev.runway.repos.RepositoryShares;
import dev.runway.ui.MeterHistory;
import dev.runway.ui.OperatorUi;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * What the service serves over HTTP, and what only its readers need: the job ledger (why a job
 * waits, and those reasons' gauges), the operators' sign-in, the web UI with its last hour of
 * meters, and the two listeners with every route. It starts last, so nothing is served before the
 * parts behind it exist. Each part it starts is pushed on the stop stack: the meters' sampler, the
 * HTTP server, and then the long-poll, popped first so that long-polling claimers are answered at
 * once rather than waited for by the HTTP stop.
 */
final class EdgeParts {
  private final RunwayConfig config;
  private final Deque<AutoCloseable> stack;

  EdgeParts(RunwayConfig config, Deque<AutoCloseable> stack) {
    this.config = config;
    this.stack = stack;
  }

  /** The parts the routes serve, built by the other assemblies. */
  record Served(
      Database db,
      JobRepository jobs,
      PoolSource pools,
      AccountDirectory accounts,
      Optional<GitHubClient> github,
      IngestParts ingest,
      Intake intake,
      RunnerParts runners,
      Metrics metrics,
      Poller poller,
      ObjectMapper json,
      JsonResponses out,
      Clock clock,
      BooleanSupplier stopping) {}

  /** Builds the ledger, the operators' sign-in and the UI, and starts both listeners. */
  HttpServer.Pair serve(Served s) {
    WaitReasons waitReasons =
        new WaitReasons(
            s.pools(),
            s.runners().claims.configProblems(),
            s.github().<Seams.JitPauses>map(g -> g::pausedUntil).orElse(Seams.JitPauses.NONE),
            new RepositoryShares()::atCap,
            s.clock());
    new WaitGauges(waitReasons, s.metrics().registry(), s.clock()).poll(s.poller(), s.db().main());
    JobLedger jobLedger = new JobLedger(s.jobs(), waitReasons);
    OperatorTokens operatorTokens = new OperatorTokens();
    OperatorAuthenticator operators =
        new OperatorAuthenticator(s.db().main(), operatorTokens, s.clock(), s.metrics().registry());
    // The UI's last hour of meters, sampled on a thread of its own.
    MeterHistory history = new MeterHistory(s.metrics().registry(), s.clock());
    Poller sampler = new Poller(MeterHistory.INTERVAL);
    stack.push(sampler);
    sampler.every(history::sample);
    List<HttpRoutes> routes =
        new ArrayList<>(
            List.of(
                s.ingest().webhook(s.intake(), s.metrics(), s.json(), s.clock()),
                s.runners().claimsApi,
                s.runners().eventsApi,
                s.ingest().health(s.stopping(), s.out()),
                s.metrics(),
                s.ingest().deliveriesApi(s.db(), s.out()),
                new JobsApi(s.db().main(), s.jobs(), s.out()),
                new JobDetailApi(s.db().main(), jobLedger, s.out()),
                new OperatorUi(
                    new OperatorUi.Sources(
                        s.db().main(),
                        operators,
                        operatorTokens,
                        s.pools(),
                        s.ingest().spool,
                        history,
                        s.accounts(),
                        s.github(),
                        s.runners().degradedPools,
                        s.clock(),
                        jobLedger))));
    s.runners().instanceApi(s.out()).ifPresent(routes::add);
    HttpServer.Pair http =
        HttpServer.start(
            config.port(),
            config.adminPort(),
            routes,
            management -> management.before("/api/v1/*", operators::require));
    stack.push(() -> http.stop(config.shutdownGrace()));
    // Popped before the HTTP stop: long-polling claimers are answered at once, not waited for.
    stack.push(s.runners().longPoll);
    return http;
  }
}
