package dev.runway.redelivery;

import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.runway.platform.github.GitHubStub.delivery;
import static dev.runway.platform.github.GitHubStub.redelivery;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.db.Database;
import dev.runway.platform.github.DeliverySummary;
import dev.runway.platform.github.GitHubStub;
import dev.runway.platform.github.TestKeys;
import dev.runway.testing.RunwayHarness;
import dev.runway.testing.Signed;
import dev.runway.testing.TestDatabases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The redelivery reconciler in the whole service (real PostgreSQL, real HTTP server) against
 * WireMock standing in for GitHub, which checks every App JWT's RS256 signature and claims. The
 * test plays GitHub's delivery side: when the service asks for a redelivery, the test posts the
 * original payload, signed and with the original GUID, to the service's webhook endpoint.
 */
class RedeliveryReconcilerIT {
  private static final String APP_ID = "31337";
  private static final TestKeys KEYS = TestKeys.generate();

  @TempDir Path dir;
  private GitHubStub github;
  private String jdbcUrl;
  private RunwayHarness svc;
  private final Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);

  @BeforeEach
  void setUp() throws Exception {
    github = GitHubStub.start(APP_ID, KEYS);
    jdbcUrl = TestDatabases.fresh();
    Files.writeString(
        dir.resolve("pools.yaml"), "pools:\n  - name: linux-x64\n    labels: [linux, x64]\n");
  }

  @AfterEach
  void tearDown() {
    if (svc != null) {
      svc.close();
    }
    github.close();
  }

  @Test
  void deliveries_that_failed_while_the_service_was_down_are_redelivered_after_restart()
      throws Exception {
    String received = guid();
    try (RunwayHarness before = RunwayHarness.start(dir, jdbcUrl, Map.of())) {
      assertThat(before.post("workflow_job", received, queued(1)).statusCode()).isEqualTo(202);
    }
    assertThat(github.allRequests()).as("without App credentials nobody calls GitHub").isEmpty();

    String lost1 = guid();
    String lost2 = guid();
    String deliveredLate = guid();
    github.stubDeliveriesPages(
        List.of(
            List.of(
                delivery(108, lost1, ago(1), "workflow_job", "queued", 502),
                delivery(107, guid(), ago(2), "ping", null, 502),
                delivery(106, deliveredLate, ago(2), "workflow_job", "completed", 200),
                delivery(105, received, ago(3), "workflow_job", "queued", 504)),
            List.of(
                delivery(104, lost2, ago(4), "workflow_job", "in_progress", 0),
                delivery(103, lost1, ago(5), "workflow_job", "queued", 502),
                delivery(102, deliveredLate, ago(6), "workflow_job", "completed", 502),
                delivery(
                    101, guid(), now.minus(Duration.ofDays(4)), "workflow_job", "queued", 502))));
    for (long id = 101; id <= 108; id++) {
      github.stubRedeliver(id);
    }

    svc = startWithApp(Map.of());

    waiting()
        .until(() -> github.redeliveryRequests(108) == 1 && github.redeliveryRequests(104) == 1);
    awaitCompletedCycles(2);
    assertThat(github.redeliveryRequests(108)).as("lost1's newest failed attempt").isEqualTo(1);
    assertThat(github.redeliveryRequests(104)).as("lost2's only attempt").isEqualTo(1);
    for (long id : new long[] {101, 102, 103, 105, 106, 107}) {
      assertThat(github.redeliveryRequests(id)).as("delivery %d", id).isZero();
    }
    assertThat(github.authRejections()).isEmpty();
    assertThat(
            svc.count(
                "select count(*) from redeliveries where guid in (?, ?)"
                    + " and last_result = 'redelivered' and attempts = 1 and not given_up",
                lost1,
                lost2))
        .isEqualTo(2);
    assertThat(svc.count("select count(*) from redeliveries")).isEqualTo(2);
    assertThat(svc.metric("runway_redeliveries_total{result=\"redelivered\"}")).isEqualTo(2);
    assertThat(svc.metric("runway_redeliveries_total{result=\"skipped_in_inbox\"}"))
        .isGreaterThanOrEqualTo(1);
    assertThat(
            svc.count(
                "select delivery_id from reconciler_checkpoints where name = ?",
                RedeliveryReconciler.TASK))
        .as("checkpoint at the newest listed attempt")
        .isEqualTo(108);
  }

  @Test
  void redelivered_deliveries_sent_back_by_github_end_up_dispatched() throws Exception {
    addAccount("acme", 4242);
    String lost1 = guid();
    String lost2 = guid();
    Map<String, String> payloads =
        Map.of(
            lost1,
            Signed.workflowJob("queued", 501, "self-hosted", "linux", "x64"),
            lost2,
            Signed.workflowJob("queued", 502, "linux", "x64"));
    github.stubDeliveriesPages(
        List.of(
            List.of(
                delivery(201, lost1, ago(1), "workflow_job", "queued", 502),
                delivery(202, lost2, ago(2), "workflow_job", "queued", 0))));
    github.stubRedeliver(201);
    github.stubRedeliver(202);

    svc = startWithApp(Map.of());
    deliverAgainWhenAsked(201, lost1, payloads.get(lost1));
    deliverAgainWhenAsked(202, lost2, payloads.get(lost2));

    waiting()
        .until(
            () ->
                svc.count(
                        "select count(*) from inbox where guid in (?, ?)"
                            + " and worker_seen_at is not null and outcome = 'queued'",
                        lost1,
                        lost2)
                    == 2);
    assertThat(
            svc.count(
                "select count(*) from jobs where job_id in (501, 502) and status = 'queued'"
                    + " and pool = 'linux-x64' and outcome is null"))
        .as("both jobs claimable in their pool")
        .isEqualTo(2);
    assertThat(svc.metric("runway_dispatch_outcomes_total{action=\"queued\",outcome=\"queued\"}"))
        .isEqualTo(2);
  }

  @Test
  void a_second_cycle_redelivers_nothing() throws Exception {
    String lost1 = guid();
    String lost2 = guid();
    DeliverySummary failed1 = delivery(301, lost1, ago(2), "workflow_job", "queued", 502);
    DeliverySummary failed2 = delivery(302, lost2, ago(3), "workflow_job", "queued", 502);
    github.stubDeliveriesPages(List.of(List.of(failed1, failed2)));
    github.stubRedeliver(301);
    github.stubRedeliver(302);

    svc = startWithApp(Map.of());
    deliverAgainWhenAsked(301, lost1, queued(3011));
    deliverAgainWhenAsked(302, lost2, queued(3021));

    // GitHub now lists the redeliveries: lost2's as delivered; lost1's as failed, as if our answer
    // had come too late, although the service stored it.
    github.stubDeliveriesPages(
        List.of(
            List.of(
                redelivery(delivery(402, lost2, ago(0), "workflow_job", "queued", 202)),
                redelivery(delivery(401, lost1, ago(0), "workflow_job", "queued", 504)),
                failed1,
                failed2)));
    github.stubRedeliver(401);
    github.stubRedeliver(402);
    awaitCompletedCycles(2);

    assertThat(github.redeliveryRequests(301)).isEqualTo(1);
    assertThat(github.redeliveryRequests(302)).isEqualTo(1);
    assertThat(github.redeliveryRequests(401)).as("lost1 is in the inbox").isZero();
    assertThat(github.redeliveryRequests(402)).as("lost2 was delivered").isZero();
    assertThat(svc.metric("runway_redeliveries_total{result=\"redelivered\"}")).isEqualTo(2);
    assertThat(svc.metric("runway_redeliveries_total{result=\"skipped_in_inbox\"}"))
        .isGreaterThanOrEqualTo(1);
  }

  @Test
  void a_guid_redelivered_max_attempts_times_without_success_is_given_up_and_left_alone()
      throws Exception {
    String lost = guid();
    List<DeliverySummary> attempts = new ArrayList<>();
    attempts.add(delivery(501, lost, ago(3), "workflow_job", "queued", 502));
    github.stubDeliveriesPages(List.of(attempts));
    for (long id = 501; id <= 503; id++) {
      github.stubRedeliver(id);
    }

    svc = startWithApp(Map.of(RunwayConfig.REDELIVERY_MAX_ATTEMPTS, "2"));
    // Every redelivery fails again: GitHub lists each as a new failed attempt of the same GUID.
    for (long id = 501; id <= 502; id++) {
      long asked = id;
      waiting().until(() -> github.redeliveryRequests(asked) == 1);
      attempts.add(0, redelivery(delivery(id + 1, lost, ago(0), "workflow_job", "queued", 502)));
      github.stubDeliveriesPages(List.of(List.copyOf(attempts)));
    }

    waiting().until(() -> svc.metric("runway_redeliveries_total{result=\"given_up\"}") == 1);
    awaitCompletedCycles(2);
    assertThat(github.redeliveryRequests(503)).as("no third redelivery").isZero();
    assertThat(github.redeliveryRequests(501) + github.redeliveryRequests(502)).isEqualTo(2);
    assertThat(svc.metric("runway_redeliveries_total{result=\"given_up\"}"))
        .as("reported once")
        .isEqualTo(1);
    assertThat(
            svc.count(
                "select count(*) from redeliveries where guid = ? and attempts = 2 and given_up"
                    + " and given_up_at is not null",
                lost))
        .isEqualTo(1);
  }

  @Test
  void a_rate_limited_redelivery_ends_the_cycle_and_a_later_cycle_goes_on() throws Exception {
    String a = guid();
    String b = guid();
    String c = guid();
    github.stubDeliveriesPages(
        List.of(
            List.of(
                delivery(601, a, ago(1), "workflow_job", "queued", 502),
                delivery(602, b, ago(2), "workflow_job", "queued", 502),
                delivery(603, c, ago(3), "workflow_job", "queued", 502))));
    // The primary rate limit is spent, and resets in 65 s: longer than the client will wait (60 s),
    // so the App's calls are paused until then. (It used to reset in an hour and the test stubbed
    // success to mean "reset"; since the reset is honoured as a pause, nothing is sent before it.)
    github
        .server()
        .stubFor(
            post(urlPathEqualTo("/app/hook/deliveries/601/attempts"))
                .willReturn(
                    GitHubStub.jsonResponse(403, "{\"message\":\"API rate limit exceeded\"}")
                        .withHeader("X-RateLimit-Remaining", "0")
                        .withHeader(
                            "X-RateLimit-Reset",
                            String.valueOf(Instant.now().plusSeconds(65).getEpochSecond()))));
    github.stubRedeliver(602);
    github.stubRedeliver(603);

    svc = startWithApp(Map.of());
    String rateLimitedCycles = "runway_redelivery_cycles_total{result=\"rate_limited\"}";
    waiting().until(() -> svc.metric(rateLimitedCycles) >= 3);

    int requests = github.redeliveryRequests(601);
    double cycles = svc.metric(rateLimitedCycles);
    assertThat((double) requests)
        .as("one request per cycle, no retries")
        .isLessThanOrEqualTo(cycles + 1);
    assertThat(github.redeliveryRequests(602)).as("the cycle ended at the limit").isZero();
    assertThat(github.redeliveryRequests(603)).isZero();
    assertThat(svc.count("select count(*) from redeliveries")).as("not an attempt").isZero();
    assertThat(svc.count("select count(*) from reconciler_checkpoints")).isZero();

    // The limit resets: after it, one probe, then the cycle goes on.
    github.stubRedeliver(601);
    await()
        .atMost(Duration.ofSeconds(120))
        .until(
            () ->
                github.redeliveryRequests(602) == 1
                    && github.redeliveryRequests(603) == 1
                    && svc.count(
                            "select count(*) from redeliveries where last_result = 'redelivered'")
                        == 3);
    assertThat(svc.count("select count(*) from redeliveries where attempts = 1")).isEqualTo(3);
  }

  @Test
  void two_replicas_on_one_database_redeliver_each_event_once(@TempDir Path other)
      throws Exception {
    List<String> lost = List.of(guid(), guid(), guid());
    github.stubDeliveriesPages(
        List.of(
            List.of(
                delivery(701, lost.get(0), ago(1), "workflow_job", "queued", 502),
                delivery(702, lost.get(1), ago(2), "workflow_job", "queued", 0),
                delivery(703, lost.get(2), ago(3), "workflow_job", "queued", 503))));
    for (long id = 701; id <= 703; id++) {
      github.stubRedeliver(id);
    }

    svc = startWithApp(Map.of());
    Files.writeString(other.resolve("pools.yaml"), "pools: []\n");
    try (RunwayHarness second = RunwayHarness.start(other, jdbcUrl, appEnv(Map.of()))) {
      String sample = "runway_redelivery_cycles_total{result=\"completed\"}";
      double start = svc.metric(sample) + second.metric(sample);
      waiting().until(() -> svc.metric(sample) + second.metric(sample) >= start + 4);
    }
    for (long id = 701; id <= 703; id++) {
      assertThat(github.redeliveryRequests(id)).as("delivery %d", id).isEqualTo(1);
    }
    assertThat(svc.count("select sum(attempts) from redeliveries")).isEqualTo(3);
  }

  // ---- helpers ----

  private RunwayHarness startWithApp(Map<String, String> extra) throws Exception {
    return RunwayHarness.start(dir, jdbcUrl, appEnv(extra));
  }

  /** The App's credentials pointing at the stub, and a short interval. */
  private Map<String, String> appEnv(Map<String, String> extra) {
    Map<String, String> env = new HashMap<>();
    env.put(RunwayConfig.GITHUB_APP_ID, APP_ID);
    env.put(RunwayConfig.GITHUB_PRIVATE_KEY_FILE, KEYS.writePkcs1(dir, "app.pem").toString());
    env.put(RunwayConfig.GITHUB_API_URL, github.apiUrl().toString());
    env.put(RunwayConfig.REDELIVERY_INTERVAL, "1s");
    env.putAll(extra);
    return env;
  }

  /** GitHub's side of a redelivery: once asked, it delivers the event again, same GUID. */
  private void deliverAgainWhenAsked(long deliveryId, String guid, String payload)
      throws Exception {
    waiting().until(() -> github.redeliveryRequests(deliveryId) >= 1);
    assertThat(svc.post("workflow_job", guid, payload).statusCode()).isEqualTo(202);
  }

  /** Waits for {@code n} cycles that completed after this call. */
  private void awaitCompletedCycles(int n) throws Exception {
    String sample = "runway_redelivery_cycles_total{result=\"completed\"}";
    double start = svc.metric(sample);
    waiting().until(() -> svc.metric(sample) >= start + n);
  }

  /** Migrates the fresh database, as the service would, and adds an enabled account. */
  private void addAccount(String login, long installationId) throws Exception {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(jdbcUrl);
    ds.setUser("postgres");
    ds.setPassword("postgres");
    Database.migrate(ds);
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "insert into accounts (login, installation_id, runners_enabled, max_concurrent)"
                    + " values (?, ?, true, 5)")) {
      ps.setString(1, login);
      ps.setLong(2, installationId);
      ps.executeUpdate();
    }
  }

  private static ConditionFactory waiting() {
    return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100));
  }

  private Instant ago(int minutes) {
    return now.minus(Duration.ofMinutes(minutes));
  }

  private static String queued(long jobId) {
    return Signed.workflowJob("queued", jobId, "linux", "x64");
  }

  private static String guid() {
    return UUID.randomUUID().toString();
  }
}
