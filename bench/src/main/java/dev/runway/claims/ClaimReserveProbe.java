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

  /**
   * {@code EXPLAIN (ANALYZE, BUFFERS)} of the fair-share pick for one account ({@code
   * claims_fair_pick}, V34), as text, rolled back. With {@code auto_explain} available the plans of
   * the statements inside the function follow, as the server's notices; without it, only the
   * function's own time.
   */
  public static List<String> explainPick(Connection c, String pool, long accountId)
      throws SQLException {
    List<String> out = new ArrayList<>();
    boolean auto = c.getAutoCommit();
    c.setAutoCommit(false);
    try (java.sql.Statement st = c.createStatement()) {
      try {
        st.execute("savepoint probe");
        st.execute("load 'auto_explain'");
        st.execute(
            "set local auto_explain.log_min_duration = 0; set local auto_explain.log_analyze = on;"
                + " set local auto_explain.log_buffers = on;"
                + " set local auto_explain.log_nested_statements = on;"
                + " set local client_min_messages = log");
      } catch (SQLException e) {
        st.execute("rollback to savepoint probe");
        out.add("(auto_explain not available: " + e.getMessage() + ")");
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "explain (analyze, buffers) select * from claims_fair_pick(?, ?, null)")) {
        ps.setString(1, pool);
        ps.setLong(2, accountId);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
        for (java.sql.SQLWarning w = ps.getWarnings(); w != null; w = w.getNextWarning()) {
          out.add(w.getMessage());
        }
      }
    } finally {
      c.rollback();
      c.setAutoCommit(auto);
    }
    return out;
  }
}
