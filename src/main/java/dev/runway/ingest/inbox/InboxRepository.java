package dev.runway.ingest.inbox;

import dev.runway.platform.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/** SQL for the {@code inbox} table: the one writer of its rows. */
public final class InboxRepository {
  /** Events whose deliveries are stored and handed to the dispatch worker. */
  public static final Set<String> DISPATCHED_EVENTS =
      Set.of("workflow_job", "installation", "installation_repositories");

  private static final int COLUMNS = 10;

  /**
   * Inserts {@code deliveries} in one statement, skipping GUIDs already stored. Runs on the
   * caller's connection and transaction, so the caller can enqueue the new rows' dispatch tasks in
   * the same commit (see {@link #toDispatch}).
   *
   * @return the GUIDs that were newly inserted
   */
  public Set<String> insert(Connection c, List<Delivery> deliveries, boolean viaSpool)
      throws SQLException {
    if (deliveries.isEmpty()) {
      return Set.of();
    }
    // Rows are inserted in GUID order so that two batches holding the same GUIDs (a delivery and
    // its redelivery, arriving at two writers or two replicas) take their index locks in the same
    // order: one waits for the other instead of deadlocking.
    deliveries =
        deliveries.stream().sorted(java.util.Comparator.comparing(Delivery::guid)).toList();
    StringBuilder sql =
        new StringBuilder(
            "insert into inbox (guid, event, action, hook_id, installation_id, workflow_job_id,"
                + " received_at, via_spool, payload, outcome) values ");
    for (int i = 0; i < deliveries.size(); i++) {
      sql.append(i == 0 ? "" : ",").append("(?,?,?,?,?,?,?,?,?,?)");
    }
    sql.append(" on conflict (guid) do nothing returning guid");
    Set<String> inserted = new HashSet<>();
    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
      int p = 0;
      for (Delivery d : deliveries) {
        ps.setString(++p, d.guid());
        ps.setString(++p, d.event());
        ps.setString(++p, d.action());
        Sql.setLong(ps, ++p, d.hookId());
        Sql.setLong(ps, ++p, d.installationId());
        Sql.setLong(ps, ++p, d.workflowJobId());
        ps.setTimestamp(++p, Timestamp.from(d.receivedAt()));
        ps.setBoolean(++p, viaSpool);
        ps.setBytes(++p, d.body());
        // Events nobody dispatches (ping) are settled on arrival.
        ps.setString(++p, DISPATCHED_EVENTS.contains(d.event()) ? null : "ignored");
      }
      assert p == deliveries.size() * COLUMNS;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          inserted.add(rs.getString(1));
        }
      }
    }
    return inserted;
  }

  /** The GUIDs among {@code inserted} whose event is dispatched, in GUID order. */
  public static List<String> toDispatch(List<Delivery> deliveries, Set<String> inserted) {
    return deliveries.stream()
        .filter(d -> inserted.contains(d.guid()) && DISPATCHED_EVENTS.contains(d.event()))
        .map(Delivery::guid)
        .sorted()
        .toList();
  }

  /** One inbox row without its payload, as the deliveries API and the web UI show it. */
  public record InboxEntry(
      String guid,
      String event,
      String action,
      Long hookId,
      Long installationId,
      Long workflowJobId,
      Instant receivedAt,
      Instant storedAt,
      boolean viaSpool,
      Instant workerSeenAt,
      int dispatchAttempts,
      String outcome,
      String outcomeDetail,
      Instant settledAt) {}

  private static final String ENTRY_COLUMNS =
      "guid, event, action, hook_id, installation_id, workflow_job_id, received_at, stored_at,"
          + " via_spool, worker_seen_at, dispatch_attempts, outcome, outcome_detail, settled_at";

  /** Newest first, optionally since an instant and for one event. */
  public List<InboxEntry> list(DataSource ds, Instant since, String event, int limit)
      throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "select "
                    + ENTRY_COLUMNS
                    + " from inbox where received_at >= ? and (?::text is null or event = ?)"
                    + " order by received_at desc, guid limit ?")) {
      ps.setTimestamp(1, Timestamp.from(since));
      ps.setString(2, event);
      ps.setString(3, event);
      ps.setInt(4, limit);
      List<InboxEntry> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(entry(rs));
        }
      }
      return out;
    }
  }

  /** Every delivery about workflow job {@code jobId} (all its attempts), oldest first. */
  public List<InboxEntry> forWorkflowJob(Connection c, long jobId, int limit) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select "
                + ENTRY_COLUMNS
                + " from inbox where workflow_job_id = ? order by received_at, guid limit ?")) {
      ps.setLong(1, jobId);
      ps.setInt(2, limit);
      List<InboxEntry> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(entry(rs));
        }
      }
      return out;
    }
  }

  /** One delivery with its payload. */
  public Optional<InboxEntryWithPayload> find(DataSource ds, String guid) throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement("select " + ENTRY_COLUMNS + ", payload from inbox where guid = ?")) {
      ps.setString(1, guid);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next()
            ? Optional.of(new InboxEntryWithPayload(entry(rs), rs.getBytes("payload")))
            : Optional.empty();
      }
    }
  }

  /** A delivery and its raw body. */
  record InboxEntryWithPayload(InboxEntry entry, byte[] payload) {}

  /** The stored delivery the dispatch worker is about to handle. */
  public Optional<Delivery> load(Connection c, String guid) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "select event, action, hook_id, installation_id, workflow_job_id, received_at, payload"
                + " from inbox where guid = ?")) {
      ps.setString(1, guid);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(
            new Delivery(
                guid,
                rs.getString("event"),
                rs.getString("action"),
                (Long) rs.getObject("hook_id"),
                (Long) rs.getObject("installation_id"),
                (Long) rs.getObject("workflow_job_id"),
                rs.getTimestamp("received_at").toInstant(),
                rs.getBytes("payload")));
      }
    }
  }

  /** The stored deliveries among {@code guids}, in no particular order; missing ones are absent. */
  public List<Delivery> loadAll(Connection c, Collection<String> guids) throws SQLException {
    List<Delivery> out = new ArrayList<>(guids.size());
    try (PreparedStatement ps =
        c.prepareStatement(
            "select guid, event, action, hook_id, installation_id, workflow_job_id, received_at,"
                + " payload from inbox where guid = any(?)")) {
      ps.setArray(1, c.createArrayOf("text", guids.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new Delivery(
                  rs.getString("guid"),
                  rs.getString("event"),
                  rs.getString("action"),
                  (Long) rs.getObject("hook_id"),
                  (Long) rs.getObject("installation_id"),
                  (Long) rs.getObject("workflow_job_id"),
                  rs.getTimestamp("received_at").toInstant(),
                  rs.getBytes("payload")));
        }
      }
    }
    return out;
  }

  /** One delivery's outcome, for {@link #settleAll}. */
  public record Settlement(String guid, String outcome, String detail) {}

  /**
   * Writes the outcomes of many deliveries in one statement, each once.
   *
   * @return the GUIDs that settled now; one that had settled already (its task ran twice) is absent
   *     and must not be counted
   */
  public Set<String> settleAll(Connection c, List<Settlement> settlements) throws SQLException {
    Set<String> settled = new HashSet<>();
    if (settlements.isEmpty()) {
      return settled;
    }
    int n = settlements.size();
    String[] guids = new String[n];
    String[] outcomes = new String[n];
    String[] details = new String[n];
    for (int i = 0; i < n; i++) {
      guids[i] = settlements.get(i).guid();
      outcomes[i] = settlements.get(i).outcome();
      details[i] = settlements.get(i).detail();
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "update inbox i set outcome = u.outcome, outcome_detail = u.detail,"
                + " settled_at = now(), worker_seen_at = coalesce(i.worker_seen_at, now()),"
                + " dispatch_attempts = i.dispatch_attempts + 1"
                + " from unnest(?::text[], ?::text[], ?::text[]) as u(guid, outcome, detail)"
                + " where i.guid = u.guid and i.settled_at is null returning i.guid")) {
      ps.setArray(1, c.createArrayOf("text", guids));
      ps.setArray(2, c.createArrayOf("text", outcomes));
      ps.setArray(3, c.createArrayOf("text", details));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          settled.add(rs.getString(1));
        }
      }
    }
    return settled;
  }

  /** Counts a failed dispatch attempt of each of {@code guids}, on the caller's connection. */
  public void recordFailedAttempts(Connection c, Collection<String> guids) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update inbox set worker_seen_at = coalesce(worker_seen_at, now()),"
                + " dispatch_attempts = dispatch_attempts + 1"
                + " where guid = any(?) and settled_at is null")) {
      ps.setArray(1, c.createArrayOf("text", guids.toArray()));
      ps.executeUpdate();
    }
  }

  /** Counts a dispatch attempt that failed and will be retried; best effort. */
  public void recordFailedAttempt(DataSource ds, String guid) {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "update inbox set worker_seen_at = coalesce(worker_seen_at, now()),"
                    + " dispatch_attempts = dispatch_attempts + 1 where guid = ?")) {
      ps.setString(1, guid);
      ps.executeUpdate();
    } catch (SQLException e) {
      // The database is what failed; the attempt count is only a diagnostic.
    }
  }

  /**
   * Writes the delivery's outcome, once.
   *
   * @return false when the row had settled already (the task ran twice), so nothing is counted
   */
  public boolean settle(Connection c, String guid, String outcome, String detail)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update inbox set outcome = ?, outcome_detail = ?, settled_at = now(),"
                + " worker_seen_at = coalesce(worker_seen_at, now()),"
                + " dispatch_attempts = dispatch_attempts + 1"
                + " where guid = ? and settled_at is null")) {
      ps.setString(1, outcome);
      ps.setString(2, detail);
      ps.setString(3, guid);
      return ps.executeUpdate() == 1;
    }
  }

  /** Those of {@code guids} that the inbox holds. */
  public Set<String> present(DataSource ds, Collection<String> guids) throws SQLException {
    Set<String> found = new HashSet<>();
    if (guids.isEmpty()) {
      return found;
    }
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("select guid from inbox where guid = any(?)")) {
      ps.setArray(1, c.createArrayOf("text", guids.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          found.add(rs.getString(1));
        }
      }
    }
    return found;
  }

  private static InboxEntry entry(ResultSet rs) throws SQLException {
    return new InboxEntry(
        rs.getString("guid"),
        rs.getString("event"),
        rs.getString("action"),
        (Long) rs.getObject("hook_id"),
        (Long) rs.getObject("installation_id"),
        (Long) rs.getObject("workflow_job_id"),
        Sql.instant(rs, "received_at"),
        Sql.instant(rs, "stored_at"),
        rs.getBoolean("via_spool"),
        Sql.instant(rs, "worker_seen_at"),
        rs.getInt("dispatch_attempts"),
        rs.getString("outcome"),
        rs.getString("outcome_detail"),
        Sql.instant(rs, "settled_at"));
  }

  /**
   * Deletes at most {@code limit} settled deliveries received before {@code before}; returns how
   * many. A delivery without an outcome is still owed a dispatch and is never deleted (events that
   * are not dispatched, such as {@code ping}, get theirs on arrival).
   */
  public int deleteSettledBefore(Connection c, Instant before, int limit) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "delete from inbox where guid in (select guid from inbox"
                + " where received_at < ? and outcome is not null limit ?)")) {
      Sql.setTime(ps, 1, before);
      ps.setInt(2, limit);
      return ps.executeUpdate();
    }
  }

  /** One batch of dropped payloads: how many, and the newest receipt among them. */
  public record DroppedPayloads(int count, Instant newestReceivedAt) {}

  /**
   * Drops the payload bytes of at most {@code limit} settled deliveries received in [{@code from},
   * {@code before}); the rows stay, with their extracted columns and outcome, and {@code
   * payload_pruned_at} says when. The caller passes the previous batch's newest receipt as {@code
   * from}, so that each batch starts where the last one ended instead of stepping over the rows it
   * already emptied.
   */
  public DroppedPayloads dropPayloadsBefore(
      Connection c, Instant from, Instant before, Instant now, int limit) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "update inbox set payload = '\\x'::bytea, payload_pruned_at = ? where guid in"
                + " (select guid from inbox where received_at >= ? and received_at < ?"
                + " and outcome is not null and payload_pruned_at is null"
                + " order by received_at limit ?) returning received_at")) {
      Sql.setTime(ps, 1, now);
      Sql.setTime(ps, 2, from);
      Sql.setTime(ps, 3, before);
      ps.setInt(4, limit);
      int n = 0;
      Instant newest = from;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          n++;
          Instant at = rs.getTimestamp(1).toInstant();
          newest = at.isAfter(newest) ? at : newest;
        }
      }
      return new DroppedPayloads(n, newest);
    }
  }
}
