package dev.runway.claims;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;

/** The retention task's way into the {@code claims} table, whose SQL stays in this package. */
public final class ClaimRetention {
  private final ClaimRepository repo = new ClaimRepository();

  /** Deletes at most {@code limit} claims that ended before {@code before}; returns how many. */
  public int deleteEndedBefore(Connection c, Instant before, int limit) throws SQLException {
    return repo.deleteEndedBefore(c, before, limit);
  }
}
