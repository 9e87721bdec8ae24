package dev.runway.repos;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The {@code repository_settings} table, its one writer: a repository's own cap and weight for the
 * fair-share claim (the claims feature's {@code claims_fair_pick}, V34, reads them in the claim's
 * own SQL).
 */
public final class RepositorySettings {
  /** A repository's settings; {@code maxConcurrent} null means no cap of its own. */
  public record Setting(String repository, Integer maxConcurrent, double weight) {
    public Setting {
      repository = checkName(repository);
      if (maxConcurrent != null && maxConcurrent < 0) {
        throw new IllegalArgumentException("max-concurrent must be 0 or more");
      }
      if (!(weight > 0) || Double.isInfinite(weight)) {
        throw new IllegalArgumentException("weight must be a number above 0");
      }
    }
  }

  /**
   * {@code OWNER/REPO}, trimmed: exactly one slash between two non-empty parts.
   *
   * @throws IllegalArgumentException with a message for the operator otherwise
   */
  public static String checkName(String repository) {
    String r = repository == null ? "" : repository.trim();
    int slash = r.indexOf('/');
    if (slash <= 0
        || slash == r.length() - 1
        || r.indexOf('/', slash + 1) >= 0
        || r.contains(" ")) {
      throw new IllegalArgumentException(
          "repository must be OWNER/REPO, e.g. acme/api (got '" + repository + "')");
    }
    return r;
  }

  static String key(String repository) {
    return repository.toLowerCase(Locale.ROOT);
  }

  /** Creates or replaces the repository's settings: what {@code set} does not name is cleared. */
  public Setting set(Connection c, Setting s, Instant now) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "insert into repository_settings (repository_key, repository, max_concurrent, weight,"
                + " updated_at) values (?, ?, ?, ?, ?) on conflict (repository_key) do update set"
                + " repository = excluded.repository, max_concurrent = excluded.max_concurrent,"
                + " weight = excluded.weight, updated_at = excluded.updated_at")) {
      ps.setString(1, key(s.repository()));
      ps.setString(2, s.repository());
      ps.setObject(3, s.maxConcurrent(), java.sql.Types.INTEGER);
      ps.setDouble(4, s.weight());
      ps.setTimestamp(5, Timestamp.from(now));
      if (ps.executeUpdate() != 1) {
        throw new IllegalStateException("repository settings of " + s.repository() + " not saved");
      }
    }
    return s;
  }

  /**
   * Removes the repository's settings: no cap of its own, weight 1.
   *
   * @return whether it had any
   */
  public boolean unset(Connection c, String repository) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("delete from repository_settings where repository_key = ?")) {
      ps.setString(1, key(checkName(repository)));
      return ps.executeUpdate() == 1;
    }
  }

  public Optional<Setting> find(Connection c, String repository) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select repository, max_concurrent, weight from repository_settings"
                + " where repository_key = ?")) {
      ps.setString(1, key(checkName(repository)));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next()
            ? Optional.of(new Setting(rs.getString(1), (Integer) rs.getObject(2), rs.getDouble(3)))
            : Optional.empty();
      }
    }
  }

  public List<Setting> list(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select repository, max_concurrent, weight from repository_settings"
                + " order by repository_key")) {
      List<Setting> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Setting(rs.getString(1), (Integer) rs.getObject(2), rs.getDouble(3)));
        }
      }
      return out;
    }
  }
}
