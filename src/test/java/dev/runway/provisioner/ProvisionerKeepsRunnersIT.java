package dev.runway.provisioner;

import static dev.runway.provisioner.ProvisionerBed.ACME;
import static dev.runway.provisioner.ProvisionerBed.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runway.platform.config.RunwayConfig;
import dev.runway.pools.KubernetesPoolSource;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runway's own bookkeeping never kills a runner that has a job (issue 20 items 2, 5d, 6c, 6d): the
 * lease, a scale-down and a claim that ended all ask first, and a Secret exists before its Pod.
 */
class ProvisionerKeepsRunnersIT {
  static final String POOL = "linux";
  static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  ProvisionerBed bed;

  @AfterEach
  void tearDown() {
    if (bed != null) {
      bed.close();
    }
  }

  void start(Map<String, Object> spec) throws Exception {
    bed = new ProvisionerBed(dir, Map.of(RunwayConfig.CLAIM_LEASE, "5s"));
    bed.account("acme", ACME, 50);
    bed.pool(POOL, List.of("linux"), spec);
    await().atMost(WAIT).until(() -> bed.svc.metric("runway_pools{source=\"kubernetes\"}") == 1);
  }

  void event(String action, long job, String runner) throws Exception {
    bed.event(action, job, "acme", ACME, runner, "linux");
  }

  Pod awaitPodOf(long job) {
    await().atMost(WAIT).until(() -> bed.pods(POOL).stream().anyMatch(p -> jobOfQuietly(p) == job));
    return bed.pods(POOL).stream().filter(p -> jobOfQuietly(p) == job).findFirst().orElseThrow();
  }

  long jobOfQuietly(Pod p) {
    try {
      return bed.jobOf(ProvisionerBed.claimOf(p));
    } catch (Exception e) {
      return -1;
    }
  }

  boolean exists(Pod pod) {
    Pod now = bed.kube.pods().inNamespace(NS).withName(pod.getMetadata().getName()).get();
    return now != null && now.getMetadata().getUid().equals(pod.getMetadata().getUid());
  }

  static String name(Pod p) {
    return p.getMetadata().getName();
  }

  @Test
  void a_running_pod_whose_in_progress_comes_20s_after_a_5s_lease_runs_its_job_to_completion()
      throws Exception {
    start(Map.of("maxRunners", 3));
    event("queued", 2001, null);
    Pod pod = awaitPodOf(2001);
    long claim = ProvisionerBed.claimOf(pod);
    bed.running(pod);
    // The provisioner reports the runner up once its Pod runs.
    await().atMost(WAIT).until(() -> bed.state(claim).equals("running"));

    // GitHub gave the runner the job; its in_progress is 20 s late, four times the lease.
    bed.clock.advance(Duration.ofSeconds(20));
    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(6))
        .until(
            () ->
                exists(pod)
                    && bed.state(claim).equals("running")
                    && bed.svc
                        .text("select status from claims where id = ?", claim)
                        .equals("active")
                    && bed.svc
                        .text("select status from jobs where job_id = 2001")
                        .equals("claimed"));
    event("in_progress", 2001, name(pod));
    await()
        .atMost(WAIT)
        .until(() -> bed.svc.text("select status from claims where id = ?", claim).equals("bound"));
    assertThat(exists(pod)).isTrue();

    bed.clock.advance(Duration.ofMinutes(30));
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(() -> exists(pod) && bed.state(claim).equals("running"));
    event("completed", 2001, name(pod));
    await().atMost(WAIT).until(() -> bed.state(claim).equals("done"));
    // Only now may it go: its claim ended, and GitHub no longer has its runner (404 by id).
    await().atMost(WAIT).until(() -> !exists(pod));
    // One claim, one Pod: the job was never handed to another runner.
    assertThat(bed.svc.count("select count(*) from claims where job_id = 2001")).isEqualTo(1);
    assertThat(bed.svc.text("select status from jobs where job_id = 2001")).isEqualTo("completed");
  }

  @Test
  void a_late_in_progress_revives_a_claim_its_lease_failed() throws Exception {
    start(Map.of("maxRunners", 1));
    event("queued", 2101, null);
    Pod pod = awaitPodOf(2101);
    long claim = ProvisionerBed.claimOf(pod);
    // Its Pod never reports running (the kubelet is slow): the lease ends the claim.
    bed.clock.advance(Duration.ofSeconds(20));
    await().atMost(WAIT).until(() -> bed.state(claim).equals("failed:lease_expired"));

    // And yet the runner took the job.
    event("in_progress", 2101, name(pod));
    await().atMost(WAIT).until(() -> bed.state(claim).equals("running"));
    assertThat(bed.svc.text("select status from claims where id = ?", claim)).isEqualTo("bound");
    assertThat(bed.svc.text("select status from jobs where job_id = 2101"))
        .isEqualTo("in_progress");
    assertThat(
            bed.svc.count(
                "select id from claims where job_id = 2101 and status in ('active', 'bound')"))
        .isEqualTo(claim);
    event("completed", 2101, name(pod));
    await().atMost(WAIT).until(() -> bed.state(claim).equals("done"));
  }

  @Test
  void scale_down_keeps_a_pod_github_says_is_busy_though_no_page_of_its_list_shows_it()
      throws Exception {
    start(Map.of("maxRunners", 3));
    event("queued", 2201, null);
    event("queued", 2202, null);
    Pod older = awaitPodOf(2201);
    Pod younger = awaitPodOf(2202);
    bed.running(older);
    bed.running(younger);
    long busy = ProvisionerBed.claimOf(younger);
    long idle = ProvisionerBed.claimOf(older);
    await().atMost(WAIT).until(() -> bed.state(busy).equals("running"));
    await().atMost(WAIT).until(() -> bed.state(idle).equals("running"));
    // The filtered list shows neither (the default stub); their own records say which is busy.
    bed.stubRunnerById("acme", busy, true);
    bed.stubRunnerById("acme", idle, false);

    bed.kube
        .genericKubernetesResources(KubernetesPoolSource.RUNNER_POOLS)
        .inNamespace(NS)
        .withName(POOL)
        .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"maxRunners\":1}}");

    // The youngest goes first, but GitHub says it is busy: the older, idle one goes instead.
    await().atMost(WAIT).until(() -> !exists(older));
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(() -> exists(younger) && bed.state(busy).equals("running"));
    assertThat(bed.state(idle)).isEqualTo("failed:stopped");
    assertThat(bed.registrationDeletes("acme", idle)).isGreaterThanOrEqualTo(1);
    assertThat(bed.registrationDeletes("acme", busy)).isZero();
    assertThat(bed.runnerLookups("acme", busy)).isGreaterThanOrEqualTo(1);
    assertThat(bed.svc.text("select status from claims where id = ?", busy)).isEqualTo("active");
  }

  @Test
  void a_pod_whose_claim_ended_is_kept_while_github_says_its_runner_is_busy() throws Exception {
    start(Map.of("maxRunners", 3));
    event("queued", 2301, null);
    Pod pod = awaitPodOf(2301);
    long claim = ProvisionerBed.claimOf(pod);
    bed.running(pod);
    await().atMost(WAIT).until(() -> bed.state(claim).equals("running"));
    event("in_progress", 2301, name(pod));
    await()
        .atMost(WAIT)
        .until(() -> bed.svc.text("select status from claims where id = ?", claim).equals("bound"));
    bed.stubRunnerById("acme", claim, true);
    // The job completed, and the claim with it; but GitHub says the runner is busy (it has
    // another job, or its answer lags): the Pod stays until GitHub says otherwise.
    event("completed", 2301, name(pod));
    await().atMost(WAIT).until(() -> bed.state(claim).equals("done"));
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> exists(pod));
    assertThat(bed.runnerLookups("acme", claim)).isGreaterThanOrEqualTo(1);

    // Once GitHub says it is idle, it goes.
    bed.stubRunnerById("acme", claim, false);
    bed.clock.advance(Duration.ofSeconds(11));
    await().atMost(WAIT).until(() -> !exists(pod));
  }

  @Test
  void the_secret_is_created_before_its_pod_and_removed_when_the_pod_is_not_created()
      throws Exception {
    start(Map.of("maxRunners", 1));
    // Claim ids start at 1: a stranger's Pod under the first claim's name makes that create fail.
    bed.kube
        .pods()
        .inNamespace(NS)
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("runway-linux-1")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("other")
                .withImage("x")
                .endContainer()
                .endSpec()
                .build())
        .create();
    drainRequests();

    event("queued", 2401, null);
    Pod pod = awaitPodOf(2401);
    long claim = ProvisionerBed.claimOf(pod);
    assertThat(claim).isNotEqualTo(1);
    assertThat(bed.state(1)).isEqualTo("failed:launch_error");
    assertThat(bed.kube.secrets().inNamespace(NS).withName("runway-linux-1").get()).isNull();
    await()
        .atMost(WAIT)
        .until(
            () -> {
              Secret s = bed.kube.secrets().inNamespace(NS).withName(name(pod)).get();
              return s != null
                  && s.getMetadata().getOwnerReferences().stream()
                      .map(OwnerReference::getUid)
                      .toList()
                      .equals(List.of(pod.getMetadata().getUid()));
            });
    List<String> creates = new ArrayList<>();
    for (RecordedRequest r : drainRequests()) {
      if (r.getMethod().equals("POST")
          && (r.getPath().endsWith("/secrets") || r.getPath().endsWith("/pods"))) {
        creates.add(r.getPath().endsWith("/secrets") ? "secret" : "pod");
      }
    }
    // The first claim's Secret, then its Pod (refused), then the second claim's, in that order.
    assertThat(creates).containsExactly("secret", "pod", "secret", "pod");
  }

  List<RecordedRequest> drainRequests() throws InterruptedException {
    List<RecordedRequest> out = new ArrayList<>();
    RecordedRequest r;
    while ((r = bed.api.takeRequest(200, TimeUnit.MILLISECONDS)) != null) {
      out.add(r);
    }
    return out;
  }
}
