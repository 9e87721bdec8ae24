package dev.runway.platform.db;

import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the webhook path should try the database at all.
 *
 * <p>After one failed intake commit, or one that has been in flight for the whole intake budget,
 * the path goes straight to the spool, so that an outage costs each request one fsync rather than
 * one timeout. (A commit that is only slower than a request's wait spools that request alone.) The
 * spool drainer probes the database and marks it up again once a commit succeeds.
 */
public final class DatabaseHealth {
  private static final Logger log = LoggerFactory.getLogger(DatabaseHealth.class);

  private final AtomicReference<String> downReason = new AtomicReference<>();

  public boolean isUp() {
    return downReason.get() == null;
  }

  /** Records that a database write failed; logs only the transition. */
  public void markDown(String reason) {
    if (downReason.compareAndSet(null, reason)) {
      log.warn("database unavailable for intake, spooling deliveries to disk: {}", reason);
    }
  }

  /** Records that a database write succeeded; logs only the transition. */
  public void markUp() {
    String was = downReason.getAndSet(null);
    if (was != null) {
      log.info("database available again for intake");
    }
  }
}
