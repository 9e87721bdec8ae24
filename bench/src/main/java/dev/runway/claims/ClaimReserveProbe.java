package dev.runway.claims;

import dev.runway.jobs.JobRepository;
import dev.runway.pools.Pool;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The bench's way into the claim transaction ({@link Claims#reserve}): the claim as the service
 * runs it, minus the GitHub call after the commit. It lives in the bench sources, in this package
 * only to reach that package-private method; runway.jar does not contain it.
 */
public final class ClaimReserveProbe {
  private final Claims claims;

  public ClaimReserveProbe(DataSource ds) {
    this.claims =
        new Claims(
            ds,
            new JobRepository(),
            null,
            Optional.empty(),
            new ClaimMetrics(new dev.runway.platform.telemetry.Metrics()),
            Clock.systemUTC(),
            Duration.ofMinutes(5),
            Duration.ofSeconds(20));
  }

  /** One claim transaction; true when it claimed a job. */
  public boolean claim(Pool pool) throws SQLException {
    return claims.reserve(pool).job() != null;
  }

  /** {@code EXPLAIN (ANALYZE, BUFFERS)} of the fair-share ranking for one account, as text. */
  public static List<String> explainRank(Connection c, String pool, long accountId)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("explain (analyze, buffers) " + FairShare.RANK)) {
      FairShare.bindRank(ps, pool, accountId);
      List<String> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    }
  }
}
