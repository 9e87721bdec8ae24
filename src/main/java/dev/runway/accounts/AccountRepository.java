package dev.runway.accounts;

import dev.runway.platform.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** SQL for the {@code accounts} table. Logins compare case-insensitively, as GitHub's do. */
public final class AccountRepository {
  private static final String COLUMNS =
      "id, login, installation_id, installation_suspended, runners_enabled, max_concurrent";

  public Optional<Account> byInstallation(Connection c, long installationId) throws SQLException {
    return one(c, "select " + COLUMNS + " from accounts where installation_id = ?", installationId);
  }

  public Optional<Account> byLogin(Connection c, String login) throws SQLException {
    return one(c, "select " + COLUMNS + " from accounts where lower(login) = lower(?)", login);
  }

  public List<Account> list(Connection c) throws SQLException {
    List<Account> out = new ArrayList<>();
    try (PreparedStatement ps =
            c.prepareStatement("select " + COLUMNS + " from accounts order by lower(login)");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(map(rs));
      }
    }
    return out;
  }

  /**
   * Creates the account or changes the given fields of an existing one; a null argument leaves that
   * field as it is (new accounts start disabled, with a cap of 0).
   */
  public Account set(
      Connection c, String login, Long installationId, Integer maxConcurrent, Boolean enabled)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "insert into accounts (login, installation_id, max_concurrent, runners_enabled)"
                + " values (?, ?, coalesce(?, 0), coalesce(?, false))"
                + " on conflict (lower(login)) do update set"
                + " installation_id = coalesce(?, accounts.installation_id),"
                + " max_concurrent = coalesce(?, accounts.max_concurrent),"
                + " runners_enabled = coalesce(?, accounts.runners_enabled),"
                + " updated_at = now()"
                + " returning "
                + COLUMNS)) {
      ps.setString(1, login);
      Sql.setLong(ps, 2, installationId);
      Sql.setInt(ps, 3, maxConcurrent);
      Sql.setBool(ps, 4, enabled);
      Sql.setLong(ps, 5, installationId);
      Sql.setInt(ps, 6, maxConcurrent);
      Sql.setBool(ps, 7, enabled);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return map(rs);
      }
    }
  }

  /**
   * Links {@code installationId} to {@code login}, creating a disabled account for a new
   * installation so that an operator sees it in {@code runway accounts list} and can enable it. Any
   * other account holding that installation id loses it first.
   */
  public void linkInstallation(Connection c, String login, long installationId)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update accounts set installation_id = null, updated_at = now()"
                + " where installation_id = ? and lower(login) <> lower(?)")) {
      ps.setLong(1, installationId);
      ps.setString(2, login);
      ps.executeUpdate();
    }
    set(c, login, installationId, null, null);
  }

  /** The installation was deleted: forget the link, keep the account and its settings. */
  public void unlinkInstallation(Connection c, long installationId) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update accounts set installation_id = null, installation_suspended = false,"
                + " updated_at = now() where installation_id = ?")) {
      ps.setLong(1, installationId);
      ps.executeUpdate();
    }
  }

  public void setSuspended(Connection c, long installationId, boolean suspended)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update accounts set installation_suspended = ?, updated_at = now()"
                + " where installation_id = ?")) {
      ps.setBoolean(1, suspended);
      ps.setLong(2, installationId);
      ps.executeUpdate();
    }
  }

  private static Optional<Account> one(Connection c, String sql, Object key) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setObject(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(map(rs)) : Optional.empty();
      }
    }
  }

  private static Account map(ResultSet rs) throws SQLException {
    return new Account(
        rs.getLong("id"),
        rs.getString("login"),
        (Long) rs.getObject("installation_id"),
        rs.getBoolean("installation_suspended"),
        rs.getBoolean("runners_enabled"),
        rs.getInt("max_concurrent"));
  }
}
