package dev.runway.ui;

import dev.runway.accounts.AccountDirectory;
import dev.runway.dispatch.DispatchQueue;
import dev.runway.ingest.spool.Spool;
import dev.runway.ledger.JobLedger;
import dev.runway.operators.OperatorAuthenticator;
import dev.runway.operators.OperatorTokens;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.http.HttpRoutes;
import dev.runway.platform.http.Listeners;
import dev.runway.pools.DegradedPools;
import dev.runway.pools.PoolSource;
import io.javalin.config.RoutesConfig;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator web UI under {@code /ui}: its routes, each to one page class ({@link OverviewPage},
 * {@link PoolsPage}, {@link JobsPage}, {@link DeliveriesPage}, {@link AccountsPage}).
 * Server-rendered pages (precompiled jte templates, escaped as HTML) that read through each
 * feature's read API ({@code JobReads}, {@code AccountReads}, {@code InboxReads}, {@code
 * RedeliveryReads}, {@code RepositoryShares}), never a repository. Every page but the login form
 * needs a session cookie ({@link UiSessions}); every POST but the login also needs the session's
 * CSRF token. Actions run the CLI's code: {@link DispatchQueue#enqueueRedispatch} (as {@code runway
 * jobs redispatch}), {@link GitHubClient#redeliver} (as {@code runway deliveries redeliver ID}) and
 * {@link AccountDirectory#update} (as {@code runway accounts set}).
 */
public final class OperatorUi implements HttpRoutes {
  private static final Logger log = LoggerFactory.getLogger(OperatorUi.class);

  /** The sources of the pages. */
  public record Sources(
      DataSource ds,
      OperatorAuthenticator authenticator,
      OperatorTokens tokens,
      PoolSource pools,
      Spool spool,
      MeterHistory history,
      AccountDirectory accountDirectory,
      Optional<GitHubClient> github,
      DegradedPools degradedPools,
      Clock clock,
      JobLedger ledger) {}

  private final Sources src;
  private final Templates templates = new Templates();
  private final UiAuth auth;
  private final OverviewPage overview;
  private final PoolsPage pools;
  private final JobsPage jobs;
  private final DeliveriesPage deliveries;
  private final AccountsPage accounts;

  public OperatorUi(Sources src) {
    this.src = src;
    this.auth =
        new UiAuth(
            src.ds(), src.authenticator(), src.tokens(), new UiSessions(src.clock()), templates);
    this.overview = new OverviewPage(src, templates);
    this.pools = new PoolsPage(src, templates);
    this.jobs = new JobsPage(src, templates);
    this.deliveries = new DeliveriesPage(src, templates);
    this.accounts = new AccountsPage(src, templates);
  }

  /** The UI lives on the management listener, with the operator APIs. */
  @Override
  public void register(Listeners listeners) {
    routes(listeners.management());
  }

  void routes(RoutesConfig r) {
    auth.routes(r);
    // Someone who opens the management port in a browser wants the UI, not a JSON 404.
    r.get("/", ctx -> UiAuth.seeOther(ctx, "/ui"));
    r.get("/ui", auth.page(overview::overview));
    r.get("/ui/pools", auth.page(pools::pools));
    r.get("/ui/jobs", auth.page(jobs::jobsList));
    r.get("/ui/jobs/{job}/{attempt}", auth.page(jobs::job));
    r.post("/ui/jobs/{job}/{attempt}/redispatch", auth.action(jobs::redispatch));
    r.post("/ui/jobs/redispatch", auth.action(jobs::redispatchAll));
    r.get("/ui/deliveries", auth.page(deliveries::deliveries));
    r.post("/ui/deliveries/redeliver", auth.action(deliveries::redeliver));
    r.get("/ui/accounts", auth.page(accounts::accountsPage));
    r.post("/ui/accounts/{login}", auth.action(accounts::updateAccount));
    r.post("/ui/repos", auth.action(accounts::setRepository));
    r.post("/ui/repos/unset", auth.action(accounts::unsetRepository));
  }

  /** The GET routes that show data, each of which needs a session. */
  static final List<String> PAGES =
      List.of("/ui", "/ui/pools", "/ui/jobs", "/ui/jobs/1/1", "/ui/deliveries", "/ui/accounts");
}
