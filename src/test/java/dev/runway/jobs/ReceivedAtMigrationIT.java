package dev.runway.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runway.testing.TestDatabases;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/**
 * V5 moves each existing job's {@code received_at} back to the receipt time of its first delivery
 * in the inbox, per run attempt, and leaves rows without deliveries (or with payloads PostgreSQL
 * cannot read) alone.
 */
class ReceivedAtMigrationIT {
  private static final Instant DISPATCHED = Instant.parse("2026-11-01T10:00:05Z");

  @Test
  void existing_jobs_take_the_receipt_time_of_their_first_delivery() throws Exception {
    String url = TestDatabases.fresh();
    TestDatabases.migrations(url, "4").migrate();
    try (Connection c = DriverManager.getConnection(url)) {
      // Job 1, attempt 1: queued received at :01, in_progress at :03; dispatched at :05.
      delivery(c, "g1", 1, 1, "2026-11-01T10:00:01Z");
      delivery(c, "g2", 1, 1, "2026-11-01T10:00:03Z");
      // Job 1, attempt 2 (a re-run, same job id): received at :04.
      delivery(c, "g3", 1, 2, "2026-11-01T10:00:04Z");
      // Job 2's only delivery is JSON that jsonb refuses; job 3 has none left in the inbox.
      insertInbox(
          c, "g4", 2, "{\"workflow_job\":{\"id\":2,\"name\":\"\\u0000\"}}", "2026-11-01T10:00:02Z");
      insertJob(c, 1, 1);
      insertJob(c, 1, 2);
      insertJob(c, 2, 1);
      insertJob(c, 3, 1);
    }

    TestDatabases.migrations(url, "latest").migrate();

    try (Connection c = DriverManager.getConnection(url)) {
      assertThat(receivedAt(c, 1, 1)).isEqualTo(Instant.parse("2026-11-01T10:00:01Z"));
      assertThat(receivedAt(c, 1, 2)).isEqualTo(Instant.parse("2026-11-01T10:00:04Z"));
      assertThat(receivedAt(c, 2, 1)).isEqualTo(DISPATCHED);
      assertThat(receivedAt(c, 3, 1)).isEqualTo(DISPATCHED);
    }
  }

  private static void delivery(Connection c, String guid, long job, int attempt, String at)
      throws Exception {
    String body =
        "{\"action\":\"queued\",\"workflow_job\":{\"id\":%d,\"run_attempt\":%d}}"
            .formatted(job, attempt);
    insertInbox(c, guid, job, body, at);
  }

  private static void insertInbox(Connection c, String guid, long job, String body, String at)
      throws Exception {
    try (PreparedStatement ps =
        c.prepareStatement(
            "insert into inbox (guid, event, workflow_job_id, received_at, payload)"
                + " values (?, 'workflow_job', ?, ?, ?)")) {
      ps.setString(1, guid);
      ps.setLong(2, job);
      ps.setObject(3, OffsetDateTime.parse(at));
      ps.setBytes(4, body.getBytes(StandardCharsets.UTF_8));
      ps.executeUpdate();
    }
  }

  private static void insertJob(Connection c, long job, int attempt) throws Exception {
    try (PreparedStatement ps =
        c.prepareStatement(
            "insert into jobs (job_id, run_attempt, status, received_at, dispatched_at)"
                + " values (?, ?, 'queued', ?, ?)")) {
      ps.setLong(1, job);
      ps.setInt(2, attempt);
      ps.setObject(3, OffsetDateTime.ofInstant(DISPATCHED, ZoneOffset.UTC));
      ps.setObject(4, OffsetDateTime.ofInstant(DISPATCHED, ZoneOffset.UTC));
      ps.executeUpdate();
    }
  }

  private static Instant receivedAt(Connection c, long job, int attempt) throws Exception {
    try (PreparedStatement ps =
        c.prepareStatement("select received_at from jobs where job_id = ? and run_attempt = ?")) {
      ps.setLong(1, job);
      ps.setInt(2, attempt);
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        return rs.getObject(1, OffsetDateTime.class).toInstant();
      }
    }
  }
}
