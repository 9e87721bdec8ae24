package dev.runway.agent;

import static dev.runway.claims.ClaimsFixture.ACME;
import static dev.runway.claims.ClaimsFixture.JIT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runway.claims.ClaimsFixture;
import dev.runway.runners.PoolStartHealth;
import dev.runway.testing.RunwayHarness;
import dev.runway.testing.Signed;
import dev.runway.ui.UiClient;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real agent, in this JVM, against the real service (embedded PostgreSQL, WireMock as GitHub),
 * with {@link FakeRunner}'s shell script in place of the Actions runner. The test plays GitHub's
 * part: it sends each job's {@code in_progress} and {@code completed} naming the runner that took
 * it. After every test, nothing logged in this JVM (service and agent) holds the pool token or the
 * JIT config.
 */
class AgentIT {
  static final Duration LONG = Duration.ofSeconds(90);

  @TempDir Path dir;
  AgentTestBed bed;
  ClaimsFixture f;
  FakeRunner runner;
  String token;
  LogCapture logs;
  final List<Agent> agents = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    logs = new LogCapture();
    bed = new AgentTestBed(dir);
    f = bed.f;
    runner = bed.runner;
    token = bed.token;
  }

  @AfterEach
  void stop() throws Exception {
    try {
      for (Agent a : agents) {
        a.stopNow();
        a.await();
      }
      bed.close();
      String logged = logs.all();
      assertThat(logged).doesNotContain(token).doesNotContain(JIT);
      assertThat(logged).contains("runway agent starting");
    } finally {
      logs.close();
    }
  }

  private Agent agent(int slots, Duration jobTimeout, Duration drainTimeout, URI url) {
    return agent(slots, jobTimeout, drainTimeout, url, token, "linux");
  }

  private Agent agent(
      int slots, Duration jobTimeout, Duration drainTimeout, URI url, String tok, String pool) {
    Agent a =
        new Agent(
            new AgentSettings(
                url,
                pool,
                tok,
                runner.runnerDir,
                slots,
                dir.resolve("work-" + agents.size()),
                jobTimeout,
                drainTimeout,
                List.of("--disableupdate"),
                Duration.ofSeconds(5)));
    agents.add(a);
    return a.start();
  }

  private Agent agent(int slots) {
    return agent(slots, Duration.ofHours(1), Duration.ofMinutes(10), f.svc.base());
  }

  @Test
  void every_queued_job_runs_exactly_once_and_slots_are_never_exceeded() throws Exception {
    Agent a = agent(3);
    bed.queue(1001, 10);
    AtomicInteger most = new AtomicInteger();

    await()
        .atMost(LONG)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              int now = a.running();
              long alive = runner.count("start") - runner.count("done");
              long live =
                  bed.count("select count(*) from claims where state in ('launching', 'running')");
              assertThat(now).isLessThanOrEqualTo(3);
              assertThat(alive).isLessThanOrEqualTo(3);
              assertThat(live).isLessThanOrEqualTo(3);
              most.accumulateAndGet(now, Math::max);
              bed.playGitHub();
              return bed.count("select count(*) from jobs where status = 'completed'") == 10;
            });

    assertThat(most.get()).isBetween(1, 3);
    assertThat(runner.count("start")).isEqualTo(10);
    assertThat(runner.count("nojit") + runner.count("argv")).isZero();
    assertThat(runner.byClaim().values()).allSatisfy(v -> assertThat(v).containsOnlyOnce("start"));
    assertThat(bed.count("select count(*) from claims")).isEqualTo(10);
    assertThat(bed.count("select count(distinct job_id) from claims")).isEqualTo(10);
    await()
        .atMost(LONG)
        .until(() -> bed.count("select count(*) from claims where state = 'done'") == 10);
    // The runner got the agent's --runner-arg, and its directory is gone afterwards.
    assertThat(runner.lines())
        .allSatisfy(
            l -> {
              if (l[1].equals("start")) {
                assertThat(l).contains("--disableupdate");
              }
            });
    await().atMost(LONG).until(() -> a.running() == 0);
    try (var left = Files.list(dir.resolve("work-0"))) {
      assertThat(left).isEmpty();
    }
    assertThat(logs.all()).contains("[claim ").contains("runner config: <redacted>");
  }

  @Test
  void a_job_that_rewrites_run_sh_and_bin_cannot_change_what_the_next_job_runs() throws Exception {
    // A copy of the template as it was, to compare bytes with (Files.mismatch: -1 is identical).
    Path before = Files.createDirectories(dir.resolve("template-before/bin"));
    Path run = Files.copy(runner.runnerDir.resolve("run.sh"), before.resolveSibling("run.sh"));
    Path listener =
        Files.copy(runner.runnerDir.resolve("bin/Runner.Listener.dll"), before.resolve("l.dll"));
    runner.set("tamper");
    agent(1);
    bed.queue(1501, 3);

    await()
        .atMost(LONG)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              bed.playGitHub();
              return bed.count("select count(*) from jobs where status = 'completed'") == 3;
            });

    assertThat(runner.byClaim()).hasSize(3);
    for (long claim : runner.byClaim().keySet()) {
      assertThat(Files.mismatch(runner.rec.resolve("run.sh-claim-" + claim), run)).isEqualTo(-1);
      assertThat(Files.mismatch(runner.rec.resolve("listener-claim-" + claim), listener))
          .isEqualTo(-1);
    }
    assertThat(Files.mismatch(runner.runnerDir.resolve("run.sh"), run)).isEqualTo(-1);
    assertThat(Files.mismatch(runner.runnerDir.resolve("bin/Runner.Listener.dll"), listener))
        .isEqualTo(-1);
  }

  @Test
  void a_failing_start_frees_its_claim_and_the_next_attempt_runs_the_job() throws Exception {
    runner.set("fail-once");
    agent(1);
    bed.queue(2001, 1);

    await()
        .atMost(LONG)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              bed.playGitHub();
              return "completed".equals(f.status(2001));
            });

    assertThat(runner.count("failed")).isEqualTo(1);
    assertThat(runner.count("start")).isEqualTo(2);
    // Service time stands still in this test, so no lease ran out: the failed start's exit
    // released the claim, and the job went to the next claim.
    assertThat(
            f.string(
                "select string_agg(state || ':' || coalesce(state_reason, '-') || ':' || status,"
                    + " ',' order by id) from claims where job_id = 2001"))
        .isEqualTo("failed:exited_before_job:released,done:-:completed");
    assertThat(
            f.svc.metric(
                "runway_runner_launch_failures_total{pool=\"linux\",reason=\"exited_before_job\"}"))
        .isEqualTo(1);
  }

  @Test
  void repeated_failed_starts_back_off_and_mark_the_file_pool_degraded_until_a_runner_works()
      throws Exception {
    runner.set("fail-always");
    Agent a =
        new Agent(
            new AgentSettings(
                f.svc.base(),
                "linux",
                token,
                runner.runnerDir,
                3,
                dir.resolve("work-" + agents.size()),
                Duration.ofHours(1),
                Duration.ofMinutes(1),
                List.of("--disableupdate"),
                Duration.ofSeconds(5),
                null,
                Duration.ofMillis(100)));
    agents.add(a);
    a.start();
    bed.queue(2501, 2);
    UiClient ui = new UiClient(f.svc.adminBase());
    String session = ui.login(f.svc.operatorToken());

    await()
        .atMost(LONG)
        .until(() -> ui.get("/ui/pools", session).body().contains("runner fails to start"));

    String page = ui.get("/ui/pools", session).body();
    assertThat(page)
        .contains(">Degraded</span>", "verdict-runner-fails-to-start")
        .contains("starts in a row ended before a job, the last with exit code 2")
        .contains("Error: cannot load the runner with config &lt;redacted&gt;")
        .doesNotContain(JIT)
        .doesNotContain("starved");
    assertThat(ui.get("/ui", session).body()).contains("Pool linux is Degraded (runner fails");
    // Read from the database: a replica that saw none of the agent's events says the same.
    try (RunwayHarness replica = f.replica(Files.createDirectories(dir.resolve("replica")))) {
      UiClient other = new UiClient(replica.adminBase());
      assertThat(other.get("/ui/pools", other.login(replica.operatorToken())).body())
          .contains("runner fails to start", "the last with exit code 2");
    }
    // Every failed start is a failed claim with the runner's exit code, released for the next
    // (once its exited event is in: the agent keeps probing, one start per backoff).
    await()
        .atMost(LONG)
        .untilAsserted(
            () ->
                assertThat(bed.count("select count(*) from claims where state = 'failed'"))
                    .isEqualTo(runner.count("failed"))
                    .isGreaterThanOrEqualTo(PoolStartHealth.MAX_START_FAILURES));
    assertThat(
            bed.count(
                "select count(*) from claims where state = 'failed' and (exit_code <> 2"
                    + " or state_reason <> 'exited_before_job' or status <> 'released')"))
        .isZero();
    assertThat(bed.count("select count(*) from claims where stderr_line like '%" + JIT + "%'"))
        .isZero();
    // Nothing accepted is lost: both jobs still wait for a runner (queued, or claimed by the
    // agent's probe of the moment), and they run once the runner is fixed, below.
    assertThat(f.status(2501)).isIn("queued", "claimed");
    assertThat(f.status(2502)).isIn("queued", "claimed");

    // The runner directory is fixed: the next probe runs a job, and the pool is healthy again.
    Files.delete(runner.rec.resolve("fail-always"));
    await()
        .atMost(LONG)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              bed.playGitHub();
              return "completed".equals(f.status(2501)) && "completed".equals(f.status(2502));
            });
    assertThat(ui.get("/ui/pools", session).body())
        .doesNotContain("runner fails to start")
        .doesNotContain(">Degraded</span>");
  }

  @Test
  void a_hanging_runner_is_killed_with_its_children_at_the_job_timeout() throws Exception {
    runner.set("hang");
    agent(1, Duration.ofSeconds(2), Duration.ofMinutes(10), f.svc.base());
    bed.queue(3001, 1);

    await()
        .atMost(LONG)
        .until(
            () ->
                "failed:job_timeout"
                    .equals(
                        f.string(
                            "select state || ':' || state_reason from claims where job_id = 3001"
                                + " order by id limit 1")));

    long script = -1;
    long child = -1;
    for (String[] l : runner.lines()) {
      if (l[1].equals("start")) {
        script = Long.parseLong(l[2]);
      } else if (l[1].equals("child")) {
        child = Long.parseLong(l[2]);
      }
    }
    assertThat(script).isPositive();
    assertThat(child).isPositive();
    long scriptPid = script;
    long childPid = child;
    await().atMost(LONG).until(() -> FakeRunner.gone(scriptPid));
    await().atMost(LONG).until(() -> FakeRunner.gone(childPid));

    // The job was released; once the runner behaves, it runs.
    Files.delete(runner.rec.resolve("hang"));
    await()
        .atMost(LONG)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              bed.playGitHub();
              return "completed".equals(f.status(3001));
            });
  }

  @Test
  void draining_stops_claiming_and_lets_running_jobs_finish() throws Exception {
    Agent a = agent(2);
    bed.queue(4001, 2);
    await().atMost(LONG).until(() -> runner.count("start") == 2);

    a.drain();
    f.queued(4003, "acme", ACME, "linux");
    bed.playGitHub();

    assertThat(a.await()).isZero();
    assertThat(runner.count("done")).isEqualTo(2);
    assertThat(runner.count("start")).isEqualTo(2);
    assertThat(f.status(4003)).isEqualTo("queued");
    assertThat(
            bed.count("select count(*) from claims where job_id = 4003 and status <> 'released'"))
        .isZero();
  }

  @Test
  void a_drain_that_runs_out_kills_the_runner_and_reports_it() throws Exception {
    Agent a = agent(1, Duration.ofHours(1), Duration.ofSeconds(1), f.svc.base());
    bed.queue(5001, 1);
    await().atMost(LONG).until(() -> runner.count("start") == 1);
    long claim = runner.byClaim().keySet().iterator().next();

    a.drain();

    assertThat(a.await()).isZero();
    // It said it was running a job, so the claim is done, not failed, and the job stays claimed
    // until GitHub says what became of it.
    await()
        .atMost(LONG)
        .until(() -> "done".equals(f.string("select state from claims where id = ?", claim)));
    assertThat(f.string("select job_started from claims where id = ?", claim)).isEqualTo("t");
    long script = Long.parseLong(runner.lines().get(0)[2]);
    await().atMost(LONG).until(() -> FakeRunner.gone(script));
  }

  @Test
  void two_agents_on_one_pool_never_run_one_claim_twice() throws Exception {
    agent(2);
    agent(2);
    bed.queue(6001, 12);

    await()
        .atMost(LONG)
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              bed.playGitHub();
              return bed.count("select count(*) from jobs where status = 'completed'") == 12;
            });

    assertThat(runner.byClaim()).hasSize(12);
    assertThat(runner.byClaim().values()).allSatisfy(v -> assertThat(v).containsOnlyOnce("start"));
    assertThat(bed.count("select count(distinct job_id) from claims")).isEqualTo(12);
    assertThat(runner.count("start")).isEqualTo(12);
  }

  @Test
  void a_long_polling_agent_gets_a_job_queued_through_another_replica() throws Exception {
    Path other = Files.createDirectories(dir.resolve("replica"));
    try (RunwayHarness replica = f.replica(other)) {
      agent(1);
      await().atMost(LONG).until(() -> f.svc.metric("runway_claim_waiters") == 1);

      String body = Signed.workflowJob("queued", 7001, 1, "acme", ACME, null, null, "linux");
      assertThat(replica.post("workflow_job", UUID.randomUUID().toString(), body).statusCode())
          .isEqualTo(202);

      await()
          .atMost(LONG)
          .pollInterval(Duration.ofMillis(50))
          .until(
              () -> {
                bed.playGitHub();
                return "completed".equals(f.status(7001));
              });
      assertThat(runner.count("start")).isEqualTo(1);
    }
  }

  @Test
  void a_wrong_token_stops_the_agent_with_exit_code_1() throws Exception {
    Agent wrongToken =
        agent(1, Duration.ofHours(1), Duration.ofMinutes(1), f.svc.base(), "rwy_wrong", "linux");

    assertThat(wrongToken.await()).isEqualTo(1);
    assertThat(logs.all()).doesNotContain("rwy_wrong");
    assertThat(logs.all()).contains("Runway refused the token for pool linux");
  }

  @Test
  void a_pool_runway_does_not_know_is_retried_with_why_until_the_agent_drains() throws Exception {
    // A live token of a pool the pool source does not list (yet): a 404, which used to stop the
    // agent for good. Now it is retried with backoff, like any other "not now".
    String goneToken = f.token("nosuch");
    Agent wrongPool =
        agent(1, Duration.ofHours(1), Duration.ofMinutes(1), f.svc.base(), goneToken, "nosuch");

    await()
        .atMost(LONG)
        .until(() -> logs.all().split("Runway does not know pool nosuch", -1).length > 2);
    wrongPool.drain();

    assertThat(wrongPool.await()).isZero();
    assertThat(logs.all()).doesNotContain(goneToken).contains("may not exist yet");
  }

  @Test
  void an_unreachable_runway_is_retried_until_the_agent_drains() throws Exception {
    URI closed = URI.create("http://127.0.0.1:" + dev.runway.testing.ServiceProcess.freePort());
    Agent a = agent(1, Duration.ofHours(1), Duration.ofMinutes(1), closed);

    await().atMost(LONG).until(() -> logs.all().split("cannot reach Runway", -1).length > 3);
    a.drain();

    assertThat(a.await()).isZero();
  }
}
