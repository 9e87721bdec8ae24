package dev.runway.redelivery;

import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.FixedDelay;
import dev.runway.ingest.inbox.InboxRepository;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.github.DeliverySummary;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.GitHubException;
import dev.runway.platform.telemetry.Metrics;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Redelivers failed {@code workflow_job} deliveries, because GitHub never does.
 *
 * <p>Each cycle lists the App's deliveries from the stored checkpoint minus an overlap (at most
 * {@code lookback} back), groups them by GUID, and for each event with no successful attempt that
 * the local inbox does not hold, asks GitHub to redeliver its newest failed attempt. It sends at
 * most {@code maxPerCycle} requests; a GUID asked {@code maxAttempts} times is given up and left
 * for an operator. The checkpoint advances only after a cycle that handled every event it listed,
 * so a cycle cut short (by the per-cycle bound, a rate limit or a GitHub outage) is resumed by the
 * next one from the same place.
 *
 * <p>It runs as the db-scheduler recurring task {@link #TASK}: one execution at a time across all
 * replicas, revived elsewhere if its replica dies.
 */
public final class RedeliveryReconciler {
  private static final Logger log = LoggerFactory.getLogger(RedeliveryReconciler.class);

  /** The recurring task's name, which is also its checkpoint's name. */
  public static final String TASK = "redeliver-failed";

  /** Records untouched for this long past the lookback are deleted. */
  private final DataSource ds;

  private final GitHubClient github;
  private final InboxRepository inbox;
  private final RedeliveryRepository records;
  private final ReconcilerCheckpoints checkpoints;
  private final RunwayConfig.Redelivery settings;
  private final RedeliveryPlanner planner;
  private final Metrics metrics;
  private final Clock clock;
  private final BooleanSupplier ready;

  /**
   * @param ready whether this replica takes webhooks now; a cycle on a replica that does not (still
   *     starting, or stopping) would have its redeliveries fail again, so it is skipped
   */
  public RedeliveryReconciler(
      DataSource ds,
      GitHubClient github,
      InboxRepository inbox,
      RedeliveryRepository records,
      ReconcilerCheckpoints checkpoints,
      RunwayConfig.Redelivery settings,
      Metrics metrics,
      Clock clock,
      BooleanSupplier ready) {
    this.ds = ds;
    this.github = github;
    this.inbox = inbox;
    this.records = records;
    this.checkpoints = checkpoints;
    this.settings = settings;
    this.planner = new RedeliveryPlanner(settings.maxAttempts());
    this.metrics = metrics;
    this.clock = clock;
    this.ready = ready;
  }

  /** The recurring task that runs a cycle every {@code interval}, starting right away. */
  public static RecurringTask<Void> task(RedeliveryReconciler reconciler, Duration interval) {
    return Tasks.recurring(TASK, FixedDelay.of(interval))
        .execute((instance, ctx) -> reconciler.runCycleSafely());
  }

  /**
   * The task under the same name for a replica where redelivery is off: it does nothing and never
   * schedules itself, so a replica with the App's credentials keeps the schedule, and one without
   * neither fails on the other's row nor logs about an unknown task.
   */
  public static RecurringTask<Void> disabledTask(Duration interval) {
    return Tasks.recurring(TASK, FixedDelay.of(interval))
        .doNotScheduleOnStartup()
        .execute((instance, ctx) -> log.debug("redelivery is off on this replica; cycle skipped"));
  }

  /** How a cycle ended; the {@code runway_redelivery_cycles_total} label. */
  enum CycleEnd {
    /** Every listed event was handled; the checkpoint advanced. */
    COMPLETED,
    /** The per-cycle bound was reached; the next cycle goes on from the same checkpoint. */
    CAPPED,
    /** GitHub's rate limit did not reset within the client's wait. */
    RATE_LIMITED,
    /** GitHub failed to answer, or answered 5xx after the client's retries. */
    GITHUB_UNAVAILABLE,
    /** This replica does not take webhooks right now. */
    NOT_READY,
    /** Something else failed, the database most likely. */
    FAILED;

    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** What one cycle did. */
  record CycleReport(
      CycleEnd end,
      Instant since,
      int listed,
      int redelivered,
      int failed,
      int givenUp,
      int skipped) {}

  /** Runs one cycle, and never throws: a failed cycle is logged, counted, and tried again later. */
  public CycleReport runCycleSafely() {
    CycleReport report;
    try {
      report = runCycle();
    } catch (SQLException | RuntimeException e) {
      log.warn("redelivery cycle failed, next one in {}: {}", settings.interval(), e.toString());
      report = new CycleReport(CycleEnd.FAILED, null, 0, 0, 0, 0, 0);
    }
    metrics
        .counter(
            "runway.redelivery.cycles",
            "Redelivery reconciler cycles by how they ended",
            "result",
            report.end().label())
        .increment();
    return report;
  }

  /** One cycle; see the class comment. */
  public CycleReport runCycle() throws SQLException {
    if (!ready.getAsBoolean()) {
      return new CycleReport(CycleEnd.NOT_READY, null, 0, 0, 0, 0, 0);
    }
    Instant now = clock.instant();
    Optional<ReconcilerCheckpoints.Checkpoint> checkpoint = checkpoints.find(ds, TASK);
    Instant since = windowStart(checkpoint, now, settings.overlap(), settings.lookback());

    List<DeliverySummary> listed = new ArrayList<>();
    try {
      new DeliveryScanner(github, 1, DeliveryScanner.Progress.none())
          .scan(
              new DeliveryFilter(since, null, null, null, null, null, null),
              Integer.MAX_VALUE,
              listed::add);
    } catch (GitHubException e) {
      CycleEnd end = e.rateLimited() ? CycleEnd.RATE_LIMITED : CycleEnd.GITHUB_UNAVAILABLE;
      log.warn("redelivery cycle could not list deliveries since {}: {}", since, e.getMessage());
      return new CycleReport(end, since, listed.size(), 0, 0, 0, 0);
    }

    List<RedeliveryDecision> decisions =
        planner.plan(listed.stream().filter(d -> "workflow_job".equals(d.event())).toList());
    List<String> open =
        decisions.stream()
            .filter(d -> !(d instanceof RedeliveryDecision.AlreadyDelivered))
            .map(RedeliveryDecision::guid)
            .toList();
    Set<String> inInbox = inbox.present(ds, open);
    Map<String, RedeliveryRepository.Row> known = records.find(ds, open);

    Cycle cycle = new Cycle(now);
    for (RedeliveryDecision decision : decisions) {
      RedeliveryStep step =
          RedeliveryStep.triage(
              decision,
              inInbox.contains(decision.guid()),
              known.get(decision.guid()),
              now,
              settings.maxAttempts());
      if (!step.applyTo(cycle)) {
        break;
      }
    }

    if (cycle.end == CycleEnd.COMPLETED) {
      // Old records are deleted by the retention task (RUNWAY_RETENTION_REDELIVERIES).
      newest(listed).ifPresent(this::advance);
    }
    CycleReport report =
        new CycleReport(
            cycle.end,
            since,
            listed.size(),
            cycle.redelivered,
            cycle.failed,
            cycle.givenUp,
            cycle.skipped);
    if (report.redelivered() + report.failed() + report.givenUp() > 0
        || report.end() != CycleEnd.COMPLETED) {
      log.info("redelivery cycle: {}", report);
    } else {
      log.debug("redelivery cycle: {}", report);
    }
    return report;
  }

  /**
   * Where a cycle starts listing: the checkpoint minus the overlap, but never further back than the
   * lookback (GitHub would refuse to redeliver anything older anyway). Without a checkpoint, the
   * whole lookback.
   */
  static Instant windowStart(
      Optional<ReconcilerCheckpoints.Checkpoint> checkpoint,
      Instant now,
      Duration overlap,
      Duration lookback) {
    Instant oldest = now.minus(lookback);
    return checkpoint
        .map(c -> c.deliveredAt().minus(overlap))
        .filter(start -> start.isAfter(oldest))
        .orElse(oldest);
  }

  /** The newest attempt listed, where the next cycle's window is anchored. */
  static Optional<ReconcilerCheckpoints.Checkpoint> newest(List<DeliverySummary> listed) {
    return listed.stream()
        .filter(d -> d.deliveredAt() != null)
        .max(
            Comparator.comparing(DeliverySummary::deliveredAt)
                .thenComparingLong(DeliverySummary::id))
        .map(d -> new ReconcilerCheckpoints.Checkpoint(d.deliveredAt(), d.id()));
  }

  private void advance(ReconcilerCheckpoints.Checkpoint to) {
    try {
      checkpoints.advance(ds, TASK, to);
    } catch (SQLException e) {
      // The work is done and recorded; the next cycle merely lists a longer window.
      log.warn("could not store the redelivery checkpoint {}: {}", to, e.toString());
    }
  }

  private void count(String result) {
    metrics
        .counter(
            "runway.redeliveries",
            "Failed workflow_job deliveries handled by the redelivery reconciler, by result",
            "result",
            result)
        .increment();
  }

  /** The mutable state of one cycle, and the actions of its steps. */
  private final class Cycle implements RedeliveryStep.Actions {
    private final Instant now;
    private CycleEnd end = CycleEnd.COMPLETED;
    private int requests;
    private int redelivered;
    private int failed;
    private int givenUp;
    private int skipped;

    Cycle(Instant now) {
      this.now = now;
    }

    @Override
    public boolean redeliver(RedeliveryStep.Redeliver step) throws SQLException {
      if (requests >= settings.maxPerCycle()) {
        end = CycleEnd.CAPPED;
        return false;
      }
      requests++;
      DeliverySummary attempt = step.attempt();
      int number = step.priorAttempts() + 1;
      try {
        github.redeliver(attempt.id());
      } catch (GitHubException e) {
        return refused(step, e, number);
      }
      records.recordAttempt(ds, attempt, RedeliveryRepository.REDELIVERED, null, now);
      redelivered++;
      count("redelivered");
      log.info(
          "redelivered delivery {} of {} {} (GUID {}, delivered {}, status {}), attempt {}/{}",
          attempt.id(),
          attempt.event(),
          attempt.action(),
          step.guid(),
          attempt.deliveredAt(),
          attempt.statusCode(),
          number,
          settings.maxAttempts());
      return true;
    }

    private boolean refused(RedeliveryStep.Redeliver step, GitHubException e, int number)
        throws SQLException {
      if (e.rateLimited()) {
        // Not an answer about this delivery: it is neither recorded nor counted as an attempt.
        count("rate_limited");
        end = CycleEnd.RATE_LIMITED;
        log.warn(
            "redelivery cycle stopped by GitHub's rate limit at delivery {} (GUID {}): {}",
            step.attempt().id(),
            step.guid(),
            e.getMessage());
        return false;
      }
      records.recordAttempt(ds, step.attempt(), RedeliveryRepository.FAILED, e.getMessage(), now);
      failed++;
      count("failed");
      log.warn(
          "redelivery of delivery {} (GUID {}) failed, attempt {}/{}: {}",
          step.attempt().id(),
          step.guid(),
          number,
          settings.maxAttempts(),
          e.getMessage());
      if (e.isClientError()) {
        return true;
      }
      // GitHub is failing (5xx after retries, or no answer): more requests would only add load.
      end = CycleEnd.GITHUB_UNAVAILABLE;
      return false;
    }

    @Override
    public void giveUp(RedeliveryStep.GiveUp step) throws SQLException {
      if (records.giveUp(ds, step.newestFailed(), step.attempts(), now)) {
        givenUp++;
        count("given_up");
        log.warn(
            "gave up redelivering GUID {} ({} {}, newest failed delivery {}, status {}) after {}"
                + " redeliveries; redeliver it by hand with `runway deliveries redeliver {}`",
            step.guid(),
            step.newestFailed().event(),
            step.newestFailed().action(),
            step.newestFailed().id(),
            step.newestFailed().status(),
            step.attempts(),
            step.newestFailed().id());
      }
    }

    @Override
    public void skip(RedeliveryStep.Skip step) {
      if (step.result() != null) {
        skipped++;
        count(step.result());
        log.debug("redelivery of GUID {} skipped: {}", step.guid(), step.result());
      }
    }
  }
}
