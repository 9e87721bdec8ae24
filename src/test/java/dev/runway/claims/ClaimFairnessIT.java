package dev.runway.claims;

import static dev.runway.claims.ClaimsFixture.ACME;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.runway.repos.RepositoryShares;
import dev.runway.testing.Signed;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fair share by repository inside an account (issue 23), on real PostgreSQL through the service's
 * claim endpoint: one repository's backlog does not hold every runner of its account, weights tilt
 * the share, a repository's own cap holds under racing claimers, and completions free a share at
 * once.
 */
class ClaimFairnessIT {
  static final String POOLS =
      """
      pools:
        - name: linux
          labels: [linux]
      """;

  static final String RUNNING = "runway_repository_running{account=\"acme\",";

  @TempDir Path dir;
  ClaimsFixture f;
  String token;

  /** The repository of each job queued here, so the runner's events name the same one. */
  final Map<Long, String> repoOf = new ConcurrentHashMap<>();

  @BeforeEach
  void start() throws Exception {
    f = ClaimsFixture.start(dir, POOLS, Map.of());
  }

  @AfterEach
  void stop() {
    f.close();
  }

  @Test
  void a_backlog_in_one_repository_does_not_hold_every_runner_of_its_account() throws Exception {
    f.account("acme", ACME, 4);
    queue("big", 1000, 20);
    queue("small", 2000, 4);
    token = f.token("linux");

    List<Long> first = claim(4);

    assertThat(repos(first)).containsExactlyInAnyOrder("big", "big", "small", "small");
    // Inside a repository, jobs stay in age order.
    assertThat(first).contains(1000L, 1001L, 2000L, 2001L);
    assertThat(f.claim("linux", token).headers().firstValue("Runway-Claim-Result"))
        .hasValue("over_account_cap");

    // Completed jobs free their share at once: big's two completions put it below small.
    for (long job : first) {
      if (repoOf.get(job).equals("big")) {
        run(job);
      }
    }
    List<Long> next = claim(2);
    assertThat(repos(next)).containsExactly("big", "big");
    assertThat(next).containsExactly(1002L, 1003L);
  }

  @Test
  void a_weight_of_three_gives_three_runners_for_each_one_of_a_weight_of_one() throws Exception {
    f.account("acme", ACME, 4);
    String[] set = f.cli("repos", "set", "acme/small", "--weight", "3");
    assertThat(set[0]).as(set[2]).isEqualTo("0");
    queue("big", 1000, 20);
    queue("small", 2000, 4);
    token = f.token("linux");

    assertThat(repos(claim(4))).containsExactlyInAnyOrder("small", "small", "small", "big");
  }

  @Test
  void a_repository_at_its_own_cap_never_runs_more_even_with_sixteen_claimers_racing()
      throws Exception {
    f.account("acme", ACME, 10);
    String[] set = f.cli("repos", "set", "acme/big", "--max-concurrent", "1");
    assertThat(set[0]).as(set[2]).isEqualTo("0");
    queue("big", 1000, 12);
    queue("small", 2000, 12);
    token = f.token("linux");

    List<Long> violations = new CopyOnWriteArrayList<>();
    AtomicInteger samples = new AtomicInteger();
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
    sampler.scheduleWithFixedDelay(
        () -> {
          try {
            long big = bigRunning();
            samples.incrementAndGet();
            if (big > 1) {
              violations.add(big);
            }
          } catch (Exception e) {
            // A failed sample is no evidence either way; the next one counts.
          }
        },
        0,
        5,
        TimeUnit.MILLISECONDS);
    Set<Long> claimed = ConcurrentHashMap.newKeySet();
    Set<Long> done = ConcurrentHashMap.newKeySet();
    Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();
    ExecutorService agents = Executors.newFixedThreadPool(16);
    try {
      // Every agent claims at once first: big gets one runner, small the rest of the account.
      List<Future<?>> round = new ArrayList<>();
      for (int a = 0; a < 16; a++) {
        round.add(
            agents.submit(
                () -> {
                  HttpResponse<String> r = f.claim("linux", token);
                  if (r.statusCode() == 200) {
                    assertThat(claimed.add(f.body(r).at("/job/job_id").asLong())).isTrue();
                  } else {
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
                  }
                  return null;
                }));
      }
      for (Future<?> w : round) {
        w.get();
      }
      assertThat(claimed).hasSize(10);
      assertThat(claimed.stream().filter(j -> repoOf.get(j).equals("big"))).hasSize(1);
      try (Connection c = f.svc.connect()) {
        // The read the wait reasons use: big's queued jobs are held by its own cap, small's not.
        RepositoryShares shares = new RepositoryShares();
        long queuedBig =
            Long.parseLong(
                f.string(
                    "select min(job_id) from jobs where repository = 'acme/big'"
                        + " and status = 'queued'"));
        assertThat(shares.heldByRepositoryCap(c, queuedBig, 1)).isTrue();
        assertThat(shares.heldByRepositoryCap(c, 2011, 1)).isFalse();
      }

      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                assertThat(f.svc.metric(RUNNING + "repository=\"acme/big\"}")).isEqualTo(1);
                assertThat(f.svc.metric(RUNNING + "repository=\"acme/small\"}")).isEqualTo(9);
              });

      // Then every claimed job runs, and agents keep claiming until all 24 ran.
      List<Future<?>> workers = new ArrayList<>();
      for (long job : List.copyOf(claimed)) {
        workers.add(
            agents.submit(
                () -> {
                  run(job);
                  done.add(job);
                  return null;
                }));
      }
      for (Future<?> w : workers) {
        w.get(2, TimeUnit.MINUTES);
      }
      workers.clear();
      for (int a = 0; a < 16; a++) {
        workers.add(
            agents.submit(
                () -> {
                  while (done.size() < 24) {
                    HttpResponse<String> r = f.claim("linux", token);
                    if (r.statusCode() == 200) {
                      long job = f.body(r).at("/job/job_id").asLong();
                      assertThat(claimed.add(job)).as("job %d claimed twice", job).isTrue();
                      run(job);
                      done.add(job);
                    } else {
                      assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
                      answers
                          .computeIfAbsent(
                              r.headers().firstValue("Runway-Claim-Result").orElse("?"),
                              k -> new AtomicInteger())
                          .incrementAndGet();
                      if (claimed.size() == 24) {
                        return null;
                      }
                      int before = done.size();
                      await()
                          .atMost(Duration.ofSeconds(60))
                          .pollInterval(Duration.ofMillis(10))
                          .until(() -> done.size() > before || claimed.size() == 24);
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> w : workers) {
        w.get(3, TimeUnit.MINUTES);
      }
    } finally {
      agents.shutdownNow();
      sampler.shutdown();
      sampler.awaitTermination(10, TimeUnit.SECONDS);
    }

    assertThat(violations).as("samples with big over its cap of 1").isEmpty();
    assertThat(samples.get()).isGreaterThan(50);
    assertThat(f.svc.count("select count(*) from jobs where status = 'completed'")).isEqualTo(24);
    // While only big's jobs were left, claims were told why nothing was claimed.
    assertThat(answers).containsKey("repository_cap");
    assertThat(f.svc.metric("runway_claims_total{pool=\"linux\",result=\"repository_cap\"}"))
        .isPositive();
    // The series stay bounded: a repository with settings is exported at 0, one with neither
    // settings nor running jobs is dropped.
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              String metrics = f.svc.get("/metrics").body();
              assertThat(metrics).contains(RUNNING + "repository=\"acme/big\"} 0.0");
              assertThat(metrics).doesNotContain("repository=\"acme/small\"");
            });
  }

  private long bigRunning() throws Exception {
    return f.svc.count(
        "select count(*) from jobs where repository = 'acme/big'"
            + " and status in ('claimed', 'in_progress')");
  }

  /** Queues {@code n} jobs of {@code acme/<repo>}, ids from {@code first}, oldest first. */
  private void queue(String repo, long first, int n) throws Exception {
    for (int i = 0; i < n; i++) {
      long id = first + i;
      repoOf.put(id, repo);
      post("queued", id, null);
      // Age order is receipt order: each job is received after the one before.
      f.clock.advance(Duration.ofMillis(10));
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                f.svc.count(
                        "select count(*) from jobs where status = 'queued' and pool is not null"
                            + " and repository = ?",
                        "acme/" + repo)
                    == n);
  }

  private void post(String action, long jobId, String runner) throws Exception {
    String conclusion = action.equals("completed") ? "success" : null;
    String body =
        Signed.workflowJob(
                action, jobId, 1, "acme", ACME, runner, conclusion, "self-hosted", "linux")
            .replace(
                "\"name\":\"app\",\"full_name\":\"acme/app\"",
                "\"name\":\""
                    + repoOf.get(jobId)
                    + "\",\"full_name\":\"acme/"
                    + repoOf.get(jobId)
                    + "\"");
    int status = f.svc.post("workflow_job", UUID.randomUUID().toString(), body).statusCode();
    assertThat(status / 100).isEqualTo(2);
  }

  private final Map<Long, String> runners = new ConcurrentHashMap<>();

  /** {@code n} claims one after the other; each must claim a job. */
  private List<Long> claim(int n) throws Exception {
    List<Long> jobs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      HttpResponse<String> r = f.claim("linux", token);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      JsonNode body = f.body(r);
      long job = body.at("/job/job_id").asLong();
      runners.put(job, body.get("runner_name").asText());
      jobs.add(job);
    }
    return jobs;
  }

  private List<String> repos(List<Long> jobs) {
    return jobs.stream().map(repoOf::get).toList();
  }

  /** Plays the runner of a claimed job: in_progress, then completed, each waited for. */
  private void run(long job) throws Exception {
    String runner = runners.computeIfAbsent(job, j -> runnerOf(j));
    post("in_progress", job, runner);
    f.awaitStatus(job, "in_progress");
    post("completed", job, runner);
    f.awaitStatus(job, "completed");
  }

  private String runnerOf(long job) {
    try {
      return f.string(
          "select c.runner_name from claims c join jobs j on j.job_id = c.job_id and j.run_attempt = c.run_attempt and c.status in ('active', 'bound') where j.job_id = ?",
          job);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
