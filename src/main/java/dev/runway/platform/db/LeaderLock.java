package dev.runway.platform.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leadership of provisioning: a session-level PostgreSQL advisory lock held on one connection. When
 * the leader's process or connection dies, PostgreSQL releases the lock and the next replica that
 * asks gets it, so there is a hand-over without any lease to tune. Confined to the thread that
 * calls it. Each loop that must run on one replica at a time has its own key: the Kubernetes
 * provisioner {@link #PROVISIONER}, the provider launcher {@link #PROVIDERS}.
 */
public final class LeaderLock implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaderLock.class);
  private static final int SPACE = 0x72770003;

  /** The Kubernetes provisioner's key. */
  public static final int PROVISIONER = 1;

  /** The provider launcher's key. */
  public static final int PROVIDERS = 2;

  private final DataSource ds;
  private final int key;
  private final String what;
  private Connection held;

  public LeaderLock(DataSource ds) {
    this(ds, PROVISIONER, "provisioning");
  }

  /**
   * @param what what the lock leads, for the log: "provisioning", "provider pools"
   */
  public LeaderLock(DataSource ds, int key, String what) {
    this.ds = ds;
    this.key = key;
    this.what = what;
  }

  /** Whether this replica leads now: keeps the lock if it still holds, or tries to take it. */
  public boolean lead() {
    if (held != null) {
      try {
        if (held.isValid(2)) {
          return true;
        }
      } catch (SQLException e) {
        // Treated as lost below.
      }
      log.warn("lost the {} leader lock (its connection broke)", what);
      drop();
    }
    try {
      Connection c = ds.getConnection();
      try (PreparedStatement ps = c.prepareStatement("select pg_try_advisory_lock(?, ?)")) {
        ps.setInt(1, SPACE);
        ps.setInt(2, key);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next() && rs.getBoolean(1)) {
            held = c;
            log.info("this replica leads {}", what);
            return true;
          }
        }
      }
      c.close();
    } catch (SQLException e) {
      log.debug("{} leader lock not taken: {}", what, e.getMessage());
    }
    return false;
  }

  /** Unlocks before the connection goes back to the pool, where the lock would outlive us. */
  private void drop() {
    Connection c = held;
    held = null;
    if (c == null) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("select pg_advisory_unlock(?, ?)")) {
      ps.setInt(1, SPACE);
      ps.setInt(2, key);
      ps.execute();
    } catch (SQLException e) {
      // A broken connection holds nothing any more.
    }
    try {
      c.close();
    } catch (SQLException e) {
      // Already closed.
    }
  }

  @Override
  public void close() {
    drop();
  }
}
