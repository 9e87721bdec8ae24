package dev.runway.ui;

import dev.runway.dispatch.DispatchQueue;
import dev.runway.jobs.Job;
import dev.runway.jobs.JobReads;
import dev.runway.jobs.JobRepository.Filter;
import dev.runway.platform.config.Durations;
import dev.runway.pools.Pool;
import dev.runway.runners.RunnerReads;
import io.javalin.http.Context;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jobs pages: the list with filters, one job with its ledger (why it waits, its stages and
 * claims), and the redispatch actions (as {@code runway jobs redispatch}).
 */
final class JobsPage extends Page {
  private static final Logger log = LoggerFactory.getLogger(JobsPage.class);

  private final JobReads jobs = new JobReads();

  JobsPage(OperatorUi.Sources src, Templates templates) {
    super(src, templates);
  }

  void jobsList(Context ctx, UiSessions.Session s) throws SQLException {
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
          jobs.list(c, new Filter(f.status(), f.outcome(), f.pool(), f.repository(), since, 200));
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

  void job(Context ctx, UiSessions.Session s) throws SQLException {
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
          List<RunnerReads.JobClaim> claims = RunnerReads.claimsOf(c, j.jobId(), j.runAttempt());
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
  Optional<String> waitReason(Connection c, Job j) {
    try {
      return src.ledger().reason(c, j).map(r -> r.label() + ": " + r.words());
    } catch (SQLException e) {
      return Optional.of("unknown: " + e.getMessage());
    }
  }

  static Optional<long[]> jobId(Context ctx) {
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

  static List<Views.Step> timeline(Job j, List<RunnerReads.JobClaim> claims) {
    List<Views.Step> steps = new ArrayList<>();
    steps.add(new Views.Step("created on GitHub", j.createdAtGithub(), j.workflowName()));
    steps.add(new Views.Step("received", j.receivedAt(), null));
    steps.add(
        new Views.Step(
            j.outcome() == null ? "dispatched" : "dispatched (ignored)",
            j.dispatchedAt(),
            j.outcome() != null ? j.outcome() : j.pool() == null ? null : "pool " + j.pool()));
    // The claim that holds the job, or held it when it completed; released claims let it go.
    Long holder = null;
    for (RunnerReads.JobClaim k : claims) {
      holder = "released".equals(k.status()) ? holder : Long.valueOf(k.id());
    }
    steps.add(new Views.Step("claimed", j.claimedAt(), holder == null ? null : "claim " + holder));
    // The newest claim's runner: while launching, the claim's last change is the launch; past
    // that the claim keeps only its latest change, which the claims table shows.
    RunnerReads.JobClaim last = claims.isEmpty() ? null : claims.get(claims.size() - 1);
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

  void redispatch(Context ctx, UiSessions.Session s) throws SQLException {
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
  void redispatchAll(Context ctx, UiSessions.Session s) throws SQLException {
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
}
