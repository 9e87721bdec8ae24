package dev.runway.claims;

import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runway.platform.github.GitHubStub;
import dev.runway.testing.PostgresProcess;
import dev.runway.testing.ServiceProcess;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drill 6 of docs/reliability.md: PostgreSQL is killed mid-stream while GitHub answers 5xx to every
 * runner registration; runner agents keep claiming. Once both are back, every job is claimed
 * exactly once, with no manual step.
 */
class ClaimsOutageDrillIT {
  static final String JIT_PATH = "/orgs/acme/actions/runners/generate-jitconfig";
  static final String POOLS = "pools:\n  - name: linux\n    labels: [linux, x64]\n";

  @TempDir Path dir;
  PostgresProcess pg;
  ClaimsFixture f;

  @AfterEach
  void tearDown() throws Exception {
    if (f != null) {
      f.close();
    }
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  void claims_recover_by_themselves_after_postgres_dies_and_github_answers_5xx() throws Exception {
    pg = new PostgresProcess(dir.resolve("pg"), ServiceProcess.freePort()).start();
    f = ClaimsFixture.start(dir, POOLS, Map.of("RUNWAY_INTAKE_BUDGET", "500ms"), pg.jdbcUrl());
    f.account("acme", ClaimsFixture.ACME, 100_000);
    String token = f.token("linux");
    // GitHub is down for runner registrations until the test says otherwise.
    f.github
        .server()
        .stubFor(
            post(urlPathEqualTo(JIT_PATH))
                .atPriority(1)
                .willReturn(GitHubStub.jsonResponse(503, "{\"message\":\"Service Unavailable\"}")));

    int jobs = Integer.getInteger("drill.min", 150);
    AtomicBoolean stop = new AtomicBoolean();
    ConcurrentHashMap<Long, Integer> claimedJobs = new ConcurrentHashMap<>();
    ConcurrentHashMap<Integer, AtomicInteger> answers = new ConcurrentHashMap<>();
    CompletableFuture<Void> agent =
        CompletableFuture.runAsync(
            () -> {
              while (!stop.get()) {
                try {
                  HttpResponse<String> r = f.claim("linux", token);
                  answers
                      .computeIfAbsent(r.statusCode(), k -> new AtomicInteger())
                      .incrementAndGet();
                  if (r.statusCode() == 200) {
                    claimedJobs.merge(f.body(r).at("/job/job_id").asLong(), 1, Integer::sum);
                  }
                } catch (Exception e) {
                  answers.computeIfAbsent(-1, k -> new AtomicInteger()).incrementAndGet();
                }
              }
            });

    for (int i = 0; i < jobs; i++) {
      if (i == jobs / 3) {
        pg.kill();
      }
      if (i == 2 * jobs / 3) {
        pg.start();
      }
      f.queue(70_000 + i, "acme", ClaimsFixture.ACME, "linux", "x64");
    }
    // Agents have been hammering a GitHub that answers 503: nothing may be claimed yet.
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> answers.getOrDefault(502, new AtomicInteger()).get() >= 5);
    assertThat(claimedJobs).isEmpty();

    f.github
        .server()
        .removeStub(
            f.github.server().getStubMappings().stream()
                .filter(m -> m.getPriority() != null && m.getPriority() == 1)
                .findFirst()
                .orElseThrow());
    await().atMost(Duration.ofSeconds(120)).until(() -> claimedJobs.size() == jobs);
    stop.set(true);
    agent.get();

    assertThat(claimedJobs.values()).allMatch(n -> n == 1);
    assertThat(
            Long.parseLong(
                f.string("select count(*) from jobs where job_id >= 70000 and status = 'claimed'")))
        .isEqualTo(jobs);
    System.out.printf(
        "DRILL github-5xx-and-postgres-kill acknowledged=%d non2xx=0 stored=%s via_spool=%s jobs=%d lost=%d duplicated=%d answers=%s%n",
        jobs,
        f.string("select count(*) from inbox where workflow_job_id >= 70000"),
        f.string("select count(*) from inbox where workflow_job_id >= 70000 and via_spool"),
        claimedJobs.size(),
        jobs - claimedJobs.size(),
        claimedJobs.values().stream().mapToInt(n -> n - 1).sum(),
        answers);
  }
}
