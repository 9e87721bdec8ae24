package dev.runway.claims;

import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.runway.claims.ClaimsFixture.ACME;
import static dev.runway.claims.ClaimsFixture.GLOBEX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runway.platform.github.GitHubStub;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one lock order (issue 20 item 6, {@link ClaimLocks}): claims that step past several accounts
 * in opposite orders, and runner bindings that swap jobs, race without a deadlock and without a
 * lost update.
 */
class ClaimLockOrderIT {
  static final String POOLS =
      """
      pools:
        - name: one
          labels: [linux, one]
        - name: two
          labels: [linux, two]
      """;

  @TempDir Path dir;
  ClaimsFixture f;

  @BeforeEach
  void start() throws Exception {
    f = ClaimsFixture.start(dir, POOLS, Map.of());
  }

  @AfterEach
  void stop() {
    f.close();
  }

  @Test
  void claims_stepping_past_full_accounts_in_opposite_orders_never_deadlock() throws Exception {
    f.account("acme", ACME, 1);
    f.account("globex", GLOBEX, 1);
    String one = f.token("one");
    String two = f.token("two");
    // Each account is full with one claimed job.
    f.queued(100, "acme", ACME, "self-hosted", "linux", "one");
    assertThat(f.claim("one", one).statusCode()).isEqualTo(200);
    f.queued(200, "globex", GLOBEX, "self-hosted", "linux", "two");
    assertThat(f.claim("two", two).statusCode()).isEqualTo(200);
    // Pool one's oldest job is acme's, then globex's; pool two's the other way round. A claim in
    // pool one steps past acme, then globex; a claim in pool two past globex, then acme.
    f.queued(101, "acme", ACME, "self-hosted", "linux", "one");
    f.clock.advance(Duration.ofMillis(10));
    f.queued(201, "globex", GLOBEX, "self-hosted", "linux", "two");
    f.clock.advance(Duration.ofMillis(10));
    f.queued(102, "globex", GLOBEX, "self-hosted", "linux", "one");
    f.clock.advance(Duration.ofMillis(10));
    f.queued(202, "acme", ACME, "self-hosted", "linux", "two");
    long deadlocksBefore = deadlocks();

    List<String> answers = new CopyOnWriteArrayList<>();
    ExecutorService agents = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> all = new ArrayList<>();
      for (int a = 0; a < 8; a++) {
        String pool = a % 2 == 0 ? "one" : "two";
        String token = a % 2 == 0 ? one : two;
        all.add(
            agents.submit(
                () -> {
                  for (int k = 0; k < 25; k++) {
                    HttpResponse<String> r = f.claim(pool, token);
                    answers.add(
                        r.statusCode()
                            + " "
                            + r.headers().firstValue("Runway-Claim-Result").orElse(r.body()));
                  }
                  return null;
                }));
      }
      for (Future<?> w : all) {
        w.get(2, TimeUnit.MINUTES);
      }
    } finally {
      agents.shutdownNow();
    }

    // A deadlock would abort one of the two claims: 503 "database busy", after a second's wait.
    assertThat(answers).hasSize(200).containsOnly("204 over_account_cap");
    assertThat(deadlocks()).isEqualTo(deadlocksBefore);
    // Nothing moved: every queued job is still claimable, every claim still holds its job.
    assertThat(f.svc.count("select count(*) from jobs where status = 'queued'")).isEqualTo(4);
    assertThat(f.svc.count("select count(*) from claims where status = 'active'")).isEqualTo(2);
  }

  @Test
  void runners_that_swap_jobs_bind_both_claims_without_a_deadlock_or_a_lost_update()
      throws Exception {
    f.account("acme", ACME, 100);
    String one = f.token("one");
    int pairs = 8;
    // Claim X_i holds job A_i and claim Y_i job B_i; X_i's runner takes B_i, Y_i's takes A_i.
    List<long[]> jobs = new ArrayList<>();
    for (int i = 0; i < pairs; i++) {
      long a = 1000 + 2 * i;
      long b = a + 1;
      f.queued(a, "acme", ACME, "self-hosted", "linux", "one");
      f.clock.advance(Duration.ofMillis(10));
      f.queued(b, "acme", ACME, "self-hosted", "linux", "one");
      f.clock.advance(Duration.ofMillis(10));
      jobs.add(new long[] {a, b});
    }
    List<String[]> runners = new ArrayList<>();
    for (int i = 0; i < pairs; i++) {
      String x = f.body(f.claim("one", one)).get("runner_name").asText();
      String y = f.body(f.claim("one", one)).get("runner_name").asText();
      runners.add(new String[] {x, y});
    }
    for (int i = 0; i < pairs; i++) {
      assertThat(
              f.string(
                  "select c.runner_name from claims c join jobs j on j.job_id = c.job_id and j.run_attempt = c.run_attempt and c.status in ('active', 'bound')"
                      + " where j.job_id = ?",
                  jobs.get(i)[0]))
          .isEqualTo(runners.get(i)[0]);
    }
    long deadlocksBefore = deadlocks();

    ExecutorService senders = Executors.newFixedThreadPool(2 * pairs);
    try {
      List<Future<?>> all = new ArrayList<>();
      for (int i = 0; i < pairs; i++) {
        long[] ab = jobs.get(i);
        String[] xy = runners.get(i);
        all.add(
            senders.submit(
                () -> {
                  f.event("in_progress", ab[1], "acme", ACME, xy[0], "self-hosted", "linux", "one");
                  return null;
                }));
        all.add(
            senders.submit(
                () -> {
                  f.event("in_progress", ab[0], "acme", ACME, xy[1], "self-hosted", "linux", "one");
                  return null;
                }));
      }
      for (Future<?> w : all) {
        w.get(1, TimeUnit.MINUTES);
      }
    } finally {
      senders.shutdownNow();
    }

    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                f.svc.count("select count(*) from jobs where status = 'in_progress'")
                    == 2L * pairs);
    for (int i = 0; i < pairs; i++) {
      long[] ab = jobs.get(i);
      String[] xy = runners.get(i);
      // Each job names the claim whose runner took it, and that claim is bound to it.
      assertThat(runnerHolding(ab[0])).isEqualTo(xy[1]);
      assertThat(runnerHolding(ab[1])).isEqualTo(xy[0]);
      assertThat(
              f.string("select job_id || '/' || status from claims where runner_name = ?", xy[0]))
          .isEqualTo(ab[1] + "/bound");
      assertThat(
              f.string("select job_id || '/' || status from claims where runner_name = ?", xy[1]))
          .isEqualTo(ab[0] + "/bound");
    }
    // No job went back to queued on the way, no claim was left active, every delivery settled.
    assertThat(f.svc.count("select count(*) from claims where status = 'active'")).isZero();
    assertThat(f.svc.count("select count(*) from jobs where status = 'queued'")).isZero();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> f.svc.count("select count(*) from inbox where settled_at is null") == 0);
    assertThat(deadlocks()).isEqualTo(deadlocksBefore);
  }

  @Test
  void a_release_waiting_for_the_database_does_not_outlive_the_service() throws Exception {
    f.account("acme", ACME, 10);
    String one = f.token("one");
    f.queued(300, "acme", ACME, "self-hosted", "linux", "one");
    f.github
        .server()
        .stubFor(
            post(urlPathEqualTo("/orgs/acme/actions/runners/generate-jitconfig"))
                .atPriority(1)
                .willReturn(GitHubStub.jsonResponse(422, "{\"message\":\"Validation Failed\"}")));
    try (Connection c = f.svc.connect()) {
      // Holding the job's lock makes the claim's release wait out lock_timeout and fail, so it is
      // handed to the release-retry thread.
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement("select pg_advisory_xact_lock(300)")) {
        ps.execute();
      }
      assertThat(f.claim("one", one).statusCode()).isNotEqualTo(200);
      assertThat(releaseRetryThreadAlive()).isTrue();
      c.commit();
    }
    f.awaitStatus(300, "queued");

    f.close();

    await().atMost(Duration.ofSeconds(10)).until(() -> !releaseRetryThreadAlive());
  }

  private static boolean releaseRetryThreadAlive() {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.getName().equals("claim-release-retry") && t.isAlive());
  }

  private String runnerHolding(long job) throws Exception {
    return f.string(
        "select c.runner_name from jobs j join claims c on c.job_id = j.job_id and c.run_attempt = j.run_attempt and c.status in ('active', 'bound') where j.job_id = ?",
        job);
  }

  private long deadlocks() throws Exception {
    return Long.parseLong(
        f.string("select deadlocks from pg_stat_database where datname = current_database()"));
  }
}
