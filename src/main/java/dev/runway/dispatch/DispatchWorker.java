package dev.runway.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.accounts.InstallationEvents;
import dev.runway.inbox.Delivery;
import dev.runway.inbox.InboxRepository;
import dev.runway.jobs.Job;
import dev.runway.jobs.JobListener;
import dev.runway.jobs.JobRepository;
import dev.runway.jobs.JobStatus;
import dev.runway.telemetry.Metrics;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
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
  }

  /** Dispatches the delivery {@code guid}. */
  public void dispatch(String guid) {
    MDC.put("delivery", guid);
    try {
      Optional<Delivery> d;
      try (Connection c = ds.getConnection()) {
        d = inbox.load(c, guid);
      }
      if (d.isEmpty()) {
        // Cannot happen while the task and the row are written in one transaction.
        log.warn("dispatch task has no inbox row; dropping the task");
        return;
      }
      try {
        if (d.get().event().equals("workflow_job")) {
          workflowJob(d.get());
        } else {
          installation(d.get());
        }
      } catch (SQLException | RuntimeException e) {
        // A settled delivery records its attempt with its outcome; a failed one does it here.
        inbox.recordFailedAttempt(ds, guid);
        throw e;
      }
    } catch (SQLException e) {
      throw new DispatchRetry("database: " + e.getMessage(), e);
    } finally {
      MDC.remove("delivery");
    }
  }

  private JsonNode payload(Delivery d) {
    try {
      return json.readTree(d.body());
    } catch (IOException e) {
      throw new IllegalStateException("stored payload does not parse", e);
    }
  }

  private void workflowJob(Delivery d) throws SQLException {
    WorkflowJobEvent event;
    try {
      event = WorkflowJobEvent.parse(payload(d));
    } catch (IllegalArgumentException e) {
      settle(d, null, new DispatchOutcome.Ignored(e.getMessage()));
      return;
    }
    JobStatus target = target(event.action());
    if (target == null) {
      settle(d, event.action(), new DispatchOutcome.Ignored("action " + event.action()));
      return;
    }
    MDC.put("job", event.facts().jobId() + "/" + event.facts().runAttempt());
    try {
      // Account and pools are resolved before the transaction, so no connection is held while
      // another is checked out, and the job lock is held only for the writes.
      JobEvaluator.Evaluation eval =
          target == JobStatus.QUEUED
              ? evaluator.evaluate(
                  event.facts().installationId(),
                  event.facts().ownerLogin(),
                  event.facts().labels())
              : null;
      DispatchOutcome outcome;
      boolean settled;
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        try {
          Instant now = clock.instant();
          jobs.lock(c, event.facts().jobId());
          Optional<Job> existing = jobs.find(c, event.facts().jobId(), event.facts().runAttempt());
          if (existing.isPresent() && !existing.get().jobStatus().before(target)) {
            outcome = new DispatchOutcome.Ignored("job already " + existing.get().status());
            if (eval != null) {
              // A queued that arrives late still tells which account and pool the job belongs
              // to, so the final row is the same whatever order the events came in.
              jobs.fillDispatchFacts(
                  c,
                  event.facts().jobId(),
                  event.facts().runAttempt(),
                  eval.accountId(),
                  eval.outcome().pool(),
                  now);
            }
          } else {
            outcome = apply(c, event, target, eval, d.receivedAt(), now);
            listener.onTransition(c, event.facts(), target);
          }
          settled = inbox.settle(c, d.guid(), outcome.label(), outcome.detail());
          c.commit();
        } catch (SQLException | RuntimeException e) {
          c.rollback();
          throw e;
        }
      }
      if (settled) {
        metrics.dispatchOutcome(
            event.action(), outcome.label(), Duration.between(d.receivedAt(), clock.instant()));
        // Ignores are what an operator looks for; the normal lifecycle is only worth a debug line
        // at thousands of deliveries a second.
        if (outcome.isIgnore()) {
          log.info("{} {}: {}", event.action(), outcome.label(), outcome.detail());
        } else {
          log.debug("{} {}", event.action(), outcome.label());
        }
      }
    } finally {
      MDC.remove("job");
    }
  }

  /** Moves the job row to {@code target}; a row that does not exist yet is created. */
  private DispatchOutcome apply(
      Connection c,
      WorkflowJobEvent event,
      JobStatus target,
      JobEvaluator.Evaluation eval,
      Instant receivedAt,
      Instant now)
      throws SQLException {
    if (target == JobStatus.QUEUED) {
      DispatchOutcome o = eval.outcome();
      jobs.upsert(
          c,
          event.facts(),
          JobStatus.QUEUED,
          eval.accountId(),
          o.pool(),
          o.isIgnore() ? o.label() : null,
          o.isIgnore() ? o.detail() : null,
          true,
          receivedAt,
          now);
      return o;
    }
    jobs.upsert(c, event.facts(), target, null, null, null, null, false, receivedAt, now);
    return switch (target) {
      case WAITING -> new DispatchOutcome.Waiting();
      case IN_PROGRESS -> new DispatchOutcome.InProgress();
      case COMPLETED -> new DispatchOutcome.Completed();
      case QUEUED -> throw new AssertionError("queued is applied above");
      case CLAIMED -> throw new IllegalStateException("no event claims a job");
    };
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

  /** Installation deliveries keep accounts current; they are not dispatch outcomes. */
  private void installation(Delivery d) throws SQLException {
    InstallationEvents.Applied applied;
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try {
        applied = installations.apply(c, payload(d));
        inbox.settle(c, d.guid(), applied.outcome(), d.event() + "." + applied.action());
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
    installations.committed();
    log.info(
        "{}.{} for installation {} ({}): {}",
        d.event(),
        applied.action(),
        applied.installationId(),
        applied.login(),
        applied.outcome());
  }

  private void settle(Delivery d, String action, DispatchOutcome outcome) throws SQLException {
    boolean settled;
    try (Connection c = ds.getConnection()) {
      settled = inbox.settle(c, d.guid(), outcome.label(), outcome.detail());
    }
    if (settled) {
      metrics.dispatchOutcome(
          action, outcome.label(), Duration.between(d.receivedAt(), clock.instant()));
    }
  }
}
