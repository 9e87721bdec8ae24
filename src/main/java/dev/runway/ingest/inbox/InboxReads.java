package dev.runway.ingest.inbox;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import javax.sql.DataSource;

/**
 * What the operator's views read of the {@code inbox} table, without the payloads. Reads only:
 * {@link InboxRepository} stays the table's one writer.
 */
public final class InboxReads {
  private final InboxRepository inbox = new InboxRepository();

  /** The newest deliveries received since {@code since}, of every event. */
  public List<InboxRepository.InboxEntry> list(DataSource ds, Instant since, int limit)
      throws SQLException {
    return inbox.list(ds, since, null, limit);
  }

  /** Every delivery about workflow job {@code jobId} (all its attempts), oldest first. */
  public List<InboxRepository.InboxEntry> forWorkflowJob(Connection c, long jobId, int limit)
      throws SQLException {
    return inbox.forWorkflowJob(c, jobId, limit);
  }
}
