package dev.runway.ledger;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;

/**
 * What other features tell the wait reasons, each a one-line wiring in {@code Runway}. The defaults
 * say "nothing known", so a reason never appears before its feature exists.
 */
public final class Seams {
  private Seams() {}

  /**
   * SEAM (branch bulkhead): the JIT-minting pause on GitHub's 403/429. Wire its read interface,
   * e.g. {@code pauses::pausedUntil}, where {@code Runway} builds {@link WaitReasons}.
   */
  @FunctionalInterface
  public interface JitPauses {
    /** Until when registrations for {@code installationId} are paused, if they are. */
    Optional<Instant> pausedUntil(long installationId);

    JitPauses NONE = installationId -> Optional.empty();
  }

  /**
   * SEAM (branch fair): repository caps inside an account. Wire the fair-share feature's check
   * where {@code Runway} builds {@link WaitReasons}.
   */
  @FunctionalInterface
  public interface RepositoryCaps {
    /**
     * In words, why {@code repository} of {@code accountId} may not have one more job running
     * ("acme/app is at its cap: 4 of 4 running"), or empty when it may.
     */
    Optional<String> atCap(Connection c, long accountId, String repository) throws SQLException;

    RepositoryCaps NONE = (c, accountId, repository) -> Optional.empty();
  }
}
