package dev.runway.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runway.platform.db.Database;
import dev.runway.testing.TestDatabases;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The queue's contract between the batches and db-scheduler: a new task held from db-scheduler
 * (SCHEDULER_HOLD) is still the batches' at once, in the order it arrived; a task whose batch
 * failed is db-scheduler's alone.
 */
class DispatchQueueIT {
  private Database db;

  @BeforeEach
  void open() {
    db = Database.open(new Database.Target(TestDatabases.fresh(), "postgres", "postgres"), 2);
    Database.migrate(db.main());
  }

  @AfterEach
  void close() {
    db.close();
  }

  /** What db-scheduler's fetch can see: due, unpicked tasks. */
  private static long dueForScheduler(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "select count(*) from scheduled_tasks where not picked and execution_time <="
                    + " now()")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void a_held_task_is_out_of_db_schedulers_sight_but_the_batches_take_it_in_arrival_order()
      throws Exception {
    try (Connection c = db.main().getConnection()) {
      c.setAutoCommit(false);
      DispatchQueue.enqueue(c, List.of("first"), DispatchQueue.SCHEDULER_HOLD);
      c.commit();
      DispatchQueue.enqueue(c, List.of("second"), DispatchQueue.SCHEDULER_HOLD);
      c.commit();

      assertThat(dueForScheduler(c)).isZero();
      assertThat(DispatchQueue.claimBatch(c, 10)).containsExactly("first", "second");
      c.rollback();
    }
  }

  @Test
  void without_a_hold_db_scheduler_sees_the_task_at_once() throws Exception {
    try (Connection c = db.main().getConnection()) {
      c.setAutoCommit(false);
      DispatchQueue.enqueue(c, List.of("plain"), Duration.ZERO);
      c.commit();

      assertThat(dueForScheduler(c)).isEqualTo(1);
    }
  }

  @Test
  void a_failed_batch_hands_its_tasks_to_db_scheduler_and_the_batches_leave_them()
      throws Exception {
    try (Connection c = db.main().getConnection()) {
      c.setAutoCommit(false);
      DispatchQueue.enqueue(c, List.of("failed", "fresh"), DispatchQueue.SCHEDULER_HOLD);
      c.commit();
      DispatchQueue.failBatch(c, List.of("failed"), Duration.ZERO);
      c.commit();

      assertThat(DispatchQueue.claimBatch(c, 10)).containsExactly("fresh");
      c.rollback();
      assertThat(dueForScheduler(c)).isEqualTo(1);
    }
  }
}
