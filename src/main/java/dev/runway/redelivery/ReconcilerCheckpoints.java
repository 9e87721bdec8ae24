package dev.runway.redelivery;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import javax.sql.DataSource;

/** SQL for the {@code reconciler_checkpoints} table: where each reconciler got to. */
public final class ReconcilerCheckpoints {

  /** A position in GitHub's delivery list: the newest attempt a finished cycle had seen. */
  record Checkpoint(Instant deliveredAt, long deliveryId) {}

  /** The checkpoint of reconciler {@code name}, if it ever finished a cycle. */
  public Optional<Checkpoint> find(DataSource ds, String name) throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "select delivered_at, delivery_id from reconciler_checkpoints where name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next()
            ? Optional.of(
                new Checkpoint(rs.getTimestamp("delivered_at").toInstant(), rs.getLong(2)))
            : Optional.empty();
      }
    }
  }

  /**
   * Moves the checkpoint to {@code to}, never backwards: a replica finishing a slow cycle late must
   * not undo the progress of a later one.
   *
   * @return false when the stored checkpoint was already newer
   */
  public boolean advance(DataSource ds, String name, Checkpoint to) throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "insert into reconciler_checkpoints (name, delivered_at, delivery_id, updated_at)"
                    + " values (?, ?, ?, now())"
                    + " on conflict (name) do update set delivered_at = excluded.delivered_at,"
                    + " delivery_id = excluded.delivery_id, updated_at = now()"
                    + " where (reconciler_checkpoints.delivered_at,"
                    + " reconciler_checkpoints.delivery_id)"
                    + " <= (excluded.delivered_at, excluded.delivery_id)")) {
      ps.setString(1, name);
      ps.setTimestamp(2, Timestamp.from(to.deliveredAt()));
      ps.setLong(3, to.deliveryId());
      return ps.executeUpdate() == 1;
    }
  }
}
