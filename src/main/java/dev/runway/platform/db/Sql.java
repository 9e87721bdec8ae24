package dev.runway.platform.db;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;

/** Null-aware parameter binding and reading for the repositories' plain JDBC. */
public final class Sql {
  private Sql() {}

  public static void setLong(PreparedStatement ps, int i, Long v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.BIGINT);
    } else {
      ps.setLong(i, v);
    }
  }

  public static void setInt(PreparedStatement ps, int i, Integer v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.INTEGER);
    } else {
      ps.setInt(i, v);
    }
  }

  public static void setBool(PreparedStatement ps, int i, Boolean v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.BOOLEAN);
    } else {
      ps.setBoolean(i, v);
    }
  }

  public static void setTime(PreparedStatement ps, int i, Instant v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.TIMESTAMP_WITH_TIMEZONE);
    } else {
      ps.setTimestamp(i, Timestamp.from(v));
    }
  }

  /** A {@code timestamptz} column as an instant, or null. */
  public static Instant instant(ResultSet rs, String column) throws SQLException {
    Timestamp t = rs.getTimestamp(column);
    return t == null ? null : t.toInstant();
  }
}
