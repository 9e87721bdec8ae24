package dev.runway.claims;

import static dev.runway.claims.ClaimsFixture.ACME;
import static dev.runway.claims.ClaimsFixture.GLOBEX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * Many agents claiming at once never push an account past {@code max_concurrent} or a pool past
 * {@code maxRunners}, and slots freed by completed jobs are claimed again.
 */
class ClaimCapsIT {
  static final String POOLS =
      """
      pools:
        - name: capped
          labels: [linux, capped]
          maxRunners: 3
        - name: open
          labels: [linux, open]
      """;
  static final int ACCOUNT_CAP = 5;
  static final int POOL_CAP = 3;

  @TempDir Path dir;
  ClaimsFixture f;
  String cappedToken;
  String openToken;

  @BeforeEach
  void start() throws Exception {
    f = ClaimsFixture.start(dir, POOLS, Map.of());
    f.account("acme", ACME, ACCOUNT_CAP);
    f.account("globex", GLOBEX, ACCOUNT_CAP);
  }

  @AfterEach
  void stop() {
    f.close();
  }

  /** One sample of what the caps count: claimed plus in-progress jobs. */
  record Sample(long capped, long acme, long globex) {}

  private Sample sample() throws Exception {
    try (Connection c = f.svc.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "select count(*) filter (where j.pool = 'capped'),"
                    + " count(*) filter (where a.login = 'acme'),"
                    + " count(*) filter (where a.login = 'globex')"
                    + " from jobs j join accounts a on a.id = j.account_id"
                    + " where j.status in ('claimed', 'in_progress')");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return new Sample(rs.getLong(1), rs.getLong(2), rs.getLong(3));
    }
  }

  @Test
  void sixteen_agents_never_exceed_the_caps_and_reuse_the_slots_completions_free()
      throws Exception {
    // 100 jobs: acme has 40 in the capped pool and 30 in the open one, globex 30 in the open one.
    for (int i = 0; i < 100; i++) {
      long id = 5000 + i;
      if (i < 40) {
        f.queue(id, "acme", ACME, "self-hosted", "linux", "capped");
      } else if (i < 70) {
        f.queue(id, "acme", ACME, "self-hosted", "linux", "open");
      } else {
        f.queue(id, "globex", GLOBEX, "self-hosted", "linux", "open");
      }
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                f.svc.count(
                        "select count(*) from jobs where status = 'queued' and pool is not null")
                    == 100);
    cappedToken = f.token("capped");
    openToken = f.token("open");

    // A separate thread samples the counts every few milliseconds for the whole run.
    List<Sample> violations = new CopyOnWriteArrayList<>();
    AtomicInteger samples = new AtomicInteger();
    ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor();
    sampler.scheduleWithFixedDelay(
        () -> {
          try {
            Sample s = sample();
            samples.incrementAndGet();
            if (s.capped() > POOL_CAP || s.acme() > ACCOUNT_CAP || s.globex() > ACCOUNT_CAP) {
              violations.add(s);
            }
          } catch (Exception e) {
            // A failed sample is no evidence either way; the next one counts.
          }
        },
        0,
        5,
        TimeUnit.MILLISECONDS);

    // Phase 1: agents claim at once, and no runner starts, so the caps fill and then hold.
    // First only the capped pool's agents, so its cap is the one that binds: 3 of acme's 5.
    // Then all 16: acme gets 2 more in the open pool, and globex its 5.
    Set<Long> claimed = ConcurrentHashMap.newKeySet();
    Map<Long, String> runners = new ConcurrentHashMap<>();
    ExecutorService agents = Executors.newFixedThreadPool(16);
    try {
      claimAtOnce(agents, 8, 0, claimed, runners);
      assertThat(sample()).isEqualTo(new Sample(POOL_CAP, POOL_CAP, 0));
      assertThat(f.svc.metric("runway_claims_total{pool=\"capped\",result=\"over_pool_cap\"}"))
          .isPositive();

      claimAtOnce(agents, 8, 8, claimed, runners);
      assertThat(sample()).isEqualTo(new Sample(POOL_CAP, ACCOUNT_CAP, ACCOUNT_CAP));
      assertThat(claimed).hasSize(2 * ACCOUNT_CAP);
      assertThat(f.svc.metric("runway_claims_total{pool=\"open\",result=\"over_account_cap\"}"))
          .isPositive();

      // Phase 2: every claimed job runs and completes; agents keep claiming until all 100 ran.
      Set<Long> done = ConcurrentHashMap.newKeySet();
      List<Future<?>> workers = new ArrayList<>();
      for (long job : List.copyOf(claimed)) {
        workers.add(
            agents.submit(
                () -> {
                  run(job, runners.get(job), done);
                  return null;
                }));
      }
      for (Future<?> w : workers) {
        w.get();
      }
      workers.clear();
      for (int a = 0; a < 16; a++) {
        String pool = a % 2 == 0 ? "capped" : "open";
        String token = pool.equals("capped") ? cappedToken : openToken;
        workers.add(
            agents.submit(
                () -> {
                  while (done.size() < 100) {
                    HttpResponse<String> r = f.claim(pool, token);
                    if (r.statusCode() == 200) {
                      JsonNode body = f.body(r);
                      long job = body.at("/job/job_id").asLong();
                      assertThat(claimed.add(job)).as("job %d claimed twice", job).isTrue();
                      run(job, body.get("runner_name").asText(), done);
                    } else if (!claimedAllOf(pool)) {
                      // Wait for a completion to free a slot, without spinning on the endpoint.
                      int before = done.size();
                      await()
                          .atMost(Duration.ofSeconds(60))
                          .pollInterval(Duration.ofMillis(20))
                          .until(() -> done.size() > before || claimedAllOf(pool));
                    } else {
                      return null;
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

    assertThat(violations).as("samples over a cap").isEmpty();
    assertThat(samples.get()).isGreaterThan(100);
    assertThat(f.svc.count("select count(*) from jobs where status = 'completed'")).isEqualTo(100);
    assertThat(f.svc.count("select count(*) from claims where status = 'completed'"))
        .isEqualTo(100);
  }

  /** Agents of each pool claim five times each, all at once. */
  private void claimAtOnce(
      ExecutorService pool, int capped, int open, Set<Long> claimed, Map<Long, String> runners)
      throws Exception {
    List<Future<?>> rounds = new ArrayList<>();
    for (int a = 0; a < capped + open; a++) {
      String name = a < capped ? "capped" : "open";
      String token = a < capped ? cappedToken : openToken;
      rounds.add(
          pool.submit(
              () -> {
                for (int k = 0; k < 5; k++) {
                  HttpResponse<String> r = f.claim(name, token);
                  if (r.statusCode() == 200) {
                    JsonNode body = f.body(r);
                    long job = body.at("/job/job_id").asLong();
                    assertThat(claimed.add(job)).as("job %d claimed twice", job).isTrue();
                    runners.put(job, body.get("runner_name").asText());
                  } else {
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
                  }
                }
                return null;
              }));
    }
    for (Future<?> round : rounds) {
      round.get();
    }
  }

  private boolean claimedAllOf(String pool) throws Exception {
    return f.svc.count(
            "select count(*) from jobs where pool = ? and status in ('queued', 'claimed')", pool)
        == 0;
  }

  /** Plays the runner: in_progress, then completed, each waited for, like GitHub's order. */
  private void run(long job, String runner, Set<Long> done) throws Exception {
    String owner = job < 5070 ? "acme" : "globex";
    long inst = job < 5070 ? ACME : GLOBEX;
    String label = job < 5040 ? "capped" : "open";
    f.event("in_progress", job, owner, inst, runner, "self-hosted", "linux", label);
    f.awaitStatus(job, "in_progress");
    f.event("completed", job, owner, inst, runner, "self-hosted", "linux", label);
    f.awaitStatus(job, "completed");
    done.add(job);
  }
}
