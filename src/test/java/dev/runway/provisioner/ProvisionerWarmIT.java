package dev.runway.provisioner;

import static com.github.tomakehurst.wiremock.client.WireMock.delete;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.runway.provisioner.ProvisionerBed.ACME;
import static dev.runway.provisioner.ProvisionerBed.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.github.AppJwtSigner;
import dev.runway.platform.github.GitHubClient;
import dev.runway.platform.github.GitHubStub;
import dev.runway.pools.KubernetesPoolSource;
import dev.runway.runners.OrphanedRunners;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Warm runners ({@code minIdle}): claims with no job whose Pods wait for work, registered for the
 * accounts that used the pool lately, bound to a job by the {@code in_progress} naming them.
 */
class ProvisionerWarmIT {
  static final String POOL = "warm";
  static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;
  ProvisionerBed bed;

  @AfterEach
  void tearDown() {
    if (bed != null) {
      bed.close();
    }
  }

  void start(Map<String, Object> spec) throws Exception {
    start(spec, Map.of());
  }

  void start(Map<String, Object> spec, Map<String, String> env) throws Exception {
    bed = new ProvisionerBed(dir, env);
    bed.account("acme", ACME, 50);
    bed.pool(POOL, List.of("linux"), spec);
    await().atMost(WAIT).until(() -> bed.svc.metric("runway_pools{source=\"kubernetes\"}") == 1);
  }

  void event(String action, long job, String runner) throws Exception {
    bed.event(action, job, "acme", ACME, runner, "linux");
  }

  boolean warm(Pod pod) {
    try {
      return bed.svc.count("select count(*) from claims where id = ? and warm", claimOf(pod)) == 1;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  static long claimOf(Pod pod) {
    return ProvisionerBed.claimOf(pod);
  }

  static String name(Pod pod) {
    return pod.getMetadata().getName();
  }

  List<Pod> warmPods() {
    return bed.pods(POOL).stream().filter(this::warm).collect(Collectors.toList());
  }

  Set<String> names() {
    return bed.pods(POOL).stream().map(ProvisionerWarmIT::name).collect(Collectors.toSet());
  }

  /** Runs job {@code job} on a Pod of its own to the end: the account has used the pool lately. */
  void runOneJob(long job) throws Exception {
    event("queued", job, null);
    await()
        .atMost(WAIT)
        .until(() -> bed.svc.count("select count(*) from claims where job_id = ?", job) == 1);
    long claim = bed.svc.count("select id from claims where job_id = ?", job);
    Pod pod = awaitPod(claim);
    bed.running(pod);
    event("in_progress", job, name(pod));
    event("completed", job, name(pod));
    await().atMost(WAIT).until(() -> !names().contains(name(pod)));
  }

  Pod awaitPod(long claim) {
    await().atMost(WAIT).until(() -> bed.pods(POOL).stream().anyMatch(p -> claimOf(p) == claim));
    return bed.pods(POOL).stream().filter(p -> claimOf(p) == claim).findFirst().orElseThrow();
  }

  /** Waits for {@code n} warm Pods, marks them running, and waits until the pool counts them. */
  List<Pod> awaitIdleWarm(int n) throws Exception {
    await().atMost(WAIT).until(() -> warmPods().size() == n);
    List<Pod> pods = warmPods();
    for (Pod p : pods) {
      if (p.getStatus() == null || !"Running".equals(p.getStatus().getPhase())) {
        bed.running(p);
      }
    }
    for (Pod p : pods) {
      await().atMost(WAIT).until(() -> bed.state(claimOf(p)).equals("running"));
    }
    return pods;
  }

  @SuppressWarnings("unchecked")
  Object status(String field) {
    Object s = bed.poolResource(POOL).getAdditionalProperties().get("status");
    return s instanceof Map<?, ?> m ? ((Map<String, Object>) m).get(field) : null;
  }

  @Test
  void min_idle_two_keeps_two_warm_pods_registered_for_the_account_that_used_the_pool()
      throws Exception {
    start(Map.of("minIdle", 2, "maxRunners", 10));
    // Nobody used the pool yet: no warm runner, and the status says why.
    await()
        .atMost(WAIT)
        .until(() -> "NoRecentAccount".equals(bed.condition(POOL, "Warm").get("reason")));
    assertThat(bed.condition(POOL, "Warm").get("status")).isEqualTo("False");
    assertThat((String) bed.condition(POOL, "Warm").get("message")).contains("last 24h");
    assertThat(bed.pods(POOL)).isEmpty();

    runOneJob(1);
    List<Pod> warm = awaitIdleWarm(2);
    // Not more across many cycles (200 ms each).
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(() -> names().size() == 2);

    Set<String> registered = new HashSet<>();
    for (LoggedRequest r : bed.github.requestsTo("/orgs/acme/actions/runners/generate-jitconfig")) {
      registered.add(r.getBodyAsString().replaceAll(".*\"name\"\\s*:\\s*\"([^\"]+)\".*", "$1"));
    }
    assertThat(bed.github.authRejections()).isEmpty();
    for (Pod p : warm) {
      long claim = claimOf(p);
      assertThat(name(p)).isEqualTo("runway-warm-" + claim);
      assertThat(registered).contains(name(p));
      assertThat(bed.kube.secrets().inNamespace(NS).withName(name(p)).get()).isNotNull();
      assertThat(bed.svc.text("select runner_owner from claims where id = ?", claim))
          .isEqualTo("acme");
      assertThat(
              bed.svc.count(
                  "select count(*) from claims c join accounts a on a.id = c.account_id"
                      + " where c.id = ? and a.login = 'acme' and c.job_id is null",
                  claim))
          .isEqualTo(1);
    }
    await().atMost(WAIT).until(() -> Integer.valueOf(2).equals(status("idle")));
    await().atMost(WAIT).until(() -> "True".equals(bed.condition(POOL, "Warm").get("status")));
    await()
        .atMost(WAIT)
        .until(() -> bed.svc.metric("runway_runners{pool=\"warm\",state=\"idle\"}") == 2);
    assertThat(bed.svc.metric("runway_runners{pool=\"warm\",state=\"running\"}")).isZero();
    // The JIT config is in the Secrets only.
    assertThat(bed.logText()).doesNotContain(ProvisionerBed.JIT);
    assertThat(bed.poolResource(POOL).toString()).doesNotContain(ProvisionerBed.JIT);
    for (Pod p : bed.pods(POOL)) {
      assertThat(p.toString()).doesNotContain(ProvisionerBed.JIT);
    }
  }

  @Test
  void a_job_queued_while_warm_runners_wait_starts_no_pod_and_binds_to_the_runner_that_took_it()
      throws Exception {
    start(Map.of("minIdle", 2, "maxRunners", 10));
    runOneJob(1);
    List<Pod> warm = awaitIdleWarm(2);
    long jobClaims = bed.svc.count("select count(*) from claims where not warm");

    event("queued", 2, null);
    // The claim transaction hands the job to an idle warm runner of acme: no Pod for it.
    await()
        .atMost(WAIT)
        .until(
            () ->
                bed.svc.count(
                        "select count(*) from jobs j join claims c on c.job_id = j.job_id and c.run_attempt = j.run_attempt and c.status in ('active', 'bound')"
                            + " where j.job_id = 2 and j.status = 'claimed' and c.warm")
                    == 1);
    long handed =
        bed.svc.count("select id from claims where job_id = 2 and status in ('active', 'bound')");
    Pod taker = warm.stream().filter(p -> claimOf(p) == handed).findFirst().orElseThrow();
    Pod other = warm.stream().filter(p -> claimOf(p) != handed).findFirst().orElseThrow();

    event("in_progress", 2, name(taker));
    await().atMost(WAIT).until(() -> bed.state(handed).equals("running"));
    assertThat(bed.svc.text("select status from claims where id = ?", handed)).isEqualTo("bound");
    assertThat(bed.jobOf(handed)).isEqualTo(2);
    // One idle runner is left, so a replacement warm Pod comes, and no job Pod.
    List<Pod> replacement = awaitIdleWarm(3);
    assertThat(replacement).hasSize(3);
    assertThat(bed.svc.count("select count(*) from claims where not warm")).isEqualTo(jobClaims);

    // GitHub gives job 3 to another idle runner than the one Runway handed it to: the
    // in_progress binds it to the runner that took it, and the other is idle again.
    event("queued", 3, null);
    await()
        .atMost(WAIT)
        .until(() -> bed.svc.count("select count(*) from claims where job_id = 3") == 1);
    long expected =
        bed.svc.count("select id from claims where job_id = 3 and status in ('active', 'bound')");
    Pod actual =
        replacement.stream()
            .filter(p -> claimOf(p) != expected && claimOf(p) != handed)
            .findFirst()
            .orElseThrow();
    event("in_progress", 3, name(actual));
    await().atMost(WAIT).until(() -> bed.jobOf(claimOf(actual)) == 3);
    assertThat(bed.state(claimOf(actual))).isEqualTo("running");
    assertThat(
            bed.svc.count("select count(*) from claims where id = ? and job_id is null", expected))
        .isEqualTo(1);
    assertThat(
            bed.svc.count(
                "select id from claims where job_id = 3 and status in ('active', 'bound')"))
        .isEqualTo(claimOf(actual));

    event("completed", 2, name(taker));
    await().atMost(WAIT).until(() -> bed.state(handed).equals("done"));
    await().atMost(WAIT).until(() -> !names().contains(name(taker)));
    assertThat(bed.svc.count("select count(*) from claims where not warm")).isEqualTo(jobClaims);
    assertThat(other).isNotNull();
  }

  @Test
  void warm_runners_count_against_max_runners_and_waiting_jobs_get_the_room_first()
      throws Exception {
    start(Map.of("minIdle", 2, "maxRunners", 3));
    AtomicInteger most = new AtomicInteger();
    event("queued", 1, null);
    await()
        .atMost(WAIT)
        .until(
            () -> {
              most.accumulateAndGet(bed.pods(POOL).size(), Math::max);
              return bed.pods(POOL).size() == 3 && warmPods().size() == 2;
            });
    long first = bed.svc.count("select id from claims where job_id = 1");
    Pod jobPod = awaitPod(first);
    bed.running(jobPod);
    awaitIdleWarm(2);

    for (long j = 2; j <= 4; j++) {
      event("queued", j, null);
    }
    // Jobs 2 and 3 go to the warm runners; job 4 waits: the pool is at its cap.
    await()
        .atMost(WAIT)
        .until(
            () ->
                bed.svc.count(
                        "select count(*) from jobs j join claims c on c.job_id = j.job_id and c.run_attempt = j.run_attempt and c.status in ('active', 'bound')"
                            + " where j.job_id in (2, 3) and j.status = 'claimed' and c.warm")
                    == 2);
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              most.accumulateAndGet(bed.pods(POOL).size(), Math::max);
              return bed.pods(POOL).size() == 3;
            });
    assertThat(bed.svc.text("select status from jobs where job_id = 4")).isEqualTo("queued");

    // Job 1 ends: its room goes to job 4, not to a new warm runner.
    event("in_progress", 1, name(jobPod));
    event("completed", 1, name(jobPod));
    await()
        .atMost(WAIT)
        .until(
            () -> {
              most.accumulateAndGet(bed.pods(POOL).size(), Math::max);
              return bed.svc.count("select count(*) from claims where job_id = 4 and not warm")
                  == 1;
            });
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              most.accumulateAndGet(bed.pods(POOL).size(), Math::max);
              return bed.pods(POOL).size() == 3;
            });
    assertThat(most.get()).isEqualTo(3);
    assertThat(
            bed.svc.count(
                "select count(*) from claims where warm and status = 'active' and job_id is null"))
        .isZero();
  }

  @Test
  void a_warm_pod_that_cannot_pull_its_image_is_released_and_failures_make_the_pool_degraded()
      throws Exception {
    start(Map.of("minIdle", 1, "maxRunners", 5, "maxLaunchFailures", 2));
    runOneJob(1);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 2; i++) {
      await().atMost(WAIT).until(() -> warmPods().stream().anyMatch(p -> !seen.contains(name(p))));
      Pod pod = warmPods().stream().filter(p -> !seen.contains(name(p))).findFirst().orElseThrow();
      seen.add(name(pod));
      long claim = claimOf(pod);
      bed.stubRegistration("acme", POOL, claim);
      bed.waiting(pod, "ImagePullBackOff");
      await().atMost(WAIT).until(() -> !names().contains(name(pod)));
      assertThat(bed.state(claim)).isEqualTo("failed:image_pull");
      assertThat(bed.svc.text("select status from claims where id = ?", claim))
          .isEqualTo("released");
      await().atMost(WAIT).until(() -> bed.registrationDeletes("acme", claim) == 1);
      assertThat(bed.kube.secrets().inNamespace(NS).withName(name(pod)).get()).isNull();
    }
    await().atMost(WAIT).until(() -> "True".equals(bed.condition(POOL, "Degraded").get("status")));
    assertThat(bed.condition(POOL, "Degraded").get("reason")).isEqualTo("ImagePull");
    assertThat(
            bed.svc.metric(
                "runway_runner_launch_failures_total{pool=\"warm\",reason=\"image_pull\"}"))
        .isEqualTo(2);
    // Backing off: no new warm Pod until the backoff passed on Runway's clock.
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(() -> warmPods().isEmpty());
    assertThat(bed.logText()).doesNotContain(ProvisionerBed.JIT);
  }

  /** Runner registration lookups answer, and GitHub refuses the delete: the runner is busy. */
  void stubBusyRegistration(long claimId) {
    long runnerId = 100_000 + claimId;
    String name = "runway-" + POOL + "-" + claimId;
    bed.github
        .server()
        .stubFor(
            get(urlPathEqualTo("/orgs/acme/actions/runners"))
                .withQueryParam("name", equalTo(name))
                .willReturn(
                    GitHubStub.jsonResponse(
                        200,
                        "{\"total_count\":1,\"runners\":[{\"id\":"
                            + runnerId
                            + ",\"name\":\""
                            + name
                            + "\",\"status\":\"online\",\"busy\":false}]}")));
    bed.github
        .server()
        .stubFor(
            delete(urlPathEqualTo("/orgs/acme/actions/runners/" + runnerId))
                .willReturn(
                    WireMock.aResponse()
                        .withStatus(422)
                        .withHeader("Content-Type", "application/json")
                        .withBody(
                            "{\"message\":\"Bad request - Runner is currently running a job\"}")));
  }

  @Test
  void lowering_min_idle_removes_idle_runners_only_never_a_busy_one_or_one_with_a_job()
      throws Exception {
    start(Map.of("minIdle", 3, "maxRunners", 10));
    runOneJob(1);
    List<Pod> warm = awaitIdleWarm(3);
    event("queued", 2, null);
    await()
        .atMost(WAIT)
        .until(() -> bed.svc.count("select count(*) from claims where job_id = 2 and warm") == 1);
    long handed =
        bed.svc.count("select id from claims where job_id = 2 and status in ('active', 'bound')");
    Pod withJob = warm.stream().filter(p -> claimOf(p) == handed).findFirst().orElseThrow();
    event("in_progress", 2, name(withJob));
    await().atMost(WAIT).until(() -> bed.state(handed).equals("running"));
    List<Pod> all = awaitIdleWarm(4);
    List<Pod> idle =
        all.stream()
            .filter(p -> claimOf(p) != handed)
            .sorted((a, b) -> Long.compare(claimOf(b), claimOf(a)))
            .collect(Collectors.toList());
    assertThat(idle).hasSize(3);
    // The youngest idle one has just been handed a job by GitHub: its delete is refused.
    Pod busy = idle.get(0);
    stubBusyRegistration(claimOf(busy));
    for (Pod p : idle.subList(1, 3)) {
      bed.stubRegistration("acme", POOL, claimOf(p));
    }
    Map<String, String> uids = new HashMap<>();
    bed.pods(POOL).forEach(p -> uids.put(name(p), p.getMetadata().getUid()));

    bed.kube
        .genericKubernetesResources(KubernetesPoolSource.RUNNER_POOLS)
        .inNamespace(NS)
        .withName(POOL)
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"minIdle\":1}}");

    Set<String> kept = Set.of(name(withJob), name(busy));
    Set<String> gone = Set.of(name(idle.get(1)), name(idle.get(2)));
    // The busy one is no longer counted idle, so one new warm runner may start for minIdle 1.
    await()
        .atMost(WAIT)
        .until(() -> names().containsAll(kept) && names().stream().noneMatch(gone::contains));
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                names().containsAll(kept)
                    && names().stream().noneMatch(gone::contains)
                    && names().size() <= kept.size() + 1);
    for (Pod p : idle.subList(1, 3)) {
      assertThat(bed.state(claimOf(p))).isEqualTo("failed:stopped");
      assertThat(bed.registrationDeletes("acme", claimOf(p))).isGreaterThanOrEqualTo(1);
    }
    assertThat(bed.state(handed)).isEqualTo("running");
    // Retired before its registration's delete, which GitHub refused: the Pod stays, and the
    // in_progress of the job GitHub handed it revives the claim.
    assertThat(bed.state(claimOf(busy))).isEqualTo("failed:stopped");
    event("queued", 3, null);
    event("in_progress", 3, name(busy));
    await().atMost(WAIT).until(() -> bed.state(claimOf(busy)).equals("running"));
    assertThat(bed.svc.text("select status from claims where id = ?", claimOf(busy)))
        .isEqualTo("bound");
    assertThat(names()).contains(name(busy));
    // The kept Pods are the same objects.
    bed.pods(POOL).stream()
        .filter(p -> kept.contains(name(p)))
        .forEach(p -> assertThat(p.getMetadata().getUid()).isEqualTo(uids.get(name(p))));
  }

  @Test
  void a_restart_adopts_the_warm_pods_without_starting_more() throws Exception {
    start(Map.of("minIdle", 2, "maxRunners", 10));
    runOneJob(1);
    awaitIdleWarm(2);
    Map<String, String> uids = new HashMap<>();
    bed.pods(POOL).forEach(p -> uids.put(name(p), p.getMetadata().getUid()));
    long claims = bed.svc.count("select count(*) from claims");

    bed.stopRunway();
    bed.startRunway();
    await().atMost(WAIT).until(() -> bed.logLines("leads provisioning") >= 2);
    await().atMost(WAIT).until(() -> Integer.valueOf(2).equals(status("idle")));
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(6))
        .until(() -> names().equals(uids.keySet()));
    bed.pods(POOL).forEach(p -> assertThat(p.getMetadata().getUid()).isEqualTo(uids.get(name(p))));
    assertThat(bed.svc.count("select count(*) from claims")).isEqualTo(claims);
    assertThat(
            bed.svc.count(
                "select count(*) from claims where warm and status = 'active' and state = 'running'"))
        .isEqualTo(2);
  }

  @Test
  void a_handed_job_that_is_cancelled_or_outlives_its_lease_leaves_the_warm_runner_idle()
      throws Exception {
    start(Map.of("minIdle", 1, "maxRunners", 5), Map.of(RunwayConfig.CLAIM_LEASE, "1m"));
    runOneJob(1);
    // This test is about the lease alone: from now on GitHub does not answer runner lookups, so
    // no surplus idle runner is scaled down meanwhile (Runway keeps a runner it cannot ask about).
    bed.github
        .server()
        .stubFor(
            get(urlPathEqualTo("/orgs/acme/actions/runners"))
                .atPriority(1)
                .willReturn(WireMock.aResponse().withStatus(404)));
    Pod w = awaitIdleWarm(1).get(0);
    long claim = claimOf(w);

    event("queued", 2, null);
    await().atMost(WAIT).until(() -> bed.jobOf(claim) == 2);
    // Cancelled while queued: completed, with no runner.
    event("completed", 2, null);
    await()
        .atMost(WAIT)
        .until(
            () ->
                bed.svc.count(
                        "select count(*) from claims where id = ? and job_id is null"
                            + " and status = 'active'",
                        claim)
                    == 1);
    assertThat(bed.state(claim)).isEqualTo("running");
    assertThat(bed.svc.text("select status from jobs where job_id = 2")).isEqualTo("completed");
    assertThat(names()).contains(name(w));

    event("queued", 3, null);
    await()
        .atMost(WAIT)
        .until(
            () ->
                bed.svc.count(
                        "select count(*) from jobs j join claims c on c.job_id = j.job_id and c.run_attempt = j.run_attempt and c.status in ('active', 'bound')"
                            + " where j.job_id = 3 and j.status = 'claimed' and c.warm")
                    == 1);
    long holder =
        bed.svc.count("select id from claims where job_id = 3 and status in ('active', 'bound')");
    // No runner takes it within the lease: the job is claimable again, the runner idle again.
    bed.clock.advance(Duration.ofMinutes(2));
    await().atMost(WAIT).until(() -> bed.logLines("did not take job 3/1 within its lease") >= 1);
    assertThat(bed.state(holder)).isIn("launching", "running");
    assertThat(bed.svc.text("select status from claims where id = ?", holder)).isEqualTo("active");
    assertThat(names()).contains("runway-warm-" + holder);
    // Nothing is lost: job 3 is queued or handed again, never dropped.
    assertThat(bed.svc.text("select status from jobs where job_id = 3")).isIn("queued", "claimed");
    assertThat(bed.svc.count("select count(*) from claims where state = 'failed'")).isZero();
  }

  @Test
  void the_orphaned_runner_reconciler_leaves_idle_warm_runners_alone() throws Exception {
    start(Map.of("minIdle", 2, "maxRunners", 5));
    runOneJob(1);
    List<Pod> warm = awaitIdleWarm(2);
    StringBuilder list = new StringBuilder("{\"total_count\":3,\"runners\":[");
    long id = 500;
    for (Pod p : warm) {
      // Offline in GitHub's list, as a runner may show between its start and its first poll.
      list.append("{\"id\":")
          .append(id++)
          .append(",\"name\":\"")
          .append(name(p))
          .append("\",\"status\":\"offline\",\"busy\":false},");
    }
    list.append("{\"id\":599,\"name\":\"runway-warm-999999\",\"status\":\"offline\",")
        .append("\"busy\":false}]}");
    bed.github
        .server()
        .stubFor(
            get(urlPathEqualTo("/orgs/acme/actions/runners"))
                .withQueryParam("page", equalTo("1"))
                .atPriority(1)
                .willReturn(GitHubStub.jsonResponse(200, list.toString())));
    // The orphan is deleted only after its own record (by id) says offline and not busy.
    bed.github
        .server()
        .stubFor(
            get(urlPathEqualTo("/orgs/acme/actions/runners/599"))
                .willReturn(
                    GitHubStub.jsonResponse(
                        200,
                        "{\"id\":599,\"name\":\"runway-warm-999999\",\"status\":\"offline\","
                            + "\"busy\":false}")));
    for (long r = 500; r <= 599; r++) {
      bed.github
          .server()
          .stubFor(
              delete(urlPathEqualTo("/orgs/acme/actions/runners/" + r))
                  .willReturn(WireMock.aResponse().withStatus(204)));
    }
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setUrl(bed.svc.jdbcUrl);
    ds.setUser("postgres");
    ds.setPassword("postgres");
    GitHubClient gh =
        GitHubClient.builder(
                new AppJwtSigner(
                    ProvisionerBed.APP_ID, ProvisionerBed.KEYS.privateKey(), bed.clock))
            .apiUrl(bed.github.apiUrl())
            .clock(bed.clock)
            .build();

    assertThat(new OrphanedRunners(ds, gh, bed.clock).run()).isEqualTo(1);
    assertThat(
            bed.github.count(
                com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor(
                    urlPathEqualTo("/orgs/acme/actions/runners/599"))))
        .isEqualTo(1);
    for (long r = 500; r < 502; r++) {
      assertThat(
              bed.github.count(
                  com.github.tomakehurst.wiremock.client.WireMock.deleteRequestedFor(
                      urlPathEqualTo("/orgs/acme/actions/runners/" + r))))
          .isZero();
    }
    assertThat(names()).containsAll(warm.stream().map(ProvisionerWarmIT::name).toList());
  }

  @Test
  void github_refusing_a_warm_runner_releases_its_claim_and_the_next_attempt_starts_one()
      throws Exception {
    start(Map.of("minIdle", 1, "maxRunners", 5));
    bed.github
        .server()
        .stubFor(
            WireMock.post(urlPathEqualTo("/orgs/acme/actions/runners/generate-jitconfig"))
                .withRequestBody(
                    WireMock.matchingJsonPath("$.name", WireMock.matching("runway-warm-[0-9]+")))
                .withRequestBody(WireMock.notContaining("\"runway-warm-1\""))
                .atPriority(1)
                .willReturn(
                    WireMock.aResponse()
                        .withStatus(403)
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"message\":\"Resource not accessible by integration\"}")));
    runOneJob(1);
    // GitHub refuses every warm runner: each claim is released at once, no Pod is made.
    await()
        .atMost(WAIT)
        .until(() -> "Unavailable".equals(bed.condition(POOL, "Warm").get("reason")));
    assertThat(
            bed.svc.count(
                "select count(*) from claims where warm and state = 'failed'"
                    + " and state_reason = 'github_error' and status = 'released'"))
        .isGreaterThanOrEqualTo(1);
    assertThat(bed.svc.count("select count(*) from claims where warm and status = 'active'"))
        .isZero();
    assertThat(warmPods()).isEmpty();
    assertThat(bed.svc.text("select status from jobs where job_id = 1")).isEqualTo("completed");

    // GitHub answers again: after the pause the next attempt starts a warm runner.
    bed.github.server().resetMappings();
    bed.github.stubInstallationToken(ACME);
    bed.github.stubOrgJitConfig("acme", 1, ProvisionerBed.JIT);
    awaitIdleWarm(1);
    await().atMost(WAIT).until(() -> "True".equals(bed.condition(POOL, "Warm").get("status")));
  }

  @Test
  void a_warm_pod_deleted_while_runway_was_down_is_released_and_replaced_once() throws Exception {
    start(Map.of("minIdle", 2, "maxRunners", 10));
    runOneJob(1);
    List<Pod> warm = awaitIdleWarm(2);
    Pod gone = warm.get(0);
    Pod stays = warm.get(1);

    bed.stopRunway();
    bed.kube.pods().inNamespace(NS).withName(name(gone)).delete();
    bed.startRunway();

    await().atMost(WAIT).until(() -> bed.state(claimOf(gone)).equals("failed:pod_lost"));
    await().atMost(WAIT).until(() -> warmPods().size() == 2);
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(() -> warmPods().size() == 2);
    assertThat(names()).contains(name(stays)).doesNotContain(name(gone));
    assertThat(
            bed.svc.count(
                "select count(*) from claims where warm and state in ('claimed', 'launching',"
                    + " 'running')"))
        .isEqualTo(2);
  }
}
