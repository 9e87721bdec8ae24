package dev.runway.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runway.Main;
import dev.runway.testing.RunwayHarness;
import dev.runway.testing.Signed;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dispatch end to end: a signed delivery in, the job row, the inbox outcome and the metric out,
 * against a real PostgreSQL and a pools file.
 */
class DispatchIT {
  @TempDir static Path dir;
  static RunwayHarness svc;
  static final AtomicLong JOB_IDS = new AtomicLong(5_000);
  static final String POOLS =
      """
      pools:
        - name: linux-x64
          labels: [linux, x64]
          maxRunners: 5
        - name: macos-arm64
          labels: [macOS, arm64]
        - name: gpu-a
          labels: [linux, gpu]
        - name: gpu-b
          labels: [linux, gpu, big]
      """;

  @BeforeAll
  static void start() throws Exception {
    Files.writeString(dir.resolve("pools.yaml"), POOLS);
    svc = RunwayHarness.start(dir);
    svc.exec(
        "insert into accounts (login, installation_id, runners_enabled, max_concurrent)"
            + " values ('acme', 4242, true, 10), ('sleepy', 77, false, 10), ('capped', 78, true, 0)");
  }

  @AfterAll
  static void stop() {
    svc.close();
  }

  @BeforeEach
  void restorePools() throws Exception {
    Files.writeString(dir.resolve("pools.yaml"), POOLS);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> svc.metric("runway_pools{source=\"file\"}") == 4);
  }

  static long newJob() {
    return JOB_IDS.incrementAndGet();
  }

  /** Sends one event and waits until its delivery settled; returns the inbox outcome. */
  private String deliver(
      String action,
      long job,
      String owner,
      Long installation,
      String runner,
      String conclusion,
      String... labels)
      throws Exception {
    return deliver(action, job, 1, owner, installation, runner, conclusion, labels);
  }

  private String deliver(
      String action,
      long job,
      int attempt,
      String owner,
      Long installation,
      String runner,
      String conclusion,
      String... labels)
      throws Exception {
    String guid = UUID.randomUUID().toString();
    var r =
        svc.post(
            "workflow_job",
            guid,
            Signed.workflowJob(
                action, job, attempt, owner, installation, runner, conclusion, labels));
    assertThat(r.statusCode()).isEqualTo(202);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> svc.text("select outcome from inbox where guid = ?", guid) != null);
    return svc.text("select outcome from inbox where guid = ?", guid);
  }

  private String jobField(long job, String column) throws Exception {
    return svc.text("select " + column + " from jobs where job_id = ? and run_attempt = 1", job);
  }

  private double outcomeMetric(String action, String outcome) throws Exception {
    return svc.metric(
        "runway_dispatch_outcomes_total{action=\"" + action + "\",outcome=\"" + outcome + "\"}");
  }

  @Test
  void a_queued_job_with_a_matching_pool_becomes_claimable_in_that_pool() throws Exception {
    double before = outcomeMetric("queued", "queued");
    long job = newJob();
    assertThat(deliver("queued", job, "acme", 4242L, null, null, "self-hosted", "Linux", "X64"))
        .isEqualTo("queued");
    assertThat(jobField(job, "status")).isEqualTo("queued");
    assertThat(jobField(job, "pool")).isEqualTo("linux-x64");
    assertThat(jobField(job, "outcome")).isNull();
    assertThat(outcomeMetric("queued", "queued")).isEqualTo(before + 1);
    assertThat(svc.get("/api/v1/jobs?status=queued&pool=linux-x64").body())
        .contains("\"job_id\":" + job);
  }

  @Test
  void a_jobs_received_at_is_the_receipt_time_of_the_delivery_that_created_it() throws Exception {
    long queuedFirst = newJob();
    deliver("queued", queuedFirst, "acme", 4242L, null, null, "linux", "x64");
    deliver("in_progress", queuedFirst, "acme", 4242L, "some-runner", null, "linux", "x64");
    // Out of order: the in_progress delivery creates the row; the late queued does not move it.
    long startedFirst = newJob();
    deliver("in_progress", startedFirst, "acme", 4242L, "some-runner", null, "linux", "x64");
    deliver("queued", startedFirst, "acme", 4242L, null, null, "linux", "x64");

    assertThat(jobField(queuedFirst, "received_at::text"))
        .isEqualTo(inboxReceivedAt(queuedFirst, "queued"));
    assertThat(jobField(startedFirst, "received_at::text"))
        .isEqualTo(inboxReceivedAt(startedFirst, "in_progress"));
  }

  private String inboxReceivedAt(long job, String action) throws Exception {
    return svc.text(
        "select received_at::text from inbox where workflow_job_id = ? and action = ?",
        job,
        action);
  }

  @Test
  void each_ignore_outcome_is_persisted_with_its_reason_and_counted() throws Exception {
    record Case(String owner, Long installation, String[] labels, String outcome, String detail) {}
    List<Case> cases =
        List.of(
            new Case(
                "nobody",
                999L,
                new String[] {"linux"},
                "no_account",
                "runway accounts set nobody --installation-id 999"),
            new Case(
                "sleepy",
                77L,
                new String[] {"linux", "x64"},
                "runners_disabled",
                "runners disabled"),
            new Case(
                "capped",
                78L,
                new String[] {"linux", "x64"},
                "runners_disabled",
                "max_concurrent is 0"),
            new Case("acme", 4242L, new String[] {"windows"}, "no_matching_pool", "windows"),
            new Case(
                "acme",
                4242L,
                new String[] {"self-hosted", "linux", "gpu"},
                "ambiguous_pool",
                "gpu-a,gpu-b"));
    for (Case c : cases) {
      double before = outcomeMetric("queued", c.outcome());
      long job = newJob();
      assertThat(deliver("queued", job, c.owner(), c.installation(), null, null, c.labels()))
          .as(c.toString())
          .isEqualTo(c.outcome());
      assertThat(jobField(job, "status")).isEqualTo("queued");
      assertThat(jobField(job, "outcome")).isEqualTo(c.outcome());
      assertThat(jobField(job, "pool")).isNull();
      if (c.detail() != null) {
        assertThat(jobField(job, "outcome_detail")).contains(c.detail());
      }
      assertThat(outcomeMetric("queued", c.outcome())).isEqualTo(before + 1);
    }
  }

  @Test
  void an_account_is_found_by_owner_login_when_the_installation_is_unknown() throws Exception {
    long job = newJob();
    assertThat(deliver("queued", job, "ACME", null, null, null, "linux", "x64"))
        .isEqualTo("queued");
    assertThat(jobField(job, "account_id")).isNotNull();
  }

  @Test
  void zero_pools_listed_is_no_pools_and_nothing_else() throws Exception {
    Files.writeString(dir.resolve("pools.yaml"), "pools: []\n");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> svc.metric("runway_pools{source=\"file\"}") == 0);
    long job = newJob();
    assertThat(deliver("queued", job, "acme", 4242L, null, null, "linux", "x64"))
        .isEqualTo("no_pools");
    assertThat(jobField(job, "outcome")).isEqualTo("no_pools");
  }

  @Test
  void editing_the_pools_file_changes_matching_and_a_broken_edit_keeps_the_old_pools()
      throws Exception {
    Files.writeString(
        dir.resolve("pools.yaml"), "pools:\n  - name: arm\n    labels: [linux, arm64]\n");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> svc.metric("runway_pools{source=\"file\"}") == 1);
    long job = newJob();
    assertThat(deliver("queued", job, "acme", 4242L, null, null, "linux", "arm64"))
        .isEqualTo("queued");
    assertThat(jobField(job, "pool")).isEqualTo("arm");

    Files.writeString(dir.resolve("pools.yaml"), "pools:\n  - name: [broken\n");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> svc.metric("runway_pool_source_valid{source=\"file\"}") == 0);
    long next = newJob();
    assertThat(deliver("queued", next, "acme", 4242L, null, null, "linux", "arm64"))
        .isEqualTo("queued");
    assertThat(jobField(next, "pool")).isEqualTo("arm");
  }

  @Test
  void the_lifecycle_moves_forward_and_records_runner_conclusion_and_times() throws Exception {
    long job = newJob();
    assertThat(deliver("waiting", job, "acme", 4242L, null, null, "linux", "x64"))
        .isEqualTo("waiting");
    assertThat(jobField(job, "status")).isEqualTo("waiting");
    assertThat(deliver("queued", job, "acme", 4242L, null, null, "linux", "x64"))
        .isEqualTo("queued");
    assertThat(jobField(job, "status")).isEqualTo("queued");
    assertThat(deliver("in_progress", job, "acme", 4242L, "runner-7", null, "linux", "x64"))
        .isEqualTo("in_progress");
    assertThat(jobField(job, "runner_name")).isEqualTo("runner-7");
    assertThat(jobField(job, "runner_id")).isNotNull();
    assertThat(deliver("completed", job, "acme", 4242L, "runner-7", "success", "linux", "x64"))
        .isEqualTo("completed");
    assertThat(jobField(job, "status")).isEqualTo("completed");
    assertThat(jobField(job, "conclusion")).isEqualTo("success");
    assertThat(jobField(job, "pool")).isEqualTo("linux-x64");
    // A late queued after completed changes nothing, and says why.
    assertThat(deliver("queued", job, "acme", 4242L, null, null, "linux", "x64"))
        .isEqualTo("ignored");
    assertThat(jobField(job, "status")).isEqualTo("completed");
  }

  /** The final row of a job, minus bookkeeping times that differ between runs. */
  private String finalState(long job) throws Exception {
    return svc.text(
        "select concat_ws('|', status, pool, outcome, conclusion, runner_name, account_id is not null,"
            + " labels::text) from jobs where job_id = ? and run_attempt = 1",
        job);
  }

  @Test
  void out_of_order_and_duplicated_events_leave_the_same_final_state_as_the_ordered_sequence()
      throws Exception {
    long ordered = newJob();
    deliver("queued", ordered, "acme", 4242L, null, null, "linux", "x64");
    deliver("in_progress", ordered, "acme", 4242L, "r1", null, "linux", "x64");
    deliver("completed", ordered, "acme", 4242L, "r1", "success", "linux", "x64");

    long completedFirst = newJob();
    deliver("completed", completedFirst, "acme", 4242L, "r1", "success", "linux", "x64");
    deliver("in_progress", completedFirst, "acme", 4242L, "r1", null, "linux", "x64");
    deliver("queued", completedFirst, "acme", 4242L, null, null, "linux", "x64");

    long inProgressFirst = newJob();
    deliver("in_progress", inProgressFirst, "acme", 4242L, "r1", null, "linux", "x64");
    deliver("queued", inProgressFirst, "acme", 4242L, null, null, "linux", "x64");
    deliver("queued", inProgressFirst, "acme", 4242L, null, null, "linux", "x64");
    deliver("completed", inProgressFirst, "acme", 4242L, "r1", "success", "linux", "x64");
    deliver("completed", inProgressFirst, "acme", 4242L, "r1", "success", "linux", "x64");

    String expected = finalState(ordered);
    assertThat(finalState(completedFirst)).isEqualTo(expected);
    assertThat(finalState(inProgressFirst)).isEqualTo(expected);
    assertThat(expected).startsWith("completed|linux-x64|").contains("success|r1|t");
  }

  @Test
  void a_redelivered_event_is_a_no_op() throws Exception {
    long job = newJob();
    String guid = UUID.randomUUID().toString();
    String body = Signed.workflowJob("queued", job, "linux", "x64");
    assertThat(svc.post("workflow_job", guid, body).statusCode()).isEqualTo(202);
    assertThat(svc.post("workflow_job", guid, body).statusCode()).isEqualTo(200);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> svc.text("select outcome from inbox where guid = ?", guid) != null);
    assertThat(svc.count("select count(*) from jobs where job_id = ?", job)).isEqualTo(1);
  }

  @Test
  void a_re_run_attempt_starts_a_new_lifecycle() throws Exception {
    long job = newJob();
    deliver("queued", job, 1, "acme", 4242L, null, null, "linux", "x64");
    deliver("completed", job, 1, "acme", 4242L, "r1", "failure", "linux", "x64");
    assertThat(deliver("queued", job, 2, "acme", 4242L, null, null, "linux", "x64"))
        .isEqualTo("queued");
    assertThat(svc.text("select status from jobs where job_id = ? and run_attempt = 1", job))
        .isEqualTo("completed");
    assertThat(svc.text("select status from jobs where job_id = ? and run_attempt = 2", job))
        .isEqualTo("queued");
    assertThat(svc.text("select pool from jobs where job_id = ? and run_attempt = 2", job))
        .isEqualTo("linux-x64");
  }

  @Test
  void redispatch_makes_jobs_ignored_for_no_matching_pool_claimable_once_a_pool_fits()
      throws Exception {
    long job = newJob();
    assertThat(deliver("queued", job, "acme", 4242L, null, null, "linux", "riscv"))
        .isEqualTo("no_matching_pool");
    Files.writeString(
        dir.resolve("pools.yaml"), POOLS + "  - name: riscv\n    labels: [linux, riscv]\n");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> svc.metric("runway_pools{source=\"file\"}") == 5);

    StringWriter out = new StringWriter();
    int exit =
        Main.commandLine(
                Map.of("RUNWAY_DATABASE_URL", svc.jdbcUrl, "RUNWAY_DATABASE_USER", "postgres"),
                new PrintWriter(out),
                new PrintWriter(new StringWriter()))
            .execute("jobs", "redispatch", "--outcome", "no_matching_pool");
    assertThat(exit).isZero();
    assertThat(out.toString()).containsPattern("[1-9]\\d* job\\(s\\) queued for redispatch");
    await().atMost(Duration.ofSeconds(30)).until(() -> "riscv".equals(jobField(job, "pool")));
    assertThat(jobField(job, "outcome")).isNull();
    assertThat(jobField(job, "status")).isEqualTo("queued");
  }

  @Test
  void installation_events_keep_the_account_link_current() throws Exception {
    String created =
        """
        {"action":"created","installation":{"id":9001,"account":{"login":"newco","type":"Organization"}}}""";
    String guid = UUID.randomUUID().toString();
    assertThat(svc.post("installation", guid, created).statusCode()).isEqualTo(202);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> svc.text("select outcome from inbox where guid = ?", guid) != null);
    assertThat(svc.count("select installation_id from accounts where login = 'newco'"))
        .isEqualTo(9001);
    // A new installation is visible but not enabled until an operator says so.
    long job = newJob();
    assertThat(deliver("queued", job, "newco", 9001L, null, null, "linux", "x64"))
        .isEqualTo("runners_disabled");

    String suspend =
        """
        {"action":"suspend","installation":{"id":4242,"account":{"login":"acme","type":"Organization"}}}""";
    String g2 = UUID.randomUUID().toString();
    svc.post("installation", g2, suspend);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> svc.text("select outcome from inbox where guid = ?", g2) != null);
    long suspended = newJob();
    assertThat(deliver("queued", suspended, "acme", 4242L, null, null, "linux", "x64"))
        .isEqualTo("runners_disabled");
    String unsuspend = suspend.replace("\"suspend\"", "\"unsuspend\"");
    String g3 = UUID.randomUUID().toString();
    svc.post("installation", g3, unsuspend);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> svc.text("select outcome from inbox where guid = ?", g3) != null);
    long back = newJob();
    assertThat(deliver("queued", back, "acme", 4242L, null, null, "linux", "x64"))
        .isEqualTo("queued");
  }
}
