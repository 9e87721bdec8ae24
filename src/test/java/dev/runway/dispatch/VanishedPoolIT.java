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
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A claimable job whose pool vanishes from the pools file is evaluated again: it goes to the pool
 * that matches now, or gets {@code no_matching_pool}, and the job says what happened.
 */
class VanishedPoolIT {
  @TempDir Path dir;
  RunwayHarness svc;

  @AfterEach
  void stop() {
    if (svc != null) {
      svc.close();
    }
  }

  void start(String pools) throws Exception {
    Files.writeString(dir.resolve("pools.yaml"), pools);
    svc = RunwayHarness.start(dir);
    svc.exec(
        "insert into accounts (login, installation_id, runners_enabled, max_concurrent)"
            + " values ('acme', 4242, true, 10)");
  }

  void queue(long job, String... labels) throws Exception {
    String guid = UUID.randomUUID().toString();
    assertThat(
            svc.post("workflow_job", guid, Signed.workflowJob("queued", job, labels)).statusCode())
        .isEqualTo(202);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> svc.text("select outcome from inbox where guid = ?", guid) != null);
  }

  String field(long job, String column) throws Exception {
    return svc.text("select " + column + " from jobs where job_id = ? and run_attempt = 1", job);
  }

  @Test
  void a_rewritten_pools_file_re_matches_its_claimable_jobs_or_ignores_them() throws Exception {
    start("pools:\n  - name: old\n    labels: [linux, x64, arm64]\n");
    queue(9601, "linux", "x64");
    queue(9602, "linux", "arm64");
    assertThat(field(9601, "pool")).isEqualTo("old");
    assertThat(field(9602, "pool")).isEqualTo("old");

    Files.writeString(
        dir.resolve("pools.yaml"), "pools:\n  - name: new\n    labels: [linux, x64]\n");

    await().atMost(Duration.ofSeconds(30)).until(() -> "new".equals(field(9601, "pool")));
    assertThat(field(9601, "outcome")).isNull();
    assertThat(field(9601, "status")).isEqualTo("queued");
    assertThat(field(9601, "outcome_detail"))
        .isEqualTo("pool old is no longer listed; re-matched to pool new");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> "no_matching_pool".equals(field(9602, "outcome")));
    assertThat(field(9602, "pool")).isNull();
    assertThat(field(9602, "outcome_detail"))
        .startsWith("pool old is no longer listed; no_matching_pool");
    assertThat(svc.metric("runway_dispatch_outcomes_total{action=\"rematch\",outcome=\"queued\"}"))
        .isEqualTo(1);
    // The operator API shows the note with the job.
    assertThat(svc.get("/api/v1/jobs?status=queued").body())
        .contains("pool old is no longer listed; re-matched to pool new");
  }

  @Test
  void an_unreadable_pools_file_re_matches_nothing() throws Exception {
    start("pools:\n  - name: old\n    labels: [linux, x64]\n");
    queue(9611, "linux", "x64");
    Files.writeString(dir.resolve("pools.yaml"), "pools: [this is not: valid");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                svc.metric("runway_pool_source_errors_total{reason=\"parse\",source=\"file\"}")
                        + svc.metric(
                            "runway_pool_source_errors_total{reason=\"invalid\",source=\"file\"}")
                    >= 1);
    // The last good file keeps serving: the job's pool did not vanish.
    await()
        .during(Duration.ofSeconds(6))
        .atMost(Duration.ofSeconds(20))
        .until(() -> "old".equals(field(9611, "pool")) && field(9611, "outcome_detail") == null);
  }

  @Test
  void jobs_redispatch_takes_a_job_or_a_pool() throws Exception {
    start("pools:\n  - name: old\n    labels: [linux, x64]\n");
    queue(9621, "linux", "x64");
    queue(9622, "linux", "x64");

    assertThat(redispatch("--job", "9621")).contains("1 job(s) queued for redispatch");
    assertThat(redispatch("--pool", "old")).contains("2 job(s) queued for redispatch");
    // Both still match their pool: a redispatch leaves them where they are.
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(10))
        .until(() -> "old".equals(field(9621, "pool")) && "old".equals(field(9622, "pool")));
    assertThat(redispatch("--pool", "nowhere")).contains("0 job(s) queued for redispatch");

    StringWriter err = new StringWriter();
    int exit =
        Main.commandLine(env(), new PrintWriter(new StringWriter()), new PrintWriter(err))
            .execute("jobs", "redispatch");
    assertThat(exit).isNotZero();
    assertThat(err.toString()).contains("give --outcome, --job or --pool");
  }

  Map<String, String> env() {
    return Map.of("RUNWAY_DATABASE_URL", svc.jdbcUrl, "RUNWAY_DATABASE_USER", "postgres");
  }

  String redispatch(String... args) {
    StringWriter out = new StringWriter();
    String[] all = new String[args.length + 2];
    all[0] = "jobs";
    all[1] = "redispatch";
    System.arraycopy(args, 0, all, 2, args.length);
    int exit =
        Main.commandLine(env(), new PrintWriter(out), new PrintWriter(new StringWriter()))
            .execute(all);
    assertThat(exit).isZero();
    return out.toString();
  }
}
