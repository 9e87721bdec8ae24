package dev.runway.retention;

import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.Schedules;
import dev.runway.claims.ClaimRetention;
import dev.runway.ingest.inbox.InboxRepository;
import dev.runway.jobs.JobRepository;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.redelivery.RedeliveryRepository;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps stored data bounded: drops old payloads, then deletes old deliveries, completed jobs, ended
 * claims and redelivery records, each after its retention period.
 *
 * <p>A db-scheduler recurring task, so one replica at a time prunes. Every statement deletes (or
 * empties) at most {@link #MAX_BATCH} rows in its own short transaction, so pruning a backlog of
 * millions never holds many row locks, never runs into the statement timeout, and lets the webhook
 * path's commits in between. A round goes on until every table is below its cutoff, or until the
 * service stops.
 *
 * <p>Only settled deliveries are pruned: a delivery still owed a dispatch keeps its payload and its
 * row whatever its age.
 */
public final class Pruner {
  private static final Logger log = LoggerFactory.getLogger(Pruner.class);
  public static final String TASK = "retention-prune";
  public static final int MAX_BATCH = 1000;

  private final DataSource ds;
  private final RunwayConfig.Retention retention;
  private final Clock clock;
  private final int batch;
  private final BooleanSupplier stopping;
  private final MeterRegistry registry;
  private final InboxRepository inbox = new InboxRepository();
  private final JobRepository jobs = new JobRepository();
  private final ClaimRetention claims = new ClaimRetention();
  private final RedeliveryRepository redeliveries = new RedeliveryRepository();

  /**
   * @param batch rows per transaction, at most {@link #MAX_BATCH}
   * @param stopping true once the service stops; a round ends after its current batch
   */
  public Pruner(
      DataSource ds,
      RunwayConfig.Retention retention,
      Clock clock,
      int batch,
      BooleanSupplier stopping,
      MeterRegistry registry) {
    if (batch < 1 || batch > MAX_BATCH) {
      throw new IllegalArgumentException("batch must be within 1.." + MAX_BATCH);
    }
    this.ds = ds;
    this.retention = retention;
    this.clock = clock;
    this.batch = batch;
    this.stopping = stopping;
    this.registry = registry;
    // Registered at zero, so that dashboards see every table before its first prune.
    for (String table : TABLES) {
      counter(table);
    }
  }

  /** The {@code table} labels of {@code runway_pruned_rows_total}. */
  static final java.util.List<String> TABLES =
      java.util.List.of("inbox", "inbox_payloads", "jobs", "claims", "redeliveries");

  public RecurringTask<Void> task() {
    return Tasks.recurring(TASK, Schedules.fixedDelay(retention.interval()))
        .execute((instance, ctx) -> runSafely());
  }

  private void runSafely() {
    long started = System.nanoTime();
    try {
      Map<String, Long> pruned = run();
      if (pruned.values().stream().anyMatch(n -> n > 0)) {
        log.info("retention pruned {} in {} ms", pruned, (System.nanoTime() - started) / 1_000_000);
      }
    } catch (SQLException | RuntimeException e) {
      // The next round goes on from where this one stopped; what is pruned stays pruned.
      log.warn("retention round failed: {}", e.toString());
    }
  }

  /** One round. Returns the rows pruned per {@code table} label, in the order they ran. */
  public Map<String, Long> run() throws SQLException {
    Instant now = clock.instant();
    Map<String, Long> pruned = new LinkedHashMap<>();
    // Deliveries first: their payloads need not be emptied before the row goes.
    Instant deliveries = now.minus(retention.deliveries());
    pruned.put("inbox", repeat("inbox", c -> inbox.deleteSettledBefore(c, deliveries, batch)));
    pruned.put("inbox_payloads", dropPayloads(now.minus(retention.payloads()), now));
    Instant jobsBefore = now.minus(retention.jobs());
    pruned.put("jobs", repeat("jobs", c -> jobs.deleteCompletedBefore(c, jobsBefore, batch)));
    pruned.put("claims", repeat("claims", c -> claims.deleteEndedBefore(c, jobsBefore, batch)));
    Instant redeliveriesBefore = now.minus(retention.redeliveries());
    pruned.put(
        "redeliveries",
        repeat("redeliveries", c -> redeliveries.deleteBefore(c, redeliveriesBefore, batch)));
    return pruned;
  }

  /** One batch of one table, in its own transaction (the connection is in autocommit). */
  @FunctionalInterface
  private interface Batch {
    int run(Connection c) throws SQLException;
  }

  private long repeat(String table, Batch step) throws SQLException {
    long total = 0;
    while (!stopping.getAsBoolean()) {
      int n;
      try (Connection c = ds.getConnection()) {
        n = step.run(c);
      }
      count(table, n);
      total += n;
      if (n < batch) {
        break;
      }
    }
    return total;
  }

  private long dropPayloads(Instant before, Instant now) throws SQLException {
    long total = 0;
    Instant from = Instant.EPOCH;
    while (!stopping.getAsBoolean()) {
      InboxRepository.DroppedPayloads d;
      try (Connection c = ds.getConnection()) {
        d = inbox.dropPayloadsBefore(c, from, before, now, batch);
      }
      count("inbox_payloads", d.count());
      total += d.count();
      if (d.count() < batch) {
        break;
      }
      from = d.newestReceivedAt();
    }
    return total;
  }

  private void count(String table, int n) {
    if (n > 0) {
      counter(table).increment(n);
    }
  }

  private Counter counter(String table) {
    return Counter.builder("runway.pruned.rows")
        .description("Rows deleted (or, for inbox_payloads, emptied) by retention, by table")
        .tag("table", table)
        .register(registry);
  }
}
