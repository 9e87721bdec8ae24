package dev.runway.redelivery;

import dev.runway.platform.github.DeliverySummary;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import javax.sql.DataSource;

/** SQL for the {@code redeliveries} table: what the reconciler asked GitHub to redeliver. */
public final class RedeliveryRepository {

  /** The longest error text kept per row; GitHub's messages are short, this bounds odd ones. */
  private static final int MAX_DETAIL = 500;

  /** Answered 202: GitHub is delivering the event again. */
  public static final String REDELIVERED = "redelivered";

  /** GitHub refused the request or did not answer it. */
  public static final String FAILED = "failed";

  /**
   * One event's redelivery record.
   *
   * @param deliveryId the attempt last asked to be redelivered
   * @param attempts redelivery requests GitHub answered, accepted or not
   */
  public record Row(
      String guid,
      long deliveryId,
      int attempts,
      String lastResult,
      Instant lastAttemptAt,
      boolean givenUp) {}

  /** A record as an operator reads it: what was redelivered, and what was given up. */
  public record Listed(
      String guid,
      long deliveryId,
      String event,
      String action,
      int attempts,
      String lastResult,
      String lastDetail,
      Instant lastAttemptAt,
      boolean givenUp,
      Instant givenUpAt) {}

  /** The newest records first, given-up ones before the rest. */
  public java.util.List<Listed> list(Connection c, int limit) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select guid, delivery_id, event, action, attempts, last_result, last_detail,"
                + " last_attempt_at, given_up, given_up_at from redeliveries"
                + " order by given_up desc, last_attempt_at desc limit ?")) {
      ps.setInt(1, limit);
      java.util.List<Listed> out = new java.util.ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Timestamp givenUpAt = rs.getTimestamp("given_up_at");
          out.add(
              new Listed(
                  rs.getString("guid"),
                  rs.getLong("delivery_id"),
                  rs.getString("event"),
                  rs.getString("action"),
                  rs.getInt("attempts"),
                  rs.getString("last_result"),
                  rs.getString("last_detail"),
                  rs.getTimestamp("last_attempt_at").toInstant(),
                  rs.getBoolean("given_up"),
                  givenUpAt == null ? null : givenUpAt.toInstant()));
        }
      }
      return out;
    }
  }

  /** GUIDs given up since {@code since}: each needs a person. */
  public long givenUpSince(Connection c, Instant since) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select count(*) from redeliveries where given_up and given_up_at >= ?")) {
      ps.setTimestamp(1, Timestamp.from(since));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** The records of those GUIDs that have one. */
  public Map<String, Row> find(DataSource ds, Collection<String> guids) throws SQLException {
    Map<String, Row> rows = new HashMap<>();
    if (guids.isEmpty()) {
      return rows;
    }
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "select guid, delivery_id, attempts, last_result, last_attempt_at, given_up"
                    + " from redeliveries where guid = any(?)")) {
      ps.setArray(1, c.createArrayOf("text", guids.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.put(
              rs.getString("guid"),
              new Row(
                  rs.getString("guid"),
                  rs.getLong("delivery_id"),
                  rs.getInt("attempts"),
                  rs.getString("last_result"),
                  rs.getTimestamp("last_attempt_at").toInstant(),
                  rs.getBoolean("given_up")));
        }
      }
    }
    return rows;
  }

  /**
   * Records one redelivery request that GitHub answered.
   *
   * @param result {@link #REDELIVERED} or {@link #FAILED}
   * @return the GUID's attempt count, this one included
   */
  public int recordAttempt(
      DataSource ds, DeliverySummary attempt, String result, String detail, Instant at)
      throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "insert into redeliveries (guid, delivery_id, event, action, attempts, last_result,"
                    + " last_detail, first_attempt_at, last_attempt_at)"
                    + " values (?, ?, ?, ?, 1, ?, ?, ?, ?)"
                    + " on conflict (guid) do update set delivery_id = excluded.delivery_id,"
                    + " attempts = redeliveries.attempts + 1, last_result = excluded.last_result,"
                    + " last_detail = excluded.last_detail,"
                    + " last_attempt_at = excluded.last_attempt_at"
                    + " returning attempts")) {
      Timestamp now = Timestamp.from(at);
      ps.setString(1, attempt.guid());
      ps.setLong(2, attempt.id());
      ps.setString(3, attempt.event());
      ps.setString(4, attempt.action());
      ps.setString(5, result);
      ps.setString(6, truncate(detail));
      ps.setTimestamp(7, now);
      ps.setTimestamp(8, now);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /**
   * Marks the GUID given up. A GUID given up through redeliveries that someone else made (the CLI,
   * GitHub's UI) has no row yet, so one is created with the newest failed attempt.
   *
   * @return true only for the call that gave it up, so it is reported once
   */
  public boolean giveUp(DataSource ds, DeliverySummary newestFailed, int attempts, Instant at)
      throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "insert into redeliveries (guid, delivery_id, event, action, attempts, last_result,"
                    + " first_attempt_at, last_attempt_at, given_up, given_up_at)"
                    + " values (?, ?, ?, ?, ?, 'failed', ?, ?, true, ?)"
                    + " on conflict (guid) do update set given_up = true,"
                    + " given_up_at = excluded.given_up_at,"
                    + " attempts = greatest(redeliveries.attempts, excluded.attempts)"
                    + " where not redeliveries.given_up")) {
      Timestamp now = Timestamp.from(at);
      ps.setString(1, newestFailed.guid());
      ps.setLong(2, newestFailed.id());
      ps.setString(3, newestFailed.event());
      ps.setString(4, newestFailed.action());
      ps.setInt(5, attempts);
      ps.setTimestamp(6, now);
      ps.setTimestamp(7, now);
      ps.setTimestamp(8, now);
      return ps.executeUpdate() == 1;
    }
  }

  private static String truncate(String detail) {
    return detail == null || detail.length() <= MAX_DETAIL
        ? detail
        : detail.substring(0, MAX_DETAIL) + "...";
  }

  /**
   * Deletes at most {@code limit} records last touched before {@code before}; returns how many.
   * GitHub refuses to redeliver anything older than a few days, so old records are history only.
   */
  public int deleteBefore(Connection c, Instant before, int limit) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "delete from redeliveries where guid in (select guid from redeliveries"
                + " where last_attempt_at < ? limit ?)")) {
      ps.setTimestamp(1, Timestamp.from(before));
      ps.setInt(2, limit);
      return ps.executeUpdate();
    }
  }
}
