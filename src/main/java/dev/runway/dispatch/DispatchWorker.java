// Over 400 lines because one batch transaction settles every kind of delivery, and its steps share
// the batch's state.
package dev.runway.dispatch;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.runway.accounts.InstallationEvents;
import dev.runway.ingest.inbox.Delivery;
import dev.runway.ingest.inbox.InboxRepository;
import dev.runway.jobs.Job;
import dev.runway.jobs.JobFacts;
import dev.runway.jobs.JobListener;
import dev.runway.jobs.JobRepository;
import dev.runway.jobs.JobStatus;
import dev.runway.jobs.WaitStage;
import dev.runway.jobs.WaitStages;
import dev.runway.platform.db.Database;
import dev.runway.platform.telemetry.Metrics;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs one dispatch task: turns a stored delivery into job state and settles the delivery with its
 * outcome.
 *
 * <p>Whatever cannot be known now (the database or the pool source does not answer) throws {@link
 * DispatchRetry}: db-scheduler retries the task with backoff, and nothing is counted until the
 * delivery settles. Each delivery is counted once: the count follows the commit that settled its
 * inbox row, and a row settles only once.
 */
final class DispatchWorker {
  private static final Logger log = LoggerFactory.getLogger(DispatchWorker.class);

  private final DataSource ds;
  private final InboxRepository inbox;
  private final JobRepository jobs;
  private final JobEvaluator evaluator;
  private final InstallationEvents installations;
  private final ObjectMapper json;
  private final Metrics metrics;
  private final Clock clock;
  private final JobListener listener;
  private final WaitStages stages;

  DispatchWorker(
      DataSource ds,
      InboxRepository inbox,
      JobRepository jobs,
      JobEvaluator evaluator,
      InstallationEvents installations,
      ObjectMapper json,
      Metrics metrics,
      Clock clock,
      JobListener listener) {
    this.ds = ds;
    this.inbox = inbox;
    this.jobs = jobs;
    this.evaluator = evaluator;
    this.installations = installations;
    this.json = json;
    this.metrics = metrics;
    this.clock = clock;
    this.listener = listener;
    this.stages = new WaitStages(metrics.registry());
  }

  /**
   * Dispatches the delivery {@code guid}: db-scheduler's task (a retry, or every delivery with
   * {@code RUNWAY_DISPATCH_BATCH=1}). It is a batch of one, through the batch's own code: one
   * durable commit, then counted, so a crash cannot count it twice. Its queue row is db-scheduler's
   * to complete once this returns.
   */
  public void dispatch(String guid) {
    MDC.put("delivery", guid);
    try {
      Batch done;
      try {
        done = transaction(new ArrayList<>(), c -> List.of(guid), false);
      } catch (SQLException | RuntimeException e) {
        // A settled delivery records its attempt with its outcome; a failed one does it here
        // (best effort: when the database is what failed, db-scheduler retries the task anyway).
        inbox.recordFailedAttempt(ds, guid);
        throw e instanceof DispatchRetry r
            ? r
            : new DispatchRetry("dispatch: " + e.getMessage(), e);
      }
      done.afterCommit();
    } finally {
      MDC.remove("delivery");
    }
  }

  /**
   * Dispatches up to {@code max} due deliveries in one transaction: their queue rows are locked,
   * every job they touch is locked (in id order), the job rows are written in one batch, the inbox
   * rows settled in one statement and the queue rows deleted in one, all in one commit. The
   * per-delivery guarantees hold as in {@link #dispatch}: a state only moves forward, a delivery
   * settles once and is counted once, after the commit. A second event of a job already in the
   * batch is left queued for the next batch, so the events of one job still apply one at a time.
   *
   * <p>Unknown is not empty: when the database or the pool source cannot answer for any delivery,
   * nothing of the batch is settled; its tasks go to db-scheduler's per-delivery retry with backoff
   * (or stay as they were if the database itself is gone) and {@link DispatchRetry} is thrown.
   *
   * @return how many queue rows the batch took; 0 means nothing was due
   */
  int dispatchBatch(int max) {
    List<String> taken = new ArrayList<>();
    Batch done;
    try {
      done = transaction(taken, c -> DispatchQueue.claimBatch(c, max), true);
    } catch (SQLException | RuntimeException e) {
      failBatch(taken);
      throw e instanceof DispatchRetry r
          ? r
          : new DispatchRetry("batch of " + taken.size() + ": " + e.getMessage(), e);
    }
    if (done == null) {
      return 0;
    }
    done.afterCommit();
    if (taken.size() == max) {
      analyzeBacklog();
    }
    return taken.size();
  }

  /** Which deliveries a transaction settles: the batch's due queue rows, or db-scheduler's one. */
  @FunctionalInterface
  private interface Take {
    List<String> from(Connection c) throws SQLException;
  }

  /**
   * The one dispatch transaction: takes its deliveries (into {@code taken}, which the caller's
   * failure handling reads), settles them and commits durably; null when it took none. Any failure
   * rolls it back whole and is rethrown. The main pool commits asynchronously, but a batch is
   * counted as soon as it commits: a commit lost with a crashed server would dispatch and count its
   * deliveries again. One WAL flush per batch is cheap; per delivery it was not.
   */
  private Batch transaction(List<String> taken, Take take, boolean ownQueueRows)
      throws SQLException {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try {
        taken.addAll(take.from(c));
        if (taken.isEmpty()) {
          c.commit();
          return null;
        }
        Database.durableCommit(c);
        Batch done = settleBatch(c, taken, ownQueueRows);
        c.commit();
        return done;
      } catch (SQLException | RuntimeException e) {
        try {
          c.rollback();
        } catch (SQLException ignored) {
          // The connection is broken; the pool evicts it, and the rollback happened server side.
        }
        throw e;
      }
    }
  }

  private static final long ANALYZE_EVERY_NANOS = Duration.ofMinutes(1).toNanos();
  private final AtomicLong lastAnalyze = new AtomicLong(System.nanoTime() - ANALYZE_EVERY_NANOS);

  /**
   * A full batch means a backlog: refresh the queue's statistics, at most once a minute per
   * replica, so that the next batches find theirs by index (see {@link DispatchQueue#analyze}).
   */
  private void analyzeBacklog() {
    long last = lastAnalyze.get();
    long now = System.nanoTime();
    if (now - last < ANALYZE_EVERY_NANOS || !lastAnalyze.compareAndSet(last, now)) {
      return;
    }
    try (Connection c = ds.getConnection()) {
      DispatchQueue.analyze(c);
    } catch (SQLException e) {
      log.debug("analyze of the dispatch queue failed: {}", e.getMessage());
    }
  }

  /** Hands a failed batch's tasks to the per-delivery retry; best effort, see dispatchBatch. */
  private void failBatch(List<String> taken) {
    if (taken.isEmpty()) {
      return;
    }
    try (Connection c = ds.getConnection()) {
      DispatchQueue.failBatch(c, taken, Duration.ofSeconds(1));
      inbox.recordFailedAttempts(c, taken);
    } catch (SQLException e) {
      // The database is what failed: the rows were never changed, and the next batch takes them.
    }
  }

  /** What a committed batch still has to do: count, log, refresh caches. */
  private final class Batch {
    private final List<Runnable> counted = new ArrayList<>();
    private final List<Runnable> logs = new ArrayList<>();
    private boolean installationsChanged;

    void afterCommit() {
      counted.forEach(Runnable::run);
      if (installationsChanged) {
        installations.committed();
      }
      logs.forEach(Runnable::run);
    }
  }

  private record JobWork(Delivery d, WorkflowJobEvent event, JobStatus target) {
    String key() {
      return event.facts().jobId() + "/" + event.facts().runAttempt();
    }
  }

  /**
   * Settles {@code taken} on {@code c}. {@code ownQueueRows}: the batch took the queue rows and
   * deletes them; db-scheduler's single task leaves its row to db-scheduler.
   */
  private Batch settleBatch(Connection c, List<String> taken, boolean ownQueueRows)
      throws SQLException {
    Batch batch = new Batch();
    Instant now = clock.instant();
    List<Delivery> loaded = new ArrayList<>(inbox.loadAll(c, taken));
    // Arrival order, so that of two events of one job the earlier one is applied now.
    loaded.sort(Comparator.comparing(Delivery::receivedAt).thenComparing(Delivery::guid));
    Set<String> done = new HashSet<>(taken);
    Set<String> found = new HashSet<>();
    List<InboxRepository.Settlement> settlements = new ArrayList<>();
    Map<String, String> actions = new HashMap<>();
    Map<String, DispatchOutcome> outcomes = new HashMap<>();
    Map<String, JobWork> work = new LinkedHashMap<>();
    for (Delivery d : loaded) {
      found.add(d.guid());
      if (!d.event().equals("workflow_job")) {
        InstallationEvents.Applied applied = installations.apply(c, payload(d));
        settlements.add(
            new InboxRepository.Settlement(
                d.guid(), applied.outcome(), d.event() + "." + applied.action()));
        batch.installationsChanged = true;
        batch.logs.add(
            () ->
                log.info(
                    "{}.{} for installation {} ({}): {}",
                    d.event(),
                    applied.action(),
                    applied.installationId(),
                    applied.login(),
                    applied.outcome()));
        continue;
      }
      WorkflowJobEvent event;
      try {
        event = WorkflowJobEvent.parse(jobPayload(d));
      } catch (IllegalArgumentException e) {
        outcomes.put(d.guid(), new DispatchOutcome.Ignored(e.getMessage()));
        continue;
      }
      actions.put(d.guid(), event.action());
      JobStatus target = target(event.action());
      if (target == null) {
        outcomes.put(d.guid(), new DispatchOutcome.Ignored("action " + event.action()));
        continue;
      }
      JobWork w = new JobWork(d, event, target);
      if (work.putIfAbsent(w.key(), w) != null) {
        // Another event of this job is in the batch: it stays queued for the next one.
        done.remove(d.guid());
      }
    }
    for (String guid : taken) {
      if (!found.contains(guid)) {
        // Cannot happen while the task and the row are written in one transaction.
        log.warn("dispatch task {} has no inbox row; dropping the task", guid);
      }
    }
    // Account and pools first: a pool source that cannot answer throws before anything is written.
    // An account the cache lacks is read on this connection: never a second one while the queue
    // rows are locked, so batches cannot wait on each other for the pool.
    Map<String, JobEvaluator.Evaluation> evals = new HashMap<>();
    for (JobWork w : work.values()) {
      if (w.target() == JobStatus.QUEUED) {
        JobFacts f = w.event().facts();
        evals.put(w.key(), evaluator.evaluate(c, f.installationId(), f.ownerLogin(), f.labels()));
      }
    }
    jobs.lockAll(c, work.values().stream().map(w -> w.event().facts().jobId()).toList());
    Map<String, Job> existing =
        jobs.findAll(
            c,
            work.values().stream()
                .map(w -> new long[] {w.event().facts().jobId(), w.event().facts().runAttempt()})
                .toList());
    List<JobRepository.Upsert> upserts = new ArrayList<>();
    List<JobWork> moved = new ArrayList<>();
    for (JobWork w : work.values()) {
      JobFacts f = w.event().facts();
      JobEvaluator.Evaluation eval = evals.get(w.key());
      Job row = existing.get(w.key());
      if (row != null && !row.jobStatus().before(w.target())) {
        outcomes.put(w.d().guid(), new DispatchOutcome.Ignored("job already " + row.status()));
        if (eval != null) {
          // As in dispatch(): a late queued still names the job's account and pool.
          jobs.fillDispatchFacts(
              c, f.jobId(), f.runAttempt(), eval.accountId(), eval.outcome().pool(), now);
        }
        continue;
      }
      DispatchOutcome o;
      if (w.target() == JobStatus.QUEUED) {
        o = eval.outcome();
        upserts.add(
            new JobRepository.Upsert(
                f,
                JobStatus.QUEUED,
                eval.accountId(),
                o.pool(),
                o.isIgnore() ? o.label() : null,
                o.isIgnore() ? o.detail() : null,
                true,
                w.d().receivedAt(),
                source(w.d())));
      } else {
        o = moved(w.target());
        upserts.add(
            new JobRepository.Upsert(
                f, w.target(), null, null, null, null, false, w.d().receivedAt(), source(w.d())));
      }
      outcomes.put(w.d().guid(), o);
      moved.add(w);
    }
    jobs.upsertAll(c, upserts, now);
    listener.onTransitions(
        c, moved.stream().map(w -> new JobListener.Moved(w.event().facts(), w.target())).toList());
    Map<String, Delivery> byGuid = new HashMap<>();
    loaded.forEach(d -> byGuid.put(d.guid(), d));
    outcomes.forEach(
        (guid, o) -> {
          if (done.contains(guid)) {
            settlements.add(new InboxRepository.Settlement(guid, o.label(), o.detail()));
          }
        });
    Set<String> settled = inbox.settleAll(c, settlements);
    if (ownQueueRows) {
      DispatchQueue.completeBatch(c, done);
    }
    Map<String, JobWork> movedByGuid = new HashMap<>();
    moved.forEach(w -> movedByGuid.put(w.d().guid(), w));
    for (String guid : settled) {
      DispatchOutcome o = outcomes.get(guid);
      if (o == null) {
        continue; // an installation delivery: not a dispatch outcome
      }
      Delivery d = byGuid.get(guid);
      String action = actions.get(guid);
      batch.counted.add(
          () ->
              metrics.dispatchOutcome(
                  action, o.label(), Duration.between(d.receivedAt(), clock.instant())));
      JobWork w = movedByGuid.get(guid);
      if (w != null && w.target() == JobStatus.QUEUED && !o.isIgnore()) {
        batch.counted.add(() -> observeClaimable(w.event().facts(), o.pool(), d.receivedAt(), now));
      }
      if (o.isIgnore()) {
        batch.logs.add(
            () -> {
              MDC.put("delivery", guid);
              try {
                log.info("{} {}: {}", action, o.label(), o.detail());
              } finally {
                MDC.remove("delivery");
              }
            });
      }
    }
    return batch;
  }

  /**
   * The first two stages of a job that became claimable: GitHub's delay (its creation to our
   * receipt) and dispatch (receipt to claimable). Called once, after the commit that settled it.
   */
  private void observeClaimable(JobFacts f, String pool, Instant receivedAt, Instant claimableAt) {
    stages.observe(pool, WaitStage.GITHUB_DELAY, f.createdAtGithub(), receivedAt);
    stages.observe(pool, WaitStage.DISPATCH, receivedAt, claimableAt);
  }

  /**
   * GUID prefix of the deliveries the sweep of GitHub's queue writes for jobs no webhook brought.
   */
  public static final String SWEEP_GUID_PREFIX = "sweep-";

  private static String source(Delivery d) {
    return d.guid().startsWith(JobRepository.SWEEP_GUID_PREFIX)
        ? JobRepository.SWEEP
        : JobRepository.WEBHOOK;
  }

  private static DispatchOutcome moved(JobStatus target) {
    return switch (target) {
      case WAITING -> new DispatchOutcome.Waiting();
      case IN_PROGRESS -> new DispatchOutcome.InProgress();
      case COMPLETED -> new DispatchOutcome.Completed();
      case QUEUED -> throw new AssertionError("queued is evaluated");
      case CLAIMED -> throw new IllegalStateException("no event claims a job");
    };
  }

  /**
   * The parts of a {@code workflow_job} payload that {@link WorkflowJobEvent} reads, as a small
   * tree: one streaming pass that builds nodes only for {@code action}, {@code installation},
   * {@code workflow_job} and the repository's name and owner. A full tree of the 6 KB payload (its
   * repository object is mostly URLs) was a tenth of the JVM's samples under load.
   */
  private JsonNode jobPayload(Delivery d) {
    try (JsonParser p = json.getFactory().createParser(d.body())) {
      ObjectNode root = json.createObjectNode();
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return root;
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        switch (name) {
          case "action", "installation", "workflow_job" -> root.set(name, json.readTree(p));
          case "repository" -> {
            if (value == JsonToken.START_OBJECT) {
              root.set(name, repository(p));
            } else {
              p.skipChildren();
            }
          }
          default -> p.skipChildren();
        }
      }
      return root;
    } catch (IOException e) {
      throw new IllegalStateException("stored payload does not parse", e);
    }
  }

  /** The repository object's {@code full_name} and {@code owner}; the parser is inside it. */
  private ObjectNode repository(JsonParser p) throws IOException {
    ObjectNode repo = json.createObjectNode();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      p.nextToken();
      if (name.equals("full_name") || name.equals("owner")) {
        repo.set(name, json.readTree(p));
      } else {
        p.skipChildren();
      }
    }
    return repo;
  }

  private JsonNode payload(Delivery d) {
    try {
      return json.readTree(d.body());
    } catch (IOException e) {
      throw new IllegalStateException("stored payload does not parse", e);
    }
  }

  private static JobStatus target(String action) {
    if (action == null) {
      return null;
    }
    return switch (action) {
      case "queued" -> JobStatus.QUEUED;
      case "waiting" -> JobStatus.WAITING;
      case "in_progress" -> JobStatus.IN_PROGRESS;
      case "completed" -> JobStatus.COMPLETED;
      default -> null;
    };
  }
}
