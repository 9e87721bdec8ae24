package dev.runway.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.accounts.Account;
import dev.runway.accounts.AccountDirectory;
import dev.runway.accounts.AccountRepository;
import dev.runway.inbox.InboxRepository;
import dev.runway.jobs.Job;
import dev.runway.jobs.JobRepository;
import dev.runway.jobs.JobStatus;
import dev.runway.pools.PoolMatcher;
import dev.runway.pools.PoolSnapshot;
import dev.runway.pools.PoolSource;
import dev.runway.telemetry.Metrics;
import dev.runway.webhook.Delivery;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
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
public final class DispatchWorker {
  private static final Logger log = LoggerFactory.getLogger(DispatchWorker.class);

  private final DataSource ds;
  private final InboxRepository inbox;
  private final JobRepository jobs;
  private final AccountDirectory accounts;
  private final AccountRepository accountRepo;
  private final PoolSource pools;
  private final ObjectMapper json;
  private final Metrics metrics;
  private final Clock clock;
  private final JobListener listener;

  /** Lets the claims feature react to job transitions inside the same transaction. */
  public interface JobListener {
    /** Called after a job row moved to {@code status} because of {@code event}. */
    void onTransition(Connection c, WorkflowJobEvent event, JobStatus status) throws SQLException;

    JobListener NONE = (c, e, s) -> {};
  }

  public DispatchWorker(
      DataSource ds,
      InboxRepository inbox,
      JobRepository jobs,
      AccountDirectory accounts,
      AccountRepository accountRepo,
      PoolSource pools,
      ObjectMapper json,
      Metrics metrics,
      Clock clock,
      JobListener listener) {
    this.ds = ds;
    this.inbox = inbox;
    this.jobs = jobs;
    this.accounts = accounts;
    this.accountRepo = accountRepo;
    this.pools = pools;
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
      Evaluation eval =
          target == JobStatus.QUEUED
              ? evaluate(
                  event.facts().installationId(),
                  event.facts().ownerLogin(),
                  event.facts().labels())
              : null;
      DispatchOutcome outcome;
      boolean settled;
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        try {
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
                  eval.outcome() instanceof DispatchOutcome.Queued q ? q.pool() : null);
            }
          } else {
            outcome = apply(c, event, target, eval);
            listener.onTransition(c, event, target);
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

  private DispatchOutcome apply(
      Connection c, WorkflowJobEvent event, JobStatus target, Evaluation eval) throws SQLException {
    return switch (target) {
      case QUEUED -> {
        DispatchOutcome o = eval.outcome();
        String pool = o instanceof DispatchOutcome.Queued q ? q.pool() : null;
        jobs.upsert(
            c,
            event.facts(),
            JobStatus.QUEUED,
            eval.accountId(),
            pool,
            o.isIgnore() ? o.label() : null,
            o.isIgnore() ? o.detail() : null,
            true);
        yield o;
      }
      case WAITING -> {
        jobs.upsert(c, event.facts(), JobStatus.WAITING, null, null, null, null, false);
        yield new DispatchOutcome.Waiting();
      }
      case IN_PROGRESS -> {
        jobs.upsert(c, event.facts(), JobStatus.IN_PROGRESS, null, null, null, null, false);
        yield new DispatchOutcome.InProgress();
      }
      case COMPLETED -> {
        jobs.upsert(c, event.facts(), JobStatus.COMPLETED, null, null, null, null, false);
        yield new DispatchOutcome.Completed();
      }
      case CLAIMED -> throw new IllegalStateException("no event claims a job");
    };
  }

  /** What a queued job's account and pools say, with the account it belongs to. */
  record Evaluation(Long accountId, DispatchOutcome outcome) {}

  /**
   * Resolves the account and matches a pool.
   *
   * @throws DispatchRetry when the database or the pool source cannot answer: unknown is not empty
   */
  Evaluation evaluate(Long installationId, String ownerLogin, List<String> labels) {
    Optional<Account> account;
    try {
      account = accounts.lookup(installationId, ownerLogin);
    } catch (SQLException e) {
      throw new DispatchRetry("account lookup: " + e.getMessage(), e);
    }
    if (account.isEmpty()) {
      return new Evaluation(null, new DispatchOutcome.NoAccount());
    }
    Account a = account.get();
    if (!a.runnersAllowed()) {
      String why =
          a.installationSuspended()
              ? "installation suspended"
              : !a.runnersEnabled() ? "runners disabled" : "max_concurrent is 0";
      return new Evaluation(a.id(), new DispatchOutcome.RunnersDisabled(why));
    }
    PoolSnapshot snapshot =
        pools
            .current()
            .fold(
                available -> available,
                reason -> {
                  throw new DispatchRetry("pool source unavailable: " + reason);
                });
    DispatchOutcome outcome =
        PoolMatcher.match(labels, snapshot.pools())
            .fold(
                pool -> new DispatchOutcome.Queued(pool.name()),
                () -> new DispatchOutcome.NoPools(snapshot.source()),
                () -> new DispatchOutcome.NoMatchingPool(labels),
                DispatchOutcome.AmbiguousPool::new);
    return new Evaluation(a.id(), outcome);
  }

  /**
   * Evaluates an ignored queued job again against the current accounts and pools: after a pool is
   * added or an account enabled, its jobs become claimable without a new delivery.
   *
   * @return the new outcome, or empty when the job is no longer an ignored queued job
   */
  public Optional<DispatchOutcome> redispatch(long jobId, int attempt) {
    try {
      Optional<Job> job;
      try (Connection c = ds.getConnection()) {
        job = jobs.find(c, jobId, attempt);
      }
      if (job.isEmpty() || !job.get().status().equals("queued") || job.get().outcome() == null) {
        return Optional.empty();
      }
      Job j = job.get();
      Evaluation eval = evaluate(j.installationId(), j.ownerLogin(), j.labels());
      DispatchOutcome o = eval.outcome();
      boolean changed;
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        jobs.lock(c, jobId);
        changed =
            jobs.reevaluate(
                c,
                jobId,
                attempt,
                eval.accountId(),
                o instanceof DispatchOutcome.Queued q ? q.pool() : null,
                o.isIgnore() ? o.label() : null,
                o.isIgnore() ? o.detail() : null);
        c.commit();
      }
      if (changed) {
        metrics.dispatchOutcome("redispatch", o.label(), Duration.ZERO);
        log.info("redispatched job {}/{}: {}", jobId, attempt, o.label());
      }
      return changed ? Optional.of(o) : Optional.empty();
    } catch (SQLException e) {
      throw new DispatchRetry("database: " + e.getMessage(), e);
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

  /** Keeps the account ↔ installation link current; these deliveries are not dispatch outcomes. */
  private void installation(Delivery d) throws SQLException {
    JsonNode root = payload(d);
    String action = root.path("action").asText("");
    JsonNode inst = root.path("installation");
    Long id = inst.path("id").canConvertToLong() ? inst.get("id").asLong() : null;
    String login = inst.path("account").path("login").asText(null);
    String outcome = "ignored";
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try {
        if (id != null) {
          switch (action) {
            case "deleted" -> {
              accountRepo.unlinkInstallation(c, id);
              outcome = "account_updated";
            }
            case "suspend" -> {
              accountRepo.setSuspended(c, id, true);
              outcome = "account_updated";
            }
            case "unsuspend", "created", "new_permissions_accepted", "added", "removed" -> {
              if (login != null) {
                accountRepo.linkInstallation(c, login, id);
                accountRepo.setSuspended(c, id, false);
                outcome = "account_updated";
              }
            }
            default -> {}
          }
        }
        inbox.settle(c, d.guid(), outcome, d.event() + "." + action);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
    accounts.invalidate();
    log.info("{}.{} for installation {} ({}): {}", d.event(), action, id, login, outcome);
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
