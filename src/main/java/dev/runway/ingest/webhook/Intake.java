package dev.runway.ingest.webhook;

import dev.runway.ingest.inbox.Delivery;
import dev.runway.ingest.inbox.InboxRepository;
import dev.runway.ingest.spool.Spool;
import dev.runway.ingest.spool.SpoolRecord;
import dev.runway.platform.db.DatabaseHealth;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;

/**
 * Stores a delivery durably within a time budget: in the database when it answers in time, on the
 * local spool otherwise. Only when both fail is the delivery refused.
 */
public final class Intake implements AutoCloseable {
  /** Upper bound on waiting for the spool's fsync; a disk slower than this is a failed disk. */
  private static final Duration SPOOL_BUDGET = Duration.ofSeconds(5);

  private final IntakeBatcher batcher;
  private final DatabaseHealth health;
  private final Spool spool;
  private final Duration budget;

  public Intake(
      DataSource intakeDs,
      InboxRepository inbox,
      DatabaseHealth health,
      Spool spool,
      Duration budget,
      DeliveryWriter.Handoff handoff,
      Runnable onCommit,
      MeterRegistry registry) {
    this.batcher = new IntakeBatcher(intakeDs, inbox, health, 4, 256, handoff, onCommit, registry);
    this.health = health;
    this.spool = spool;
    this.budget = budget;
    Gauge.builder("runway.intake.wait", () -> batcher.budget(budget).toNanos() / 1e9)
        .description("How long a webhook request now waits for its commit before it spools")
        .baseUnit("seconds")
        .register(registry);
  }

  /**
   * Stores {@code d}; blocks at most about the budget plus one fsync. The wait for the database is
   * derived from recent commit times with no fixed floor ({@link CommitWait}), at most the
   * configured budget, and a request that arrives while a commit is already overdue goes to the
   * spool at once: an outage costs the requests in its first few milliseconds, not each a budget.
   */
  public IntakeResult accept(Delivery d) {
    String why = "database marked unavailable";
    Duration wait = batcher.budget(budget);
    if (health.isUp() && batcher.overdue(wait)) {
      why = "a database commit is overdue (over " + wait.toMillis() + " ms)";
      if (batcher.overdue(budget)) {
        // Stalled, not slow: one commit has outlived the whole configured budget.
        health.markDown(
            "a database commit has been in flight for over " + budget.toMillis() + " ms");
      }
    } else if (health.isUp()) {
      CompletableFuture<IntakeBatcher.Stored> f = batcher.submit(d);
      try {
        return switch (f.get(wait.toNanos(), TimeUnit.NANOSECONDS)) {
          case INSERTED -> new IntakeResult.Stored();
          case DUPLICATE -> new IntakeResult.Duplicate();
        };
      } catch (TimeoutException e) {
        // This request goes to the spool, but the database is not marked down for it: a commit
        // that is only slow (a checkpoint, a busy CPU) would otherwise send every request of the
        // next second to the spool, and replaying them costs more of what was short. A database
        // that stalls is caught by the overdue check above; one that fails, by the writer.
        f.cancel(false);
        why = "database commit exceeded " + wait.toMillis() + " ms";
      } catch (ExecutionException e) {
        why = "database write failed: " + e.getCause().getClass().getSimpleName();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        why = "interrupted";
      }
    }
    return spool(d, why);
  }

  private IntakeResult spool(Delivery d, String why) {
    try {
      spool
          .append(new SpoolRecord(d.guid(), d.event(), d.hookId(), d.receivedAt(), d.body()))
          .get(SPOOL_BUDGET.toMillis(), TimeUnit.MILLISECONDS);
      return new IntakeResult.Spooled(why);
    } catch (ExecutionException e) {
      return new IntakeResult.Unavailable(e.getCause().getMessage());
    } catch (TimeoutException e) {
      return new IntakeResult.Unavailable(
          "spool fsync exceeded " + SPOOL_BUDGET.toSeconds() + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new IntakeResult.Unavailable("interrupted");
    }
  }

  /** Ready means a delivery can be stored durably somewhere. */
  public boolean ready() {
    return health.isUp() || spool.canAccept();
  }

  /** Finishes the batches in flight, waiting at most {@code wait}. */
  public void close(Duration wait) {
    batcher.close(wait);
  }

  @Override
  public void close() {
    batcher.close();
  }
}
