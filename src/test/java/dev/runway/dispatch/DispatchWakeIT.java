package dev.runway.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runway.ingest.inbox.Delivery;
import dev.runway.ingest.inbox.InboxRepository;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.testing.RunwayHarness;
import dev.runway.testing.Signed;
import dev.runway.testing.TestDatabases;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Dispatch is woken by commits, not by its poll: with a poll interval of an hour, a delivery taken
 * by this replica, and one committed by another replica (here, plain SQL on another connection,
 * which only LISTEN/NOTIFY can announce), are still dispatched. Run with batching on and off.
 */
class DispatchWakeIT {
  static final AtomicLong JOB_IDS = new AtomicLong(70_000);

  @TempDir Path dir;

  private RunwayHarness start(String batch) throws Exception {
    Files.writeString(
        dir.resolve("pools.yaml"), "pools:\n  - name: linux-x64\n    labels: [linux, x64]\n");
    RunwayHarness svc =
        RunwayHarness.start(
            dir,
            TestDatabases.fresh(),
            Map.of(RunwayConfig.DISPATCH_POLL_INTERVAL, "1h", RunwayConfig.DISPATCH_BATCH, batch));
    svc.exec(
        "insert into accounts (login, installation_id, runners_enabled, max_concurrent)"
            + " values ('acme', 4242, true, 100)");
    return svc;
  }

  private static boolean claimable(RunwayHarness svc, long job) throws Exception {
    return svc.count(
            "select count(*) from jobs where job_id = ? and status = 'queued'"
                + " and pool = 'linux-x64' and outcome is null",
            job)
        == 1;
  }

  @ParameterizedTest(name = "RUNWAY_DISPATCH_BATCH={0}")
  @ValueSource(strings = {"100", "1"})
  void a_committed_delivery_is_dispatched_without_waiting_for_the_poll(String batch)
      throws Exception {
    try (RunwayHarness svc = start(batch)) {
      // db-scheduler polls once at start; from then on only a wake-up can dispatch.
      for (int i = 0; i < 3; i++) {
        long job = JOB_IDS.incrementAndGet();
        var r =
            svc.post(
                "workflow_job",
                UUID.randomUUID().toString(),
                Signed.workflowJob("queued", job, "linux", "x64"));
        assertThat(r.statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(30)).until(() -> claimable(svc, job));
      }
    }
  }

  @ParameterizedTest(name = "RUNWAY_DISPATCH_BATCH={0}")
  @ValueSource(strings = {"100", "1"})
  void a_delivery_committed_by_another_replica_wakes_this_one(String batch) throws Exception {
    try (RunwayHarness svc = start(batch)) {
      long job = JOB_IDS.incrementAndGet();
      String guid = UUID.randomUUID().toString();
      byte[] body =
          Signed.workflowJob("queued", job, "linux", "x64").getBytes(StandardCharsets.UTF_8);
      try (Connection c = svc.connect()) {
        c.setAutoCommit(false);
        Set<String> inserted =
            new InboxRepository()
                .insert(
                    c,
                    List.of(
                        new Delivery(
                            guid, "workflow_job", "queued", 1L, 4242L, job, Instant.now(), body)),
                    false);
        // As a replica with the same RUNWAY_DISPATCH_BATCH enqueues: held from db-scheduler
        // when batches dispatch, so only the woken batch dispatcher can take it in time.
        DispatchQueue.enqueue(
            c, inserted, batch.equals("1") ? Duration.ZERO : DispatchQueue.SCHEDULER_HOLD);
        c.commit();
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> claimable(svc, job));
      assertThat(svc.text("select outcome from inbox where guid = ?", guid)).isEqualTo("queued");
      assertThat(svc.count("select count(*) from scheduled_tasks where task_instance = ?", guid))
          .isZero();
    }
  }
}
