// Over 400 lines because the listing, its budget and ETags, and the writing of what it found are
// one reconciler with shared state.
package dev.runway.ledger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import dev.runway.ingest.inbox.Delivery;
import dev.runway.ingest.webhook.DeliveryWriter;
import dev.runway.jobs.JobRepository;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.GitHubException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sweep of GitHub's queue (issue 22 item 1): per installation of an enabled account, it lists
 * the repositories, their queued and in-progress runs and those runs' latest jobs, and writes a
 * delivery for every job Runway has no row for. The delivery goes through the webhook's own path
 * ({@link DeliveryWriter}: the inbox row and its dispatch task in one transaction), so one code
 * path decides what the job becomes, and a late webhook converges with it (its state only moves
 * forward). Its GUID is {@code sweep-JOB-ATTEMPT-STATUS}: a second sweep of the same job writes
 * nothing.
 *
 * <p>Inside the rate limit: every GET is conditional on the ETag of its last answer (a 304 costs no
 * budget); each installation spends at most a share of its hourly limit per hour ({@link
 * #BUDGET_SHARE} of the {@code X-RateLimit-Limit} GitHub reports, {@link #DEFAULT_BUDGET} before it
 * reports one), counted from the first request of the hour and reset at the next (a conditional
 * request still goes out over budget, as its 304 is free); and a repository nobody pushed to for a
 * day is visited once an hour instead of every sweep.
 *
 * <p>A db-scheduler recurring task: one replica at a time. The ETags, budgets and visit times are
 * that replica's memory; when the task moves, the next replica starts with full requests once.
 */
public final class Sweep {
  private static final Logger log = LoggerFactory.getLogger(Sweep.class);

  static final String TASK = "ledger-sweep";

  /** The share of an installation's hourly limit that the sweep may spend. */
  static final double BUDGET_SHARE = 0.1;

  /**
   * The budget before GitHub has reported a limit: a tenth of the 5,000 of a small installation.
   */
  static final long DEFAULT_BUDGET = 500;

  /** How long a repository counts as active after a push, and how often an idle one is visited. */
  static final Duration ACTIVE = Duration.ofDays(1);

  static final Duration IDLE_VISIT = Duration.ofHours(1);

  /**
   * Pages read of one list at the most (100 items a page): 1,000 repositories of an installation,
   * 1,000 queued runs of a repository, 1,000 jobs of a run (a matrix holds at most 256). A list
   * longer than that is read in part, and the next sweep reads the same first pages again.
   */
  static final int MAX_PAGES = 10;

  private final DataSource ds;
  private final GitHubClient github;
  private final DeliveryWriter writer;
  private final MeterRegistry registry;
  private final Clock clock;
  private final ObjectMapper json = new ObjectMapper();
  private final Map<String, String> etags = new ConcurrentHashMap<>();
  private final Map<String, JsonNode> bodies = new ConcurrentHashMap<>();
  private final Map<String, Integer> nextPages = new ConcurrentHashMap<>();
  private final Map<Long, Budget> budgets = new ConcurrentHashMap<>();
  private final Map<String, Instant> visited = new ConcurrentHashMap<>();

  /** False for the audit: an operator's one full listing is not held to the sweep's share. */
  private boolean budgeted = true;

  public Sweep(
      DataSource ds,
      GitHubClient github,
      DeliveryWriter writer,
      MeterRegistry registry,
      Clock clock) {
    this.ds = ds;
    this.github = github;
    this.writer = writer;
    this.registry = registry;
    this.clock = clock;
  }

  /** This sweep's listing without the hourly budget, for {@code runway audit}. */
  Sweep unbudgeted() {
    budgeted = false;
    return this;
  }

  /** The recurring task, every {@code interval}. */
  public RecurringTask<Void> task(Duration interval) {
    return Tasks.recurring(TASK, Schedules.fixedDelay(interval))
        .execute((instance, ctx) -> runOnce());
  }

  /** One hour's spending of one installation. */
  private static final class Budget {
    Instant hourStart;
    long spent;
    long limit = DEFAULT_BUDGET;
  }

  /** Thrown inside one installation's sweep when its budget for the hour is spent. */
  private static final class OutOfBudget extends RuntimeException {
    private static final long serialVersionUID = 1L;

    OutOfBudget() {
      super(null, null, false, false);
    }
  }

  /** Sweeps every installation once; returns how many jobs it found that Runway lacked. */
  public int runOnce() {
    List<Long> installations;
    try (Connection c = ds.getConnection()) {
      installations = installations(c);
    } catch (SQLException e) {
      log.warn("sweep: database: {}", e.getMessage());
      return 0;
    }
    int found = 0;
    for (long installation : installations) {
      try {
        found += sweep(installation);
      } catch (OutOfBudget e) {
        log.info(
            "sweep of installation {} stopped at its budget of {} requests this hour",
            installation,
            budgets.get(installation).limit);
      } catch (SQLException | RuntimeException e) {
        // The next sweep tries again; a failed installation does not stop the others.
        log.warn("sweep of installation {} failed: {}", installation, e.getMessage());
      }
    }
    return found;
  }

  private static List<Long> installations(Connection c) throws SQLException {
    List<Long> out = new ArrayList<>();
    try (PreparedStatement ps =
        c.prepareStatement(
            "select installation_id from accounts where installation_id is not null"
                + " and runners_enabled and not installation_suspended and max_concurrent > 0"
                + " order by installation_id")) {
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getLong(1));
        }
      }
    }
    return out;
  }

  private int sweep(long installation) throws SQLException {
    int[] found = {0};
    list(
        installation,
        true,
        (repo, job) -> {
          if (write(installation, repo, job)) {
            found[0]++;
          }
        });
    return found[0];
  }

  /** What the listing calls for each job of GitHub's queue, with the job's repository. */
  @FunctionalInterface
  interface Listed {
    void job(JsonNode repo, JsonNode job) throws SQLException;
  }

  /**
   * Lists GitHub's queued and in-progress runs of every repository of {@code installation} and
   * hands each of their latest jobs to {@code listed}; {@code skipIdle}: idle repositories only
   * once an hour (the sweep; the audit visits all).
   */
  void list(long installation, boolean skipIdle, Listed listed) throws SQLException {
    List<JsonNode> repos =
        all(installation, "/installation/repositories?per_page=100", "repositories");
    Instant now = clock.instant();
    for (JsonNode repo : repos) {
      String fullName = repo.path("full_name").asText("");
      int slash = fullName.indexOf('/');
      if (slash <= 0) {
        continue;
      }
      if (skipIdle && !due(installation, fullName, repo.path("pushed_at").asText(null), now)) {
        continue;
      }
      String base =
          "/repos/"
              + GitHubClient.pathSegment(fullName.substring(0, slash))
              + "/"
              + GitHubClient.pathSegment(fullName.substring(slash + 1))
              + "/actions/runs";
      for (String status : List.of("queued", "in_progress")) {
        String runs = base + "?status=" + status + "&per_page=100";
        for (JsonNode run : all(installation, runs, "workflow_runs")) {
          String jobs = base + "/" + run.path("id").asLong() + "/jobs?filter=latest&per_page=100";
          for (JsonNode job : all(installation, jobs, "jobs")) {
            listed.job(repo, job);
          }
        }
      }
      if (skipIdle) {
        visited.put(installation + "/" + fullName, now);
      }
    }
  }

  /**
   * Every item of a paged list ({@code field} of each page), following the {@code Link} header's
   * next page up to {@link #MAX_PAGES}. Each page is its own conditional request, with its own
   * ETag: an unchanged page costs nothing.
   */
  private List<JsonNode> all(long installation, String firstPage, String field) {
    List<JsonNode> items = new ArrayList<>();
    int page = 1;
    for (int read = 0; read < MAX_PAGES; read++) {
      String path = page == 1 ? firstPage : firstPage + "&page=" + page;
      JsonNode body = get(installation, path);
      body.path(field).forEach(items::add);
      int next = nextPages.getOrDefault(installation + " " + path, 0);
      if (next <= page) {
        break;
      }
      page = next;
    }
    return items;
  }

  /** The installations the sweep visits: those of enabled accounts. */
  List<Long> installations() throws SQLException {
    try (Connection c = ds.getConnection()) {
      return installations(c);
    }
  }

  /**
   * Writes a delivery of {@code job} in its current state on GitHub, so dispatch moves Runway's row
   * forward (its state never moves back); returns whether it was new. The audit's repair of a job
   * Runway still has queued or running.
   */
  boolean forward(long installation, JsonNode repo, JsonNode job) throws SQLException {
    String status = job.path("status").asText("");
    long jobId = job.path("id").asLong();
    int attempt = job.path("run_attempt").asInt(1);
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try {
        boolean inserted =
            !writer
                .insert(
                    c, List.of(delivery(installation, repo, job, status, jobId, attempt)), false)
                .isEmpty();
        c.commit();
        return inserted;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  /** A GET as the installation, outside the budget: for one job the audit checks. */
  JsonNode getOnce(long installation, String path) {
    return github.getConditional(installation, path, null).body();
  }

  /** Whether the repository is visited this sweep: active ones always, idle ones once an hour. */
  private boolean due(long installation, String fullName, String pushedAt, Instant now) {
    Instant last = visited.get(installation + "/" + fullName);
    if (last == null || pushedAt == null) {
      return true;
    }
    try {
      if (Instant.parse(pushedAt).isAfter(now.minus(ACTIVE))) {
        return true;
      }
    } catch (java.time.format.DateTimeParseException e) {
      return true;
    }
    return !last.isAfter(now.minus(IDLE_VISIT));
  }

  /**
   * A conditional GET inside the installation's budget. A 304 answers the body of the last 200 and
   * costs nothing; anything else counts one request.
   */
  private JsonNode get(long installation, String path) {
    Budget b = budgets.computeIfAbsent(installation, i -> new Budget());
    Instant now = clock.instant();
    if (b.hourStart == null || !now.isBefore(b.hourStart.plus(Duration.ofHours(1)))) {
      b.hourStart = now;
      b.spent = 0;
    }
    String key = installation + " " + path;
    String etag = bodies.containsKey(key) ? etags.get(key) : null;
    // A conditional request still goes out over budget: its 304 is free. Only a request that
    // must cost (no ETag to send) stops the installation's sweep until the next hour.
    if (budgeted && b.spent >= b.limit && etag == null) {
      requests("budget_exhausted").increment();
      throw new OutOfBudget();
    }
    GitHubClient.Conditional answer;
    try {
      answer = github.getConditional(installation, path, etag);
    } catch (GitHubException e) {
      b.spent++;
      requests("error").increment();
      throw e;
    }
    if (answer.notModified()) {
      requests("not_modified").increment();
      return bodies.get(key);
    }
    b.spent++;
    if (budgeted && b.spent > b.limit) {
      // The conditional request sent over budget was answered in full: it cost one, so the
      // sweep stops here rather than spend more on what that answer leads to.
      requests("budget_exhausted").increment();
      throw new OutOfBudget();
    }
    if (answer.rateLimit() > 0) {
      b.limit = Math.max(1, (long) (answer.rateLimit() * BUDGET_SHARE));
    }
    requests("ok").increment();
    nextPages.put(key, answer.nextPage());
    if (answer.etag() != null) {
      etags.put(key, answer.etag());
      bodies.put(key, answer.body());
    }
    return answer.body();
  }

  private Counter requests(String result) {
    return Counter.builder("runway.sweep.requests")
        .description("GitHub requests of the sweep, by result (not_modified: a 304, free)")
        .tag("result", result)
        .register(registry);
  }

  /**
   * Writes a delivery for a job Runway has no row for; returns whether it was new. A job GitHub has
   * completed, or Runway knows already, is left alone.
   */
  boolean write(long installation, JsonNode repo, JsonNode job) throws SQLException {
    String status = job.path("status").asText("");
    if (!List.of("queued", "waiting", "in_progress").contains(status)) {
      return false;
    }
    long jobId = job.path("id").asLong();
    int attempt = job.path("run_attempt").asInt(1);
    try (Connection c = ds.getConnection()) {
      if (known(c, jobId, attempt)) {
        return false;
      }
      c.setAutoCommit(false);
      try {
        boolean inserted =
            !writer
                .insert(
                    c, List.of(delivery(installation, repo, job, status, jobId, attempt)), false)
                .isEmpty();
        c.commit();
        if (inserted) {
          Counter.builder("runway.sweep.jobs.found")
              .description("Jobs the sweep found on GitHub that no webhook brought")
              .tag("installation", String.valueOf(installation))
              .register(registry)
              .increment();
          log.info(
              "sweep found job {}/{} of {} ({} on GitHub) that no webhook brought",
              jobId,
              attempt,
              repo.path("full_name").asText(),
              status);
        }
        return inserted;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  private static boolean known(Connection c, long jobId, int attempt) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("select 1 from jobs where job_id = ? and run_attempt = ?")) {
      ps.setLong(1, jobId);
      ps.setInt(2, attempt);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  /** The delivery a webhook would have brought, in the shape dispatch reads. */
  private Delivery delivery(
      long installation, JsonNode repo, JsonNode job, String status, long jobId, int attempt) {
    ObjectNode payload = json.createObjectNode();
    payload.put("action", status);
    payload.set("workflow_job", job);
    ObjectNode r = payload.putObject("repository");
    r.put("id", repo.path("id").asLong());
    r.put("name", repo.path("name").asText());
    r.put("full_name", repo.path("full_name").asText());
    ObjectNode owner = r.putObject("owner");
    owner.put("login", repo.path("owner").path("login").asText());
    owner.put("type", repo.path("owner").path("type").asText("Organization"));
    payload.putObject("installation").put("id", installation);
    byte[] body = payload.toString().getBytes(StandardCharsets.UTF_8);
    return new Delivery(
        JobRepository.SWEEP_GUID_PREFIX + jobId + "-" + attempt + "-" + status,
        "workflow_job",
        status,
        null,
        installation,
        jobId,
        clock.instant(),
        body);
  }
}
