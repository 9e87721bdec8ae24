package dev.runway.ingest.webhook;

import dev.runway.ingest.inbox.Delivery;
import dev.runway.ingest.inbox.InboxRepository;
import dev.runway.ingest.spool.Spool;
import dev.runway.ingest.spool.SpoolRecord;
import dev.runway.platform.db.Database;
import dev.runway.platform.db.DatabaseHealth;
import dev.runway.platform.telemetry.Metrics;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves spooled deliveries into the inbox and the dispatch queue once the database answers.
 *
 * <p>Replay is idempotent by GUID (the inbox insert skips known GUIDs and only new rows get a
 * task), so a segment that is replayed twice after a crash stores nothing twice. A segment is
 * deleted only after all of its rows have committed. While the database is marked down, each run
 * probes it; a successful probe reopens the webhook path to the database.
 */
public final class SpoolDrainer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SpoolDrainer.class);
  private static final int CHUNK = 200;

  /** The spool's gauges: deliveries and bytes waiting on disk. */
  public static void registerMeters(Metrics metrics, Spool spool) {
    metrics.gauge("runway.spool.depth", "Deliveries waiting in the disk spool", spool::depth);
    metrics.gauge("runway.spool.bytes", "Bytes in the disk spool", spool::sizeBytes);
  }

  private final Spool spool;
  private final DataSource ds;
  private final DeliveryWriter inbox;
  private final Payloads payloads;
  private final DatabaseHealth health;
  private final Runnable onCommit;
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "spool-drainer");
            t.setDaemon(true);
            return t;
          });

  public SpoolDrainer(
      Spool spool,
      DataSource ds,
      InboxRepository inbox,
      Payloads payloads,
      DatabaseHealth health,
      DeliveryWriter.Handoff handoff,
      Runnable onCommit) {
    this.onCommit = onCommit;
    this.spool = spool;
    this.ds = ds;
    this.inbox = new DeliveryWriter(inbox, handoff);
    this.payloads = payloads;
    this.health = health;
  }

  /** Runs {@link #drainOnce} now and then every {@code interval}. */
  public void start(Duration interval) {
    timer.scheduleWithFixedDelay(this::runSafely, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void runSafely() {
    try {
      drainOnce();
    } catch (RuntimeException e) {
      log.error("spool drain failed; will try again", e);
    }
  }

  /**
   * Probes the database if it is marked down, then replays every sealed segment.
   *
   * @return how many deliveries were newly stored
   */
  public int drainOnce() {
    if (!health.isUp() && !probe()) {
      return 0;
    }
    if (spool.depth() == 0 && spool.sizeBytes() == 0) {
      return 0;
    }
    int stored = 0;
    try {
      for (Path p : spool.sealForDrain()) {
        stored += drain(Spool.read(p));
      }
    } catch (SQLException e) {
      health.markDown("spool drain: " + e.getMessage());
    } catch (IOException e) {
      log.error("cannot read the spool in {}: {}", spool.dir(), e.toString());
    }
    return stored;
  }

  private int drain(Spool.Segment segment) throws SQLException, IOException {
    int stored = 0;
    List<SpoolRecord> records = segment.records();
    for (int from = 0; from < records.size(); from += CHUNK) {
      List<Delivery> chunk = new ArrayList<>();
      for (SpoolRecord r : records.subList(from, Math.min(records.size(), from + CHUNK))) {
        chunk.add(toDelivery(r));
      }
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        try {
          // The segment is deleted once this commits, so the commit must be on disk.
          Database.durableCommit(c);
          stored += inbox.insert(c, chunk, true).size();
          c.commit();
        } catch (SQLException e) {
          c.rollback();
          throw e;
        }
      }
    }
    if (segment.tornTail()) {
      // The torn record was never acknowledged (answers wait for fsync), so nothing accepted is
      // lost; the file is kept as *.torn for inspection.
      log.warn(
          "spool segment {} ended in a torn record after {} complete one(s); kept as *.torn",
          segment.path(),
          records.size());
    }
    spool.delete(segment);
    health.markUp();
    onCommit.run();
    if (!records.isEmpty()) {
      log.info(
          "replayed {} spooled delivery(ies) from {}, {} new",
          records.size(),
          segment.path(),
          stored);
    }
    return stored;
  }

  private Delivery toDelivery(SpoolRecord r) {
    try {
      return payloads.parse(r.guid(), r.event(), r.hookId(), r.receivedAt(), r.body());
    } catch (Payloads.MalformedPayload e) {
      // Only parsed bodies are spooled, so this means the spool format and parser disagree.
      throw new IllegalStateException("spooled delivery " + r.guid() + " no longer parses", e);
    }
  }

  private boolean probe() {
    try (Connection c = ds.getConnection();
        var st = c.createStatement()) {
      st.setQueryTimeout(2);
      st.execute("select 1");
      health.markUp();
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  @Override
  public void close() {
    timer.shutdown();
    try {
      timer.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
