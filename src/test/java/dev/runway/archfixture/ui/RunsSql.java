package dev.runway.archfixture.ui;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/** A page with SQL of its own on a feature's table, instead of that feature's read API. */
public final class RunsSql {
  public long queued(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("select count(*) from jobs")) {
      return ps.executeQuery().getLong(1);
    }
  }
}
