package dev.runway.dispatch;

import dev.runway.inbox.InboxRepository;
import dev.runway.webhook.Delivery;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Runs one dispatch task: turns a stored delivery into job state. A thrown exception fails the
 * task, and db-scheduler retries it with backoff; nothing is counted as an outcome until it
 * settles.
 */
public final class DispatchWorker {
  private static final Logger log = LoggerFactory.getLogger(DispatchWorker.class);

  private final DataSource ds;
  private final InboxRepository inbox;

  public DispatchWorker(DataSource ds, InboxRepository inbox) {
    this.ds = ds;
    this.inbox = inbox;
  }

  /** Dispatches the delivery {@code guid}. */
  public void dispatch(String guid) {
    MDC.put("delivery", guid);
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      Optional<Delivery> d = inbox.markWorkerSeen(c, guid);
      if (d.isEmpty()) {
        // Cannot happen while the task and the row are written in one transaction.
        log.warn("dispatch task has no inbox row; dropping the task");
      }
      c.commit();
    } catch (SQLException e) {
      throw new DispatchRetry("database: " + e.getMessage(), e);
    } finally {
      MDC.remove("delivery");
    }
  }
}
