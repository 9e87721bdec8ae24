package dev.runway.redelivery;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/**
 * What the operator's views read of the {@code redeliveries} table: what the reconciler redelivered
 * and what it gave up on. Reads only; the reconciler is the table's one writer.
 */
public final class RedeliveryReads {
  private final RedeliveryRepository redeliveries = new RedeliveryRepository();

  /** The newest records first, given-up ones before the rest. */
  public List<RedeliveryRepository.Listed> list(Connection c, int limit) throws SQLException {
    return redeliveries.list(c, limit);
  }

  /** How many GUIDs were given up since {@code since}: each needs a person. */
  public long givenUpSince(Connection c, Instant since) throws SQLException {
    return redeliveries.givenUpSince(c, since);
  }
}
