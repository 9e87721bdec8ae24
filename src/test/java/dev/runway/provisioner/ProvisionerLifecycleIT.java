package dev.runway.provisioner;

import static dev.runway.provisioner.ProvisionerBed.ACME;
import static dev.runway.provisioner.ProvisionerBed.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runway.pools.KubernetesPoolSource;
import dev.runway.ui.UiClient;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Degraded pools, adoption after a restart, an API outage, pool deletion and scale-down. */
class ProvisionerLifecycleIT {
  static final String POOL = "linux";

  @TempDir Path dir;
  ProvisionerBed bed;

  @AfterEach
  void tearDown() {
    if (bed != null) {
      bed.close();
    }
  }

  void start(Map<String, Object> spec) throws Exception {
    bed = new ProvisionerBed(dir, Map.of());
    bed.account("acme", ACME, 50);
    bed.pool(POOL, List.of("linux"), spec);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> bed.svc.metric("runway_pools{source=\"kubernetes\"}") == 1);
  }

  void queue(long job) throws Exception {
    bed.event("queued", job, "acme", ACME, null, "linux");
  }

  Set<String> names() {
    return bed.pods(POOL).stream().map(p -> p.getMetadata().getName()).collect(Collectors.toSet());
  }

  Pod awaitNewPod(Set<String> before) {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> names().stream().anyMatch(n -> !before.contains(n)));
    return bed.pods(POOL).stream()
        .filter(p -> !before.contains(p.getMetadata().getName()))
        .findFirst()
        .orElseThrow();
  }

  Pod awaitPodOf(long job) {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> bed.pods(POOL).stream().anyMatch(p -> jobOfQuietly(p) == job));
    return bed.pods(POOL).stream().filter(p -> jobOfQuietly(p) == job).findFirst().orElseThrow();
  }

  long jobOfQuietly(Pod p) {
    try {
      return bed.jobOf(ProvisionerBed.claimOf(p));
    } catch (Exception e) {
      return -1;
    }
  }

  void bind(Pod pod, long job) throws Exception {
    bed.running(pod);
    bed.event("in_progress", job, "acme", ACME, pod.getMetadata().getName(), "linux");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> bed.state(ProvisionerBed.claimOf(pod)).equals("running"));
  }

  static final String DEGRADED = "runway_pool_degraded{pool=\"" + POOL + "\"}";

  /** The pool's {@code runway_pool_degraded} sample on the management port; null when absent. */
  Double degradedGauge() throws Exception {
    for (String line : bed.svc.get("/metrics").body().split("\n")) {
      if (line.startsWith(DEGRADED + " ")) {
        return Double.parseDouble(line.substring(DEGRADED.length() + 1).trim());
      }
    }
    return null;
  }

  @Test
  void
      five_failures_in_a_row_mark_the_pool_degraded_and_back_off_and_a_runner_that_comes_up_clears_it()
          throws Exception {
    start(Map.of("maxRunners", 3));
    queue(701);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      assertThat(bed.condition(POOL, "Degraded").get("status")).isNotEqualTo("True");
      Pod pod = awaitNewPod(seen);
      if (i == 0) {
        // This replica leads provisioning, so the series is there, at 0, before any failure.
        await()
            .atMost(Duration.ofSeconds(20))
            .until(() -> Double.valueOf(0).equals(degradedGauge()));
      }
      seen.add(pod.getMetadata().getName());
      bed.waiting(pod, "ImagePullBackOff");
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> !names().contains(pod.getMetadata().getName()));
    }

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> "True".equals(bed.condition(POOL, "Degraded").get("status")));
    Map<String, Object> degraded = bed.condition(POOL, "Degraded");
    assertThat(degraded.get("reason")).isEqualTo("ImagePull");
    assertThat((String) degraded.get("message"))
        .contains("5 launch failures in a row", "ImagePullBackOff");
    assertThat(bed.condition(POOL, "Ready").get("status")).isEqualTo("False");
    await().atMost(Duration.ofSeconds(20)).until(() -> Double.valueOf(1).equals(degradedGauge()));
    // The web UI reads the same state: a banner on every page, a mark on the pool's card.
    UiClient ui = new UiClient(bed.svc.adminBase());
    String session = ui.login(bed.svc.operatorToken());
    assertThat(ui.get("/ui", session).body())
        .contains("class=\"alert\"", "Pool linux is Degraded (5 launch failures in a row");
    assertThat(ui.get("/ui/pools", session).body())
        .contains("verdict-", " degraded\" id=\"pool-linux\"", ">Degraded</span>");
    // Backing off: no Pod until the backoff has passed on Runway's clock.
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(() -> names().isEmpty());

    bed.clock.advance(Duration.ofSeconds(11));
    Pod probe = awaitNewPod(seen);
    bed.running(probe);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> "False".equals(bed.condition(POOL, "Degraded").get("status")));
    assertThat(bed.condition(POOL, "Ready").get("status")).isEqualTo("True");
    await().atMost(Duration.ofSeconds(20)).until(() -> Double.valueOf(0).equals(degradedGauge()));
    assertThat(ui.get("/ui", session).body()).doesNotContain("is Degraded");
    assertThat(ui.get("/ui/pools", session).body()).doesNotContain(">Degraded</span>");
    assertThat(
            bed.svc.metric(
                "runway_runner_launch_failures_total{pool=\"linux\",reason=\"image_pull\"}"))
        .isEqualTo(5);
  }

  @Test
  void
      a_restart_adopts_the_pods_without_duplicates_releases_a_claim_whose_pod_is_gone_and_deletes_strays()
          throws Exception {
    start(Map.of("maxRunners", 5));
    queue(801);
    queue(802);
    queue(803);
    Pod bound = awaitPodOf(801);
    Pod idle = awaitPodOf(802);
    Pod lost = awaitPodOf(803);
    bind(bound, 801);
    bed.running(idle);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> bed.state(ProvisionerBed.claimOf(lost)).equals("launching"));

    bed.stopRunway();
    // While no Runway runs: someone deletes one Pod, and a Pod of a claim that never existed shows
    // up.
    bed.kube.pods().inNamespace(NS).withName(lost.getMetadata().getName()).delete();
    bed.kube
        .pods()
        .inNamespace(NS)
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("runway-linux-999999")
                .withLabels(Map.of("runway.dev/pool", POOL, "runway.dev/claim", "999999"))
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("runner")
                .withImage("x")
                .endContainer()
                .endSpec()
                .build())
        .create();
    Map<String, String> uidsBefore = uids();
    bed.startRunway();

    long lostClaim = ProvisionerBed.claimOf(lost);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> bed.state(lostClaim).equals("failed:pod_lost"));
    await().atMost(Duration.ofSeconds(30)).until(() -> !names().contains("runway-linux-999999"));
    Pod relaunched = awaitPodOf(803);
    assertThat(relaunched.getMetadata().getName()).isNotEqualTo(lost.getMetadata().getName());
    // The adopted Pods are the same objects: not deleted, not recreated.
    Map<String, String> uidsAfter = uids();
    assertThat(uidsAfter)
        .containsEntry(bound.getMetadata().getName(), uidsBefore.get(bound.getMetadata().getName()))
        .containsEntry(idle.getMetadata().getName(), uidsBefore.get(idle.getMetadata().getName()))
        .hasSize(3);
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(() -> bed.pods(POOL).size() == 3);
    assertThat(
            bed.svc.count(
                "select count(*) from (select job_id from claims where state in ('claimed','launching','running')"
                    + " group by job_id having count(*) > 1) d"))
        .isZero();
    assertThat(bed.svc.count("select count(*) from claims")).isEqualTo(4);
  }

  @Test
  void one_replica_provisions_and_another_takes_over_when_it_stops(@TempDir Path other)
      throws Exception {
    start(Map.of("maxRunners", 5));
    await().atMost(Duration.ofSeconds(10)).until(() -> bed.logLines("leads provisioning") == 1);
    dev.runway.testing.RunwayHarness second = bed.replica(other);
    queue(1201);
    queue(1202);
    Pod a = awaitPodOf(1201);
    Pod b = awaitPodOf(1202);
    bed.running(a);
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(() -> bed.pods(POOL).size() == 2);
    assertThat(bed.logLines("leads provisioning")).isEqualTo(1);

    bed.stopRunway();
    // The survivor serves from here on (and the bed closes it).
    bed.svc = second;
    await().atMost(Duration.ofSeconds(20)).until(() -> bed.logLines("leads provisioning") == 2);
    queue(1203);
    awaitPodOf(1203);
    // The Pods of the first leader are kept, not launched again.
    assertThat(names()).contains(a.getMetadata().getName(), b.getMetadata().getName()).hasSize(3);
    assertThat(bed.svc.count("select count(*) from claims")).isEqualTo(3);
  }

  /** The pool's status: idle, launching, running. */
  List<Object> statusCounts() {
    Object s = bed.poolResource(POOL).getAdditionalProperties().get("status");
    if (!(s instanceof Map<?, ?> m)) {
      return List.of();
    }
    return java.util.Arrays.asList(m.get("idle"), m.get("launching"), m.get("running"));
  }

  Map<String, String> uids() {
    Map<String, String> out = new HashMap<>();
    bed.pods(POOL).forEach(p -> out.put(p.getMetadata().getName(), p.getMetadata().getUid()));
    return out;
  }

  @Test
  void the_api_server_stopped_mid_burst_loses_nothing_and_intake_and_dispatch_carry_on()
      throws Exception {
    start(Map.of("maxRunners", 10));
    for (long j = 901; j <= 904; j++) {
      queue(j);
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> bed.pods(POOL).size() == 4);

    bed.stopApi();
    for (long j = 905; j <= 910; j++) {
      queue(j);
    }
    // Intake and dispatch do not need the API server: the jobs are queued in their pool.
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                bed.svc.count(
                        "select count(*) from jobs where job_id between 905 and 910 and pool = 'linux'")
                    == 6);

    bed.startApi();
    Set<String> ran = new HashSet<>();
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              for (Pod pod : bed.pods(POOL)) {
                if (ran.add(pod.getMetadata().getName())) {
                  long job = bed.jobOf(ProvisionerBed.claimOf(pod));
                  bed.running(pod);
                  bed.event("in_progress", job, "acme", ACME, pod.getMetadata().getName(), "linux");
                  bed.event("completed", job, "acme", ACME, pod.getMetadata().getName(), "linux");
                }
              }
              return bed.svc.count(
                      "select count(*) from jobs where job_id between 901 and 910 and status = 'completed'")
                  == 10;
            });
    assertThat(
            bed.svc.count(
                "select count(*) from claims where job_id between 901 and 910 and state = 'done'"))
        .isEqualTo(10);
    assertThat(bed.svc.count("select count(distinct job_id) from claims where state = 'done'"))
        .isEqualTo(10);
  }

  @Test
  void deleting_the_pool_deletes_its_pods_and_secrets() throws Exception {
    start(Map.of("maxRunners", 5));
    queue(1001);
    queue(1002);
    Pod bound = awaitPodOf(1001);
    Pod waiting = awaitPodOf(1002);
    bind(bound, 1001);
    assertThat(bed.kube.secrets().inNamespace(NS).list().getItems()).hasSize(2);

    bed.kube
        .genericKubernetesResources(KubernetesPoolSource.RUNNER_POOLS)
        .inNamespace(NS)
        .withName(POOL)
        .delete();

    await().atMost(Duration.ofSeconds(20)).until(() -> bed.pods().isEmpty());
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> bed.kube.secrets().inNamespace(NS).list().getItems().isEmpty());
    assertThat(bed.state(ProvisionerBed.claimOf(waiting))).isEqualTo("failed:stopped");
  }

  @Test
  void scale_down_removes_idle_runners_only_and_never_one_with_a_job() throws Exception {
    start(Map.of("maxRunners", 3));
    queue(1101);
    queue(1102);
    queue(1103);
    Pod busy = awaitPodOf(1101);
    Pod idle1 = awaitPodOf(1102);
    Pod idle2 = awaitPodOf(1103);
    bind(busy, 1101);
    bed.running(idle1);
    bed.running(idle2);
    await().atMost(Duration.ofSeconds(20)).until(() -> statusCounts().equals(List.of(2, 0, 1)));
    // Scale-down deletes a runner's GitHub registration before its Pod (GitHub refuses a busy one).
    bed.stubRegistration("acme", POOL, ProvisionerBed.claimOf(idle1));
    bed.stubRegistration("acme", POOL, ProvisionerBed.claimOf(idle2));

    bed.kube
        .genericKubernetesResources(KubernetesPoolSource.RUNNER_POOLS)
        .inNamespace(NS)
        .withName(POOL)
        .patch(
            io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
            "{\"spec\":{\"maxRunners\":1}}");

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> names().equals(Set.of(busy.getMetadata().getName())));
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(() -> names().equals(Set.of(busy.getMetadata().getName())));
    assertThat(bed.state(ProvisionerBed.claimOf(busy))).isEqualTo("running");
    assertThat(bed.state(ProvisionerBed.claimOf(idle1))).isEqualTo("failed:stopped");
    assertThat(bed.state(ProvisionerBed.claimOf(idle2))).isEqualTo("failed:stopped");
    await().atMost(Duration.ofSeconds(20)).until(() -> statusCounts().equals(List.of(0, 0, 1)));
    // Their jobs are claimable again, and wait for room under the lowered cap.
    assertThat(bed.svc.text("select status from jobs where job_id = 1102")).isEqualTo("queued");
  }
}
