package dev.runway.dispatch;

import dev.runway.pools.PoolSnapshot;
import dev.runway.pools.PoolSource;
import dev.runway.pools.PoolView;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Set;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds claimable jobs whose pool vanished from a source that answered (the pools file rewritten, a
 * {@code RunnerPool} deleted or renamed) and enqueues a redispatch of each: {@link Redispatch} then
 * moves it to the pool that matches now, or gives it {@code no_matching_pool} or {@code no_pools},
 * with a note. Without this, such a job stays "claimable" for a pool no runner serves.
 *
 * <p>A source that cannot answer changes nothing (unknown is not empty), and a pool the source
 * lists but cannot read (a never-valid {@code RunnerPool}) counts as listed. Runs on the gauge
 * poller of every replica; the task's id makes a second replica's enqueue a no-op.
 */
public final class VanishedPools {
  private static final Logger log = LoggerFactory.getLogger(VanishedPools.class);

  private final DataSource ds;
  private final PoolSource pools;

  public VanishedPools(DataSource ds, PoolSource pools) {
    this.ds = ds;
    this.pools = pools;
  }

  /** One check; throws when the database does not answer (the poller tries again). */
  public void check() throws SQLException {
    if (!(pools.current() instanceof PoolView.Available available)) {
      return;
    }
    PoolSnapshot snapshot = available.snapshot();
    Set<String> listed = new HashSet<>(snapshot.unknown().keySet());
    snapshot.pools().forEach(p -> listed.add(p.name()));
    int n;
    try (Connection c = ds.getConnection()) {
      n = DispatchQueue.enqueueVanished(c, listed);
    }
    if (n > 0) {
      log.info(
          "{} claimable job(s) are queued for pools {} no longer lists; evaluating them again",
          n,
          snapshot.source());
    }
  }
}
