package dev.runway.retention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.db.Database;
import dev.runway.platform.github.MutableClock;
import dev.runway.testing.TestDatabases;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Retention against a real PostgreSQL with a clock the test sets: what is past its period goes (in
 * batches), what is not, or is still owed a dispatch, stays.
 */
class PrunerIT {
  static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");
  static final RunwayConfig.Retention RETENTION =
      new RunwayConfig.Retention(
          Duration.ofDays(7),
          Duration.ofDays(30),
          Duration.ofDays(30),
          Duration.ofDays(30),
          Duration.ofMinutes(10));

  final MutableClock clock = new MutableClock(NOW);
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  String url;
  Database db;

  @BeforeEach
  void database() {
    url = TestDatabases.fresh();
    db = Database.open(new Database.Target(url, "postgres", "postgres"), 2);
    Database.migrate(db.main());
  }

  @AfterEach
  void close() {
    db.close();
  }

  Pruner pruner(int batch) {
    return new Pruner(db.main(), RETENTION, clock, batch, () -> false, registry);
  }

  Connection connect() throws Exception {
    return DriverManager.getConnection(url, "postgres", "postgres");
  }

  void exec(String sql, Object... args) throws Exception {
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i] instanceof Instant t ? Timestamp.from(t) : args[i]);
      }
      ps.execute();
    }
  }

  long count(String sql) throws Exception {
    try (Connection c = connect();
        ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  double pruned(String table) {
    return registry.get("runway.pruned.rows").tag("table", table).counter().count();
  }

  static Instant daysAgo(int days) {
    return NOW.minus(Duration.ofDays(days));
  }

  void delivery(String guid, String event, Instant receivedAt, String outcome) throws Exception {
    exec(
        "insert into inbox (guid, event, received_at, payload, outcome) values (?, ?, ?, ?, ?)",
        guid,
        event,
        receivedAt,
        "{\"action\":\"queued\"}".getBytes(StandardCharsets.UTF_8),
        outcome);
  }

  @Test
  void payloads_past_their_period_are_emptied_and_their_rows_kept() throws Exception {
    for (int i = 0; i < 7; i++) {
      delivery("old-" + i, "workflow_job", daysAgo(8).plusSeconds(i), "queued");
    }
    delivery("ping-old", "ping", daysAgo(9), "ignored");
    delivery("recent", "workflow_job", daysAgo(6), "queued");
    delivery("owed", "workflow_job", daysAgo(8), null);

    Map<String, Long> round = pruner(3).run();

    assertThat(round.get("inbox_payloads")).isEqualTo(8);
    assertThat(pruned("inbox_payloads")).isEqualTo(8);
    assertThat(count("select count(*) from inbox")).isEqualTo(10);
    assertThat(
            count(
                "select count(*) from inbox where length(payload) = 0"
                    + " and payload_pruned_at = '2026-06-01T00:00:00Z'"))
        .isEqualTo(8);
    assertThat(count("select length(payload) from inbox where guid = 'recent'")).isPositive();
    assertThat(count("select length(payload) from inbox where guid = 'owed'")).isPositive();

    // A second round finds nothing more to do.
    assertThat(pruner(3).run().get("inbox_payloads")).isZero();
  }

  @Test
  void deliveries_jobs_claims_and_redeliveries_past_their_period_are_deleted() throws Exception {
    for (int i = 0; i < 5; i++) {
      delivery("gone-" + i, "workflow_job", daysAgo(31), "queued");
    }
    delivery("owed-old", "workflow_job", daysAgo(40), null);
    delivery("kept", "workflow_job", daysAgo(29), "completed");

    for (int i = 0; i < 4; i++) {
      exec(
          "insert into jobs (job_id, run_attempt, status, updated_at) values (?, 1, 'completed', ?)",
          100L + i,
          daysAgo(31));
    }
    exec(
        "insert into jobs (job_id, run_attempt, status, updated_at) values (200, 1, 'queued', ?)",
        daysAgo(40));
    exec(
        "insert into jobs (job_id, run_attempt, status, updated_at)"
            + " values (201, 1, 'completed', ?)",
        daysAgo(29));

    for (int i = 0; i < 4; i++) {
      exec(
          "insert into claims (job_id, run_attempt, pool, runner_name, status, leased_until,"
              + " created_at, ended_at) values (?, 1, 'p', ?, 'completed', ?, ?, ?)",
          100L + i,
          "runway-p-" + i,
          daysAgo(31),
          daysAgo(32),
          daysAgo(31));
    }
    exec(
        "insert into claims (job_id, run_attempt, pool, runner_name, status, leased_until,"
            + " created_at) values (200, 1, 'p', 'runway-p-active', 'active', ?, ?)",
        daysAgo(40),
        daysAgo(40));

    for (int i = 0; i < 3; i++) {
      exec(
          "insert into redeliveries (guid, delivery_id, event, last_result, last_attempt_at)"
              + " values (?, ?, 'workflow_job', 'failed', ?)",
          "r-" + i,
          (long) i,
          daysAgo(31));
    }
    exec(
        "insert into redeliveries (guid, delivery_id, event, last_result, last_attempt_at)"
            + " values ('r-kept', 9, 'workflow_job', 'redelivered', ?)",
        daysAgo(2));

    Map<String, Long> round = pruner(2).run();

    assertThat(round)
        .containsEntry("inbox", 5L)
        .containsEntry("jobs", 4L)
        .containsEntry("claims", 4L)
        .containsEntry("redeliveries", 3L);
    assertThat(pruned("inbox")).isEqualTo(5);
    assertThat(pruned("jobs")).isEqualTo(4);
    assertThat(pruned("claims")).isEqualTo(4);
    assertThat(pruned("redeliveries")).isEqualTo(3);
    assertThat(count("select count(*) from inbox where guid in ('owed-old', 'kept')")).isEqualTo(2);
    assertThat(count("select count(*) from inbox")).isEqualTo(2);
    assertThat(count("select count(*) from jobs where job_id in (200, 201)")).isEqualTo(2);
    assertThat(count("select count(*) from jobs")).isEqualTo(2);
    assertThat(count("select count(*) from claims where status = 'active'")).isEqualTo(1);
    assertThat(count("select count(*) from claims")).isEqualTo(1);
    assertThat(count("select count(*) from redeliveries")).isEqualTo(1);
  }

  @Test
  void moving_the_clock_moves_the_cutoff() throws Exception {
    delivery("d", "workflow_job", daysAgo(20), "queued");
    assertThat(pruner(1000).run().get("inbox")).isZero();
    clock.advance(Duration.ofDays(11));
    assertThat(pruner(1000).run().get("inbox")).isEqualTo(1);
  }

  @Test
  void a_round_stops_after_its_current_batch_when_the_service_stops() throws Exception {
    for (int i = 0; i < 10; i++) {
      delivery("s-" + i, "workflow_job", daysAgo(40), "queued");
    }
    // The flag is checked before each batch; the second check sees the stop.
    AtomicInteger checks = new AtomicInteger();
    Pruner p =
        new Pruner(db.main(), RETENTION, clock, 3, () -> checks.getAndIncrement() >= 1, registry);
    assertThat(p.run().get("inbox")).isEqualTo(3);
    assertThat(count("select count(*) from inbox")).isEqualTo(7);
  }

  @Test
  void every_table_label_is_exported_before_the_first_prune() {
    pruner(10);
    for (String table : Pruner.TABLES) {
      assertThat(pruned(table)).isZero();
    }
  }
}
