package dev.runway.cli.deliveries;

import static dev.runway.cli.deliveries.CliHarness.NOW;
import static dev.runway.platform.github.GitHubStub.delivery;
import static dev.runway.platform.github.GitHubStub.redelivery;
import static org.assertj.core.api.Assertions.assertThat;

import dev.runway.platform.github.TestKeys;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeliveriesRedeliverIT {

  private static final TestKeys KEYS = TestKeys.generate();

  @TempDir Path tempDir;
  private CliHarness cli;

  @BeforeEach
  void start() {
    cli = new CliHarness(KEYS, tempDir);
    cli.github.stubDeliveriesPages(
        List.of(
            List.of(
                // ok-guid: failed once, then a redelivery succeeded: skip.
                redelivery(
                    delivery(20, "ok-guid", NOW.minusSeconds(60), "workflow_job", "queued", 200)),
                // twice-failed: two failed attempts: only the newest (18) is redelivered.
                redelivery(
                    delivery(
                        18, "twice-failed", NOW.minusSeconds(120), "workflow_job", "queued", 503)),
                delivery(17, "ok-guid", NOW.minusSeconds(180), "workflow_job", "queued", 502)),
            List.of(
                delivery(16, "twice-failed", NOW.minusSeconds(240), "workflow_job", "queued", 0),
                delivery(15, "rejected", NOW.minusSeconds(300), "workflow_job", "completed", 500),
                delivery(14, "once-ok", NOW.minusSeconds(360), "ping", null, 200),
                delivery(
                    13, "lonely", NOW.minusSeconds(420), "workflow_job", "in_progress", 504))));
  }

  @AfterEach
  void stop() {
    cli.close();
  }

  @Test
  void redeliver_failed_redelivers_the_newest_failed_attempt_of_each_undelivered_guid() {
    cli.github.stubRedeliver(18);
    cli.github.stubRedeliver(15, 422);
    cli.github.stubRedeliver(13);

    CliHarness.Result result = cli.run("redeliver", "--failed");

    assertThat(result.out().lines().toList())
        .containsExactly(
            "redelivered 18 guid=twice-failed event=workflow_job.queued delivered_at=2026-05-19T15:58:00Z",
            "failed 15 guid=rejected event=workflow_job.completed delivered_at=2026-05-19T15:55:00Z:"
                + " GitHub POST /app/hook/deliveries/15/attempts answered 422: Validation Failed",
            "redelivered 13 guid=lonely event=workflow_job.in_progress delivered_at=2026-05-19T15:53:00Z");
    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(result.err()).contains("1 of 3 redeliveries failed");
    assertThat(cli.github.redeliveryRequests(18)).isEqualTo(1);
    assertThat(cli.github.redeliveryRequests(16)).isZero();
    assertThat(cli.github.redeliveryRequests(20)).isZero();
    assertThat(cli.github.redeliveryRequests(17)).isZero();
    assertThat(cli.github.redeliveryRequests(14)).isZero();
    assertThat(cli.github.redeliveryRequests(13)).isEqualTo(1);
  }

  @Test
  void redeliver_failed_asks_the_list_for_every_status_since_successes_settle_a_guid() {
    cli.github.stubRedeliver(18);
    cli.github.stubRedeliver(15);
    cli.github.stubRedeliver(13);

    CliHarness.Result result = cli.run("redeliver", "--failed", "--event", "workflow_job");

    assertThat(result.exitCode()).as(result.err()).isZero();
    assertThat(cli.github.allRequests())
        .filteredOn(r -> r.getUrl().startsWith("/app/hook/deliveries?"))
        .allSatisfy(r -> assertThat(r.getUrl()).doesNotContain("status="));
  }

  @Test
  void dry_run_prints_the_plan_and_redelivers_nothing() {
    CliHarness.Result result = cli.run("redeliver", "--failed", "--since", "5m", "--dry-run");

    assertThat(result.exitCode()).isZero();
    assertThat(result.out().lines().toList())
        .containsExactly(
            "would redeliver 18 guid=twice-failed event=workflow_job.queued delivered_at=2026-05-19T15:58:00Z",
            "would redeliver 15 guid=rejected event=workflow_job.completed delivered_at=2026-05-19T15:55:00Z");
    assertThat(cli.github.allRequests()).noneMatch(r -> r.getUrl().endsWith("/attempts"));
  }

  @Test
  void redeliver_by_id_reports_each_and_carries_on_after_a_failure() {
    cli.github.stubRedeliver(1, 422);
    cli.github.stubRedeliver(2);

    CliHarness.Result result = cli.run("redeliver", "1", "2");

    assertThat(result.out().lines().toList())
        .containsExactly(
            "failed 1: GitHub POST /app/hook/deliveries/1/attempts answered 422: Validation Failed",
            "redelivered 2");
    assertThat(result.exitCode()).isEqualTo(1);
    assertThat(cli.github.listRequests()).isZero();
  }

  @Test
  void ids_and_failed_together_or_neither_are_usage_errors() {
    assertThat(cli.run("redeliver").exitCode()).isEqualTo(2);
    assertThat(cli.run("redeliver", "1", "--failed").exitCode()).isEqualTo(2);
    assertThat(cli.run("redeliver", "1", "--since", "1h").exitCode()).isEqualTo(2);
    assertThat(cli.github.allRequests()).isEmpty();
  }
}
