package dev.runway.platform.db;

import dev.runway.platform.retry.Backoff;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets {@code serve} start while PostgreSQL is down. The webhook path needs only the spool; what
 * needs the database (migrations, the dispatch queue, the spool drainer, the reconcilers) is
 * started by {@link #whenReachable} as soon as a connection succeeds, from a background thread that
 * probes with a capped backoff until then.
 */
public final class DatabaseWaiter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DatabaseWaiter.class);

  private final DataSource ds;
  private final Duration firstBackoff;
  private final Duration maxBackoff;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final CountDownLatch stop = new CountDownLatch(1);
  private Thread thread;

  public DatabaseWaiter(DataSource ds, Duration firstBackoff, Duration maxBackoff) {
    this.ds = ds;
    this.firstBackoff = firstBackoff;
    this.maxBackoff = maxBackoff;
  }

  /** Whether a connection to the database can be opened now. */
  public boolean reachable() {
    try (Connection c = ds.getConnection()) {
      return c.isValid(2);
    } catch (SQLException e) {
      return false;
    }
  }

  /**
   * What needs the database, started once it answers. It may throw; the waiter then logs it and
   * tries again after the next backoff, so a database that answers before it accepts logins, or a
   * migration that loses its connection halfway, only delays the start.
   */
  @FunctionalInterface
  public interface Start {
    void run() throws Exception;
  }

  /** Probes in the background and runs {@code start} once, when the database first answers. */
  public void whenReachable(Start start) {
    thread =
        new Thread(
            () -> {
              Duration backoff = firstBackoff;
              while (!closed.get()) {
                if (reachable()) {
                  try {
                    start.run();
                    log.info("database reachable: migrations, dispatch and reconcilers started");
                    return;
                  } catch (Exception e) {
                    log.warn("starting on the database failed, will try again: {}", e.toString());
                  }
                }
                try {
                  if (stop.await(backoff.toMillis(), TimeUnit.MILLISECONDS)) {
                    return;
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                  return;
                }
                backoff = new Backoff(firstBackoff, maxBackoff).after(backoff);
              }
            },
            "database-waiter");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void close() {
    closed.set(true);
    stop.countDown();
    if (thread != null) {
      try {
        thread.join(TimeUnit.SECONDS.toMillis(15));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
