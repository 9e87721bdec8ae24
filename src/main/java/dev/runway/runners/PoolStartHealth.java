package dev.runway.runners;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which pools are {@code Degraded} because their runners fail to start, as their starters report
 * it: {@link #MAX_START_FAILURES} runner starts in a row that ended before a job (the agent's
 * {@code exited} with no job, exit code and stderr line kept), with no runner of the pool up since.
 * The provisioner keeps such a count for the pools it launches; this one covers every pool whose
 * runners report through the claim events, file pools and agents included.
 *
 * <p>Read from the database, not counted in memory: an agent's events reach whichever replica its
 * load balancer picks, and every replica must give the same answer, also after a restart.
 */
public final class PoolStartHealth {
  private static final Logger log = LoggerFactory.getLogger(PoolStartHealth.class);

  /** The provisioner's default {@code maxLaunchFailures}, so both kinds of pool agree. */
  public static final int MAX_START_FAILURES = 5;

  /** Failures older than this no longer count: an agent that stopped failing a day ago is fine. */
  static final Duration WINDOW = Duration.ofDays(1);

  private final DataSource ds;
  private final Clock clock;
  private final ClaimStateRepository repo = new ClaimStateRepository();

  public PoolStartHealth(DataSource ds, Clock clock) {
    this.ds = ds;
    this.clock = clock;
  }

  /**
   * Degraded pools by name, each with why ({@code runner fails to start: ...}, the last exit code
   * and stderr line); empty when the database cannot be read, which the page shows on its own.
   */
  public Map<String, String> degraded() {
    Map<String, String> out = new TreeMap<>();
    try (Connection c = ds.getConnection()) {
      for (var f : repo.startFailures(c, clock.instant().minus(WINDOW), MAX_START_FAILURES)) {
        out.put(f.pool(), why(f));
      }
    } catch (SQLException e) {
      log.debug("pool start health unreadable: {}", e.getMessage());
    }
    return out;
  }

  static String why(ClaimStateRepository.StartFailures f) {
    return "runner fails to start: "
        + f.inARow()
        + " starts in a row ended before a job, the last with exit code "
        + (f.exitCode() == null ? "none (it did not start)" : f.exitCode())
        + (f.stderrLine() == null ? "" : ": " + f.stderrLine());
  }
}
