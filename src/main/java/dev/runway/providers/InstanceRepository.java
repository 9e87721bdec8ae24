package dev.runway.providers;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code provider_instances} and {@code provider_controller} tables: one row per claim of a
 * provider pool whose instance may exist. Plain SQL, each statement beside its bindings.
 */
final class InstanceRepository {

  /** The phases of a row, as {@code provider_instances.phase} spells them. */
  static final String CREATING = "creating";

  static final String CREATED = "created";
  static final String DELETING = "deleting";

  /** A row, without its token hash and JIT config. */
  record Row(
      long claimId,
      String pool,
      String name,
      String providerId,
      String phase,
      String bootStatus,
      Instant createdAt,
      Instant bootDeadline) {

    /** The id to delete the instance by: its provider id once known, else its name. */
    String instanceId() {
      return providerId == null || providerId.isEmpty() ? name : providerId;
    }
  }

  /** What the instance endpoints need to authenticate a call and answer it. */
  record Access(
      long claimId,
      String pool,
      String name,
      String phase,
      byte[] tokenHash,
      Instant tokenExpiresAt,
      String jitConfig) {
    @Override
    public String toString() {
      return "Access[claim=" + claimId + ", name=" + name + ", phase=" + phase + "]";
    }
  }

  /** This installation's GARM_CONTROLLER_ID, made by the migration. */
  String controllerId(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("select id::text from provider_controller");
        ResultSet rs = ps.executeQuery()) {
      if (!rs.next()) {
        throw new SQLException("provider_controller has no row; was V33 applied?");
      }
      return rs.getString(1);
    }
  }

  /** Writes the row of a claim before its CreateInstance runs; false when it already has one. */
  boolean insert(
      Connection c,
      long claimId,
      String pool,
      String name,
      byte[] tokenHash,
      String jitConfig,
      Instant now,
      Instant bootDeadline)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "insert into provider_instances (claim_id, pool, name, phase, token_hash,"
                + " token_expires_at, jit_config, created_at, boot_deadline, updated_at)"
                + " values (?, ?, ?, 'creating', ?, ?, ?, ?, ?, ?) on conflict do nothing")) {
      ps.setLong(1, claimId);
      ps.setString(2, pool);
      ps.setString(3, name);
      ps.setBytes(4, tokenHash);
      ps.setTimestamp(5, Timestamp.from(bootDeadline));
      ps.setString(6, jitConfig);
      ps.setTimestamp(7, Timestamp.from(now));
      ps.setTimestamp(8, Timestamp.from(bootDeadline));
      ps.setTimestamp(9, Timestamp.from(now));
      return ps.executeUpdate() == 1;
    }
  }

  /** CreateInstance answered: the instance exists under {@code providerId}. */
  void created(Connection c, long claimId, String providerId, Instant now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update provider_instances set phase = 'created', provider_id = ?, updated_at = ?"
                + " where claim_id = ? and phase = 'creating'")) {
      ps.setString(1, providerId);
      ps.setTimestamp(2, Timestamp.from(now));
      ps.setLong(3, claimId);
      ps.executeUpdate();
    }
  }

  /**
   * The instance is to be deleted: from now on its token opens nothing and its JIT config is gone.
   */
  void deleting(Connection c, long claimId, Instant now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update provider_instances set phase = 'deleting', jit_config = null,"
                + " token_expires_at = ?, updated_at = ? where claim_id = ?")) {
      ps.setTimestamp(1, Timestamp.from(now));
      ps.setTimestamp(2, Timestamp.from(now));
      ps.setLong(3, claimId);
      ps.executeUpdate();
    }
  }

  /** DeleteInstance succeeded (or found nothing): the row goes. */
  void remove(Connection c, long claimId) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("delete from provider_instances where claim_id = ?")) {
      ps.setLong(1, claimId);
      ps.executeUpdate();
    }
  }

  List<Row> list(Connection c) throws SQLException {
    List<Row> out = new ArrayList<>();
    try (PreparedStatement ps =
            c.prepareStatement(
                "select claim_id, pool, name, provider_id, phase, boot_status, created_at,"
                    + " boot_deadline from provider_instances order by claim_id");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(
            new Row(
                rs.getLong(1),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                rs.getString(6),
                rs.getTimestamp(7).toInstant(),
                rs.getTimestamp(8).toInstant()));
      }
    }
    return out;
  }

  /** The row of the instance named {@code name}, for authenticating its call. */
  Optional<Access> access(Connection c, String name) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select claim_id, pool, name, phase, token_hash, token_expires_at, jit_config"
                + " from provider_instances where name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(
            new Access(
                rs.getLong(1),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getBytes(5),
                rs.getTimestamp(6).toInstant(),
                rs.getString(7)));
      }
    }
  }

  /**
   * What the bootstrap script reported. {@code idle} means the runner is installed and started: its
   * JIT config is no longer needed here and is removed.
   */
  void bootStatus(Connection c, long claimId, String status, String message, Instant now)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update provider_instances set boot_status = ?, boot_message = ?, updated_at = ?,"
                + " jit_config = case when ? = 'idle' then null else jit_config end"
                + " where claim_id = ? and phase <> 'deleting'")) {
      ps.setString(1, status);
      ps.setString(2, message);
      ps.setTimestamp(3, Timestamp.from(now));
      ps.setString(4, status);
      ps.setLong(5, claimId);
      ps.executeUpdate();
    }
  }
}
