package dev.runway.ui;

import dev.runway.accounts.Account;
import dev.runway.accounts.AccountDirectory;
import dev.runway.accounts.AccountRepository;
import dev.runway.claims.RunnerMetrics;
import dev.runway.dispatch.DispatchQueue;
import dev.runway.ingest.inbox.InboxRepository;
import dev.runway.ingest.spool.Spool;
import dev.runway.jobs.Job;
import dev.runway.jobs.JobRepository;
import dev.runway.ledger.JobLedger;
import dev.runway.operators.OperatorAuthenticator;
import dev.runway.operators.OperatorTokens;
import dev.runway.platform.config.Durations;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.GitHubException;
import dev.runway.platform.http.HttpRoutes;
import dev.runway.platform.http.Listeners;
import dev.runway.pools.DegradedPools;
import dev.runway.pools.Pool;
import dev.runway.pools.PoolSnapshot;
import dev.runway.pools.PoolSource;
import dev.runway.pools.PoolView;
import dev.runway.redelivery.RedeliveryRepository;
import dev.runway.repos.RepositorySettings;
import dev.runway.repos.RepositoryShares;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator web UI under {@code /ui}: server-rendered pages (precompiled jte templates, escaped
 * as HTML) over the same repositories and commands the CLI uses. Every page but the login form
 * needs a session cookie ({@link UiSessions}); every POST but the login also needs the session's
 * CSRF token. Actions run the CLI's code: {@link DispatchQueue#enqueueRedispatch} (as {@code runway
 * jobs redispatch}), {@link GitHubClient#redeliver} (as {@code runway deliveries redeliver ID}) and
 * {@link AccountRepository#set} (as {@code runway accounts set}).
 */
public final class OperatorUi implements HttpRoutes {
  private static final Logger log = LoggerFactory.getLogger(OperatorUi.class);

  /** Where the given-up banner looks: GitHub redelivers nothing older than three days anyway. */
  static final Duration GIVEN_UP_WINDOW = Duration.ofDays(3);

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
  private final JobRepository jobs = new JobRepository();
  private final InboxRepository inbox = new InboxRepository();
  private final RedeliveryRepository redeliveries = new RedeliveryRepository();
  private final AccountRepository accounts = new AccountRepository();

  public OperatorUi(Sources src) {
    this.src = src;
    this.auth =
        new UiAuth(
            src.ds(), src.authenticator(), src.tokens(), new UiSessions(src.clock()), templates);
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
    r.get("/ui", auth.page(this::overview));
    r.get("/ui/pools", auth.page(this::pools));
    r.get("/ui/jobs", auth.page(this::jobsList));
    r.get("/ui/jobs/{job}/{attempt}", auth.page(this::job));
    r.post("/ui/jobs/{job}/{attempt}/redispatch", auth.action(this::redispatch));
    r.post("/ui/jobs/redispatch", auth.action(this::redispatchAll));
    r.get("/ui/deliveries", auth.page(this::deliveries));
    r.post("/ui/deliveries/redeliver", auth.action(this::redeliver));
    r.get("/ui/accounts", auth.page(this::accountsPage));
    r.post("/ui/accounts/{login}", auth.action(this::updateAccount));
    r.post("/ui/repos", auth.action(this::setRepository));
    r.post("/ui/repos/unset", auth.action(this::unsetRepository));
  }

  /** The GET routes that show data, each of which needs a session. */
  static final List<String> PAGES =
      List.of("/ui", "/ui/pools", "/ui/jobs", "/ui/jobs/1/1", "/ui/deliveries", "/ui/accounts");

  private Views.Frame frame(UiSessions.Session s, String title, String active) throws SQLException {
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

  private void overview(Context ctx, UiSessions.Session s) throws SQLException {
    Views.Frame frame = frame(s, "Overview", "overview");
    Instant now = src.clock().instant();
    List<Views.Chart> charts = new ArrayList<>();
    charts.add(
        chart(
            "webhooks",
            "Webhook requests by result",
            "per 10 s",
            src.history().series("webhooks")));
    charts.add(
        chart("depth", "Spool and queue depth", "deliveries", src.history().series("depth")));
    List<Views.QueueRow> queues = new ArrayList<>();
    try (Connection c = src.ds().getConnection()) {
      charts.add(
          chart(
              "latency",
              "Received → claimable",
              "seconds, per minute",
              UiQueries.claimableLatency(c, now.minus(MeterHistory.WINDOW))));
      for (var e : UiQueries.poolLoad(c).entrySet()) {
        if (e.getValue().queued() > 0) {
          queues.add(
              new Views.QueueRow(
                  e.getKey(), e.getValue().queued(), ageSince(e.getValue().oldestQueued(), now)));
        }
      }
    }
    charts.add(
        chart("queued", "Jobs queued per pool", "claimable jobs", src.history().series("queued")));
    charts.add(chart("claims", "Claim results", "per 10 s", src.history().series("claims")));
    charts.add(
        chart("redeliveries", "Redeliveries", "per 10 s", src.history().series("redeliveries")));
    ctx.html(templates.render("overview.jte", new Views.OverviewPage(frame, charts, queues)));
  }

  private Views.Chart chart(String id, String title, String unit, MeterHistory.Series series) {
    Map<String, Object> data = new TreeMap<>();
    data.put("x", series.xs());
    data.put("series", series.values());
    Instant now = src.clock().instant();
    data.put("from", now.minus(MeterHistory.WINDOW).getEpochSecond());
    data.put("to", now.getEpochSecond());
    try {
      return new Views.Chart(
          id, title, unit, dev.runway.platform.http.Json.mapper().writeValueAsString(data));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String ageSince(Instant t, Instant now) {
    return t == null ? "—" : Views.age(Duration.between(t, now));
  }

  private void pools(Context ctx, UiSessions.Session s) throws SQLException {
    Views.Frame frame = frame(s, "Pools", "pools");
    Instant now = src.clock().instant();
    Map<String, UiQueries.PoolLoad> load;
    Map<String, Map<String, Long>> runners;
    Map<String, List<UiQueries.LaunchFailure>> failures;
    try (Connection c = src.ds().getConnection()) {
      load = UiQueries.poolLoad(c);
      runners = RunnerMetrics.liveRunners(c);
      failures = UiQueries.launchFailures(c, now.minus(MeterHistory.WINDOW));
    }
    PoolView view = src.pools().current();
    List<Pool> pools = view.fold(PoolSnapshot::pools, reason -> List.of());
    String state =
        view.fold(
            snap -> "answered " + Views.age(snap.age(src.clock())) + " ago",
            reason -> "unavailable: " + reason);
    Map<String, String> degraded = src.degradedPools().degraded();
    List<Views.PoolRow> rows = new ArrayList<>();
    for (Pool p : pools) {
      UiQueries.PoolLoad l = load.getOrDefault(p.name(), UiQueries.PoolLoad.NONE);
      rows.add(
          new Views.PoolRow(
              p.name(),
              p.labels(),
              p.maxRunners() == null ? "no cap" : String.valueOf(p.maxRunners()),
              l.queued(),
              ageSince(l.oldestQueued(), now),
              l.claimed(),
              l.inProgress(),
              runners(runners.getOrDefault(p.name(), Map.of())),
              failures.getOrDefault(p.name(), List.of()).stream()
                  .map(
                      f ->
                          f.reason()
                              + ": "
                              + f.count()
                              + ", last "
                              + ageSince(f.last(), now)
                              + " ago")
                  .toList(),
              src.ledger().configProblems().containsKey(p.name())
                  ? "configuration error"
                  : verdict(p, l, now, degraded.get(p.name())),
              degraded.get(p.name())));
    }
    List<Views.RepoRow> waiting;
    try (Connection c = src.ds().getConnection()) {
      waiting = repoRows(c).stream().filter(r -> r.queued() > 0).toList();
    }
    ctx.html(
        templates.render(
            "pools.jte", new Views.PoolsPage(frame, src.pools().describe(), state, rows, waiting)));
  }

  static final String RUNNER_FAILS_TO_START = "runner fails to start";

  /**
   * Starved: jobs have waited over a minute while the pool has room, so no runner is claiming.
   * Saturated: jobs wait and the pool is at its cap.
   */
  static String verdict(Pool p, UiQueries.PoolLoad l, Instant now) {
    return verdict(p, l, now, null);
  }

  /**
   * As above, but a pool that is Degraded with jobs waiting is "runner fails to start", not
   * "starved": runners are claiming, and each one dies before it takes a job.
   */
  static String verdict(Pool p, UiQueries.PoolLoad l, Instant now, String degraded) {
    if (degraded != null && l.queued() > 0) {
      return RUNNER_FAILS_TO_START;
    }
    long busy = l.claimed() + l.inProgress();
    if (l.queued() > 0 && p.maxRunners() != null && busy >= p.maxRunners()) {
      return "saturated";
    }
    if (l.queued() > 0
        && l.oldestQueued() != null
        && Duration.between(l.oldestQueued(), now).compareTo(Duration.ofMinutes(1)) > 0) {
      return "starved";
    }
    return busy > 0 || l.queued() > 0 ? "busy" : "idle";
  }

  /**
   * Live runners by state, in lifecycle order: claimed (registered), launching, running, and idle
   * (warm runners waiting for a job) when the pool has any.
   */
  private static String runners(Map<String, Long> byState) {
    List<String> parts = new ArrayList<>();
    for (String state : List.of("claimed", "launching", "running")) {
      parts.add(byState.getOrDefault(state, 0L) + " " + state);
    }
    if (byState.getOrDefault("idle", 0L) > 0) {
      parts.add(byState.get("idle") + " idle");
    }
    return String.join(", ", parts);
  }

  private void jobsList(Context ctx, UiSessions.Session s) throws SQLException {
    Views.Frame frame = frame(s, "Jobs", "jobs");
    Views.JobFilter f =
        new Views.JobFilter(
            blankToNull(ctx.queryParam("status")),
            blankToNull(ctx.queryParam("pool")),
            blankToNull(ctx.queryParam("outcome")),
            blankToNull(ctx.queryParam("repository")),
            blankToNull(ctx.queryParam("since")));
    Instant since = null;
    if (f.since() != null) {
      try {
        since = parseSince(f.since(), src.clock().instant());
      } catch (IllegalArgumentException | DateTimeParseException e) {
        frame = withFlash(frame, "since must be an ISO-8601 instant or an age such as 2h");
      }
    }
    List<Job> list;
    try (Connection c = src.ds().getConnection()) {
      list =
          jobs.list(
              c,
              new JobRepository.Filter(
                  f.status(), f.outcome(), f.pool(), f.repository(), since, 200));
    }
    boolean redispatchable =
        f.outcome() != null
            && DispatchQueue.REDISPATCHABLE.contains(f.outcome())
            && (f.status() == null || f.status().equals("queued"));
    ctx.html(templates.render("jobs.jte", new Views.JobsPage(frame, f, list, redispatchable)));
  }

  static Instant parseSince(String value, Instant now) {
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      return now.minus(Durations.parse(value));
    }
  }

  private static Views.Frame withFlash(Views.Frame f, String flash) {
    return new Views.Frame(f.title(), f.active(), f.operator(), f.csrf(), flash, f.alerts());
  }

  private void job(Context ctx, UiSessions.Session s) throws SQLException {
    Optional<long[]> id = jobId(ctx);
    Views.Frame frame = frame(s, "Job", "jobs");
    Optional<Job> found = Optional.empty();
    if (id.isPresent()) {
      try (Connection c = src.ds().getConnection()) {
        found = jobs.find(c, id.get()[0], (int) id.get()[1]);
        if (found.isPresent()) {
          Job j = found.get();
          Optional<List<Pool>> pools =
              src.pools().current().fold(snap -> Optional.of(snap.pools()), r -> Optional.empty());
          boolean ignored = "queued".equals(j.status()) && j.outcome() != null;
          List<Views.ClaimRow> claims = UiQueries.claims(c, j.jobId(), j.runAttempt());
          ctx.html(
              templates.render(
                  "job.jte",
                  new Views.JobPage(
                      new Views.Frame(
                          "Job " + j.jobId(),
                          "jobs",
                          frame.operator(),
                          frame.csrf(),
                          frame.flash(),
                          frame.alerts()),
                      j,
                      timeline(j, claims),
                      IgnoreReasons.explain(j, pools).or(() -> waitReason(c, j)).orElse(null),
                      ignored && DispatchQueue.REDISPATCHABLE.contains(j.outcome()),
                      claimable(j),
                      inbox.forWorkflowJob(c, j.jobId(), 100),
                      claims,
                      src.ledger().stages(c, j).waits())));
          return;
        }
      }
    }
    ctx.status(404)
        .html(
            templates.render(
                "error.jte",
                new Views.ErrorPage("No such job", "Runway has no such job attempt.")));
  }

  /** The job's wait reason in words, {@code code: words}; empty once it runs. */
  private Optional<String> waitReason(Connection c, Job j) {
    try {
      return src.ledger().reason(c, j).map(r -> r.label() + ": " + r.words());
    } catch (SQLException e) {
      return Optional.of("unknown: " + e.getMessage());
    }
  }

  private static Optional<long[]> jobId(Context ctx) {
    try {
      return Optional.of(
          new long[] {
            Long.parseLong(ctx.pathParam("job")), Integer.parseInt(ctx.pathParam("attempt"))
          });
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Whether a runner agent of the job's pool can claim it now, in words. */
  static String claimable(Job j) {
    if (!"queued".equals(j.status())) {
      return "no: the job is " + j.status().replace('_', ' ');
    }
    if (j.outcome() != null || j.pool() == null) {
      return "no: ignored (" + (j.outcome() == null ? "no pool" : j.outcome()) + ")";
    }
    return "yes, in pool " + j.pool();
  }

  static List<Views.Step> timeline(Job j, List<Views.ClaimRow> claims) {
    List<Views.Step> steps = new ArrayList<>();
    steps.add(new Views.Step("created on GitHub", j.createdAtGithub(), j.workflowName()));
    steps.add(new Views.Step("received", j.receivedAt(), null));
    steps.add(
        new Views.Step(
            j.outcome() == null ? "dispatched" : "dispatched (ignored)",
            j.dispatchedAt(),
            j.outcome() != null ? j.outcome() : j.pool() == null ? null : "pool " + j.pool()));
    steps.add(
        new Views.Step(
            "claimed", j.claimedAt(), j.claimId() == null ? null : "claim " + j.claimId()));
    // The newest claim's runner: while launching, the claim's last change is the launch; past
    // that the claim keeps only its latest change, which the claims table shows.
    Views.ClaimRow last = claims.isEmpty() ? null : claims.get(claims.size() - 1);
    steps.add(
        new Views.Step(
            "runner launched",
            last != null && "launching".equals(last.state()) ? last.stateChangedAt() : null,
            last == null
                ? null
                : "runner "
                    + last.runnerName()
                    + " is "
                    + last.state()
                    + (last.stateReason() == null ? "" : " (" + last.stateReason() + ")")));
    // A queued event already carries started_at (GitHub sets it to the creation time), so the
    // time counts only once the job is really in progress.
    boolean started = "in_progress".equals(j.status()) || "completed".equals(j.status());
    steps.add(
        new Views.Step(
            "in progress", started ? j.startedAt() : null, started ? j.runnerName() : null));
    steps.add(
        new Views.Step(
            "completed", "completed".equals(j.status()) ? j.completedAt() : null, j.conclusion()));
    return steps;
  }

  private void redispatch(Context ctx, UiSessions.Session s) throws SQLException {
    Optional<long[]> id = jobId(ctx);
    if (id.isEmpty()) {
      ctx.status(404).contentType("text/plain").result("no such job");
      return;
    }
    int n;
    try (Connection c = src.ds().getConnection()) {
      n = DispatchQueue.enqueueRedispatch(c, id.get()[0], (int) id.get()[1]);
    }
    log.info(
        "operator {} redispatched job {}/{}: {} queued", s.operator, id.get()[0], id.get()[1], n);
    s.flash =
        n == 1
            ? "Queued for redispatch: the service's workers evaluate the job again against today's"
                + " accounts and pools."
            : "Nothing to redispatch: the job is not a queued job that was ignored.";
    UiAuth.seeOther(ctx, "/ui/jobs/" + id.get()[0] + "/" + id.get()[1]);
  }

  /** Every queued job ignored with one outcome (since an age): {@code runway jobs redispatch}. */
  private void redispatchAll(Context ctx, UiSessions.Session s) throws SQLException {
    String outcome = ctx.formParam("outcome");
    String sinceText = blankToNull(ctx.formParam("since"));
    if (outcome == null || !DispatchQueue.REDISPATCHABLE.contains(outcome)) {
      ctx.status(400)
          .contentType("text/plain")
          .result("outcome must be one of " + DispatchQueue.REDISPATCHABLE);
      return;
    }
    Instant since;
    try {
      since = sinceText == null ? null : parseSince(sinceText, src.clock().instant());
    } catch (IllegalArgumentException | DateTimeParseException e) {
      ctx.status(400)
          .contentType("text/plain")
          .result("since must be an ISO-8601 instant or an age");
      return;
    }
    int n;
    try (Connection c = src.ds().getConnection()) {
      n = DispatchQueue.enqueueRedispatch(c, outcome, since);
    }
    log.info("operator {} redispatched {} job(s) ignored with {}", s.operator, n, outcome);
    s.flash = n + " job(s) queued for redispatch";
    UiAuth.seeOther(
        ctx,
        "/ui/jobs?outcome="
            + Views.url(outcome)
            + (sinceText == null ? "" : "&since=" + Views.url(sinceText)));
  }

  private void deliveries(Context ctx, UiSessions.Session s) throws SQLException {
    Views.Frame frame = frame(s, "Deliveries", "deliveries");
    List<InboxRepository.InboxEntry> entries =
        inbox.list(src.ds(), src.clock().instant().minus(Duration.ofDays(3)), null, 200);
    List<RedeliveryRepository.Listed> records;
    try (Connection c = src.ds().getConnection()) {
      records = redeliveries.list(c, 200);
    }
    ctx.html(
        templates.render(
            "deliveries.jte",
            new Views.DeliveriesPage(frame, entries, records, src.github().isPresent())));
  }

  private void redeliver(Context ctx, UiSessions.Session s) {
    long deliveryId;
    try {
      deliveryId = Long.parseLong(String.valueOf(ctx.formParam("delivery_id")));
    } catch (NumberFormatException e) {
      ctx.status(400).contentType("text/plain").result("delivery_id must be a number");
      return;
    }
    if (src.github().isEmpty()) {
      s.flash = "No GitHub App is configured, so nothing can be redelivered from here.";
    } else {
      try {
        src.github().get().redeliver(deliveryId);
        log.info("operator {} redelivered delivery {}", s.operator, deliveryId);
        s.flash = "GitHub accepted the redelivery of delivery " + deliveryId + ".";
      } catch (GitHubException e) {
        log.info(
            "operator {}: redelivery of {} failed: {}", s.operator, deliveryId, e.getMessage());
        s.flash =
            "GitHub refused the redelivery of delivery "
                + deliveryId
                + ": "
                + String.valueOf(e.getMessage()).replaceAll("\\s+", " ");
      }
    }
    UiAuth.seeOther(ctx, "/ui/deliveries");
  }

  private void accountsPage(Context ctx, UiSessions.Session s) throws SQLException {
    Views.Frame frame = frame(s, "Accounts", "accounts");
    List<Account> list;
    List<Views.RepoRow> repos;
    try (Connection c = src.ds().getConnection()) {
      list = accounts.list(c);
      repos = repoRows(c);
    }
    ctx.html(templates.render("accounts.jte", new Views.AccountsPage(frame, list, repos)));
  }

  /**
   * Every repository with settings or current jobs (through {@code repos}' read API), with why its
   * claimable jobs wait: its own cap, its account's cap, or only for a runner to claim them.
   */
  private List<Views.RepoRow> repoRows(Connection c) throws SQLException {
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

  private static String weight(double w) {
    return w == Math.rint(w) ? String.valueOf((long) w) : String.valueOf(w);
  }

  /** As {@code runway repos set}: replaces the repository's cap and weight. */
  private void setRepository(Context ctx, UiSessions.Session s) throws SQLException {
    RepositorySettings.Setting setting;
    try {
      String max = blankToNull(ctx.formParam("max_concurrent"));
      String w = blankToNull(ctx.formParam("weight"));
      setting =
          new RepositorySettings.Setting(
              ctx.formParam("repository"),
              max == null ? null : Integer.valueOf(max),
              w == null ? 1 : Double.parseDouble(w));
    } catch (IllegalArgumentException e) {
      // NumberFormatException included: a cap that is not a whole number, a weight not a number.
      s.flash =
          "Not saved: "
              + (e instanceof NumberFormatException
                  ? "the cap must be a whole number and the weight a number above 0"
                  : e.getMessage())
              + ".";
      UiAuth.seeOther(ctx, "/ui/accounts");
      return;
    }
    try (Connection c = src.ds().getConnection()) {
      new RepositorySettings().set(c, setting, src.clock().instant());
    }
    log.info(
        "operator {} set repository {}: max_concurrent={} weight={}",
        s.operator,
        setting.repository(),
        setting.maxConcurrent(),
        setting.weight());
    s.flash =
        "Repository "
            + setting.repository()
            + ": "
            + (setting.maxConcurrent() == null
                ? "no cap of its own"
                : "at most " + setting.maxConcurrent() + " at once")
            + ", weight "
            + weight(setting.weight())
            + ".";
    UiAuth.seeOther(ctx, "/ui/accounts");
  }

  /** As {@code runway repos unset}. */
  private void unsetRepository(Context ctx, UiSessions.Session s) throws SQLException {
    String repository = ctx.formParam("repository");
    boolean had;
    try (Connection c = src.ds().getConnection()) {
      had = new RepositorySettings().unset(c, repository);
    } catch (IllegalArgumentException e) {
      s.flash = "Not changed: " + e.getMessage() + ".";
      UiAuth.seeOther(ctx, "/ui/accounts");
      return;
    }
    log.info("operator {} unset repository {}", s.operator, repository);
    s.flash =
        had
            ? "Repository " + repository + ": no cap of its own, weight 1."
            : "Repository " + repository + " had no settings.";
    UiAuth.seeOther(ctx, "/ui/accounts");
  }

  private void updateAccount(Context ctx, UiSessions.Session s) throws SQLException {
    String login = ctx.pathParam("login");
    Integer max = null;
    String maxText = blankToNull(ctx.formParam("max_concurrent"));
    if (maxText != null) {
      try {
        max = Integer.parseInt(maxText);
      } catch (NumberFormatException e) {
        max = -1;
      }
    }
    if (max != null && max < 0) {
      s.flash = "The cap must be a whole number, 0 or more.";
      UiAuth.seeOther(ctx, "/ui/accounts");
      return;
    }
    String enabled = ctx.formParam("enabled");
    Boolean on = enabled == null ? null : Boolean.valueOf("true".equals(enabled));
    try (Connection c = src.ds().getConnection()) {
      if (accounts.byLogin(c, login).isEmpty()) {
        s.flash = "No account " + login + ".";
      } else {
        Account a = accounts.set(c, login, null, max, on);
        src.accountDirectory().invalidate();
        log.info(
            "operator {} set account {}: runners_enabled={} max_concurrent={}",
            s.operator,
            login,
            a.runnersEnabled(),
            a.maxConcurrent());
        s.flash =
            "Account "
                + login
                + ": runners "
                + (a.runnersEnabled() ? "enabled" : "disabled")
                + ", at most "
                + a.maxConcurrent()
                + " at once. Jobs ignored before stay ignored until redispatched.";
      }
    }
    UiAuth.seeOther(ctx, "/ui/accounts");
  }

  /** A 303 to {@code path} with an empty body (Javalin's redirect writes one). */
  private static void seeOther(Context ctx, String path) {
    ctx.status(303).header("Location", path).result("");
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
