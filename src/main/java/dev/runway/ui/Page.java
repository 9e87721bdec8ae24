package dev.runway.ui;

import dev.runway.accounts.Account;
import dev.runway.accounts.AccountReads;
import dev.runway.ingest.inbox.InboxReads;
import dev.runway.pools.PoolView;
import dev.runway.redelivery.RedeliveryReads;
import dev.runway.repos.RepositoryShares;
import io.javalin.http.Context;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What every page of the operator UI shares: the frame (title, navigation, banners), the features'
 * read APIs the pages read through, and small helpers for actions (303s, flash messages, blank
 * fields).
 */
abstract class Page {
  /** Where the given-up banner looks: GitHub redelivers nothing older than three days anyway. */
  static final Duration GIVEN_UP_WINDOW = Duration.ofDays(3);

  final OperatorUi.Sources src;
  final Templates templates;
  final InboxReads inbox = new InboxReads();
  final RedeliveryReads redeliveries = new RedeliveryReads();
  final AccountReads accounts = new AccountReads();

  Page(OperatorUi.Sources src, Templates templates) {
    this.src = src;
    this.templates = templates;
  }

  Views.Frame frame(UiSessions.Session s, String title, String active) throws SQLException {
    List<String> alerts = new ArrayList<>();
    PoolView view = src.pools().current();
    if (view instanceof PoolView.Unavailable u) {
      alerts.add("The pool source " + src.pools().describe() + " is unavailable: " + u.reason());
    }
    alerts.addAll(degradedAlerts(src.degradedPools().degraded()));
    // A configuration error stops every claim of the pool: no runner starts until it is fixed.
    new java.util.TreeMap<>(src.ledger().configProblems())
        .forEach(
            (pool, problem) ->
                alerts.add(
                    "Claims of pool "
                        + pool
                        + " cannot start runners since "
                        + problem.since()
                        + ": configuration error: "
                        + problem.cause()));
    if (src.history().spoolStuck(Duration.ofMinutes(1))) {
      alerts.add(
          "The spool is not draining: "
              + src.spool().depth()
              + " deliveries have waited on disk for over a minute. Is PostgreSQL up?");
    }
    try (Connection c = src.ds().getConnection()) {
      long givenUp = redeliveries.givenUpSince(c, src.clock().instant().minus(GIVEN_UP_WINDOW));
      if (givenUp > 0) {
        alerts.add(
            (givenUp == 1 ? "1 failed delivery was" : givenUp + " failed deliveries were")
                + " given up by the redelivery reconciler; see Deliveries.");
      }
    }
    return new Views.Frame(title, active, s.operator, s.csrf, s.takeFlash(), alerts);
  }

  /** One banner per Degraded pool: its jobs wait while its runners fail to start. */
  static List<String> degradedAlerts(Map<String, String> degraded) {
    return degraded.entrySet().stream()
        .map(
            e ->
                "Pool "
                    + e.getKey()
                    + " is Degraded ("
                    + e.getValue()
                    + "): its runners fail to start, so its jobs wait. See Pools.")
        .toList();
  }

  static String ageSince(Instant t, Instant now) {
    return t == null ? "—" : Views.age(Duration.between(t, now));
  }

  static Views.Frame withFlash(Views.Frame f, String flash) {
    return new Views.Frame(f.title(), f.active(), f.operator(), f.csrf(), flash, f.alerts());
  }

  /** A 303 to {@code path} with an empty body (Javalin's redirect writes one). */
  static void seeOther(Context ctx, String path) {
    ctx.status(303).header("Location", path).result("");
  }

  static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  /**
   * Every repository with settings or current jobs (through {@code repos}' read API), with why its
   * claimable jobs wait: its own cap, its account's cap, or only for a runner to claim them.
   */
  List<Views.RepoRow> repoRows(Connection c) throws SQLException {
    List<RepositoryShares.Share> shares = new RepositoryShares().list(c, null);
    Map<String, Long> runningByAccount = new java.util.HashMap<>();
    shares.forEach(
        sh ->
            runningByAccount.merge(sh.account().toLowerCase(Locale.ROOT), sh.running(), Long::sum));
    Map<String, Account> byLogin = new java.util.HashMap<>();
    accounts.list(c).forEach(a -> byLogin.put(a.login().toLowerCase(Locale.ROOT), a));
    List<Views.RepoRow> out = new ArrayList<>();
    for (RepositoryShares.Share sh : shares) {
      String login = sh.account().toLowerCase(Locale.ROOT);
      Account a = byLogin.get(login);
      boolean accountFull =
          a != null
              && (!a.runnersEnabled()
                  || runningByAccount.getOrDefault(login, 0L) >= a.maxConcurrent());
      String why =
          sh.queued() == 0
              ? "-"
              : sh.atCap()
                  ? "repository_cap"
                  : accountFull ? "over_account_cap" : "waiting for a runner";
      out.add(
          new Views.RepoRow(
              sh.repository(),
              sh.account(),
              sh.maxConcurrent() == null ? "" : sh.maxConcurrent().toString(),
              weight(sh.weight()),
              sh.configured(),
              sh.running(),
              sh.queued(),
              String.format(Locale.ROOT, "%.2f", sh.share()),
              String.join(", ", sh.waitingIn()),
              why));
    }
    return out;
  }

  static String weight(double w) {
    return w == Math.rint(w) ? String.valueOf((long) w) : String.valueOf(w);
  }
}
