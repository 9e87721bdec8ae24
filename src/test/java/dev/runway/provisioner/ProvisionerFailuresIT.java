package dev.runway.provisioner;

import static dev.runway.provisioner.ProvisionerBed.ACME;
import static dev.runway.provisioner.ProvisionerBed.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One Pod per claim, and each way a runner Pod fails: the claim is released at once, the Pod, its
 * Secret and its GitHub registration are deleted, the failure is counted, and the job runs on the
 * next Pod.
 */
class ProvisionerFailuresIT {
  static final String POOL = "linux";

  @TempDir Path dir;
  ProvisionerBed bed;

  @AfterEach
  void tearDown() {
    if (bed != null) {
      bed.close();
    }
  }

  void start() throws Exception {
    bed = new ProvisionerBed(dir, Map.of());
    bed.account("acme", ACME, 10);
    bed.pool(POOL, List.of("linux"), Map.of("maxRunners", 5, "startTimeout", "30s"));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> bed.svc.metric("runway_pools{source=\"kubernetes\"}") == 1);
  }

  Pod awaitOnePod() {
    await().atMost(Duration.ofSeconds(20)).until(() -> bed.pods(POOL).size() == 1);
    return bed.pods(POOL).get(0);
  }

  /** The kubelet starts the Pod, GitHub gives its runner the job, the job completes. */
  void runToTheEnd(Pod pod, long jobId) throws Exception {
    String runner = pod.getMetadata().getName();
    bed.running(pod);
    bed.event("in_progress", jobId, "acme", ACME, runner, "linux");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> bed.state(ProvisionerBed.claimOf(pod)).equals("running"));
    bed.event("completed", jobId, "acme", ACME, runner, "linux");
    await().atMost(Duration.ofSeconds(20)).until(() -> bed.pods(POOL).isEmpty());
    assertThat(bed.state(ProvisionerBed.claimOf(pod))).isEqualTo("done");
    assertThat(bed.svc.text("select status from jobs where job_id = ?", jobId))
        .isEqualTo("completed");
    assertThat(bed.kube.secrets().inNamespace(NS).withName(runner).get()).isNull();
  }

  @Test
  void a_queued_job_becomes_one_pod_with_its_jit_config_in_a_secret_and_the_pod_goes_when_done()
      throws Exception {
    start();
    bed.event("queued", 501, "acme", ACME, null, "linux");

    Pod pod = awaitOnePod();
    long claim = ProvisionerBed.claimOf(pod);
    String name = pod.getMetadata().getName();
    assertThat(name).isEqualTo("runway-linux-" + claim);
    assertThat(bed.jobOf(claim)).isEqualTo(501);
    await().atMost(Duration.ofSeconds(10)).until(() -> bed.state(claim).equals("launching"));
    assertThat(pod.getSpec().getRestartPolicy()).isEqualTo("Never");
    assertThat(pod.getMetadata().getLabels())
        .containsEntry("runway.dev/pool", POOL)
        .containsEntry("runway.dev/claim", String.valueOf(claim))
        .containsEntry("team", "ci");
    assertThat(pod.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.getKind()).isEqualTo("RunnerPool");
              assertThat(o.getName()).isEqualTo(POOL);
              assertThat(o.getUid()).isEqualTo(bed.poolResource(POOL).getMetadata().getUid());
            });
    EnvVar jit =
        pod.getSpec().getContainers().get(0).getEnv().stream()
            .filter(e -> e.getName().equals("ACTIONS_RUNNER_INPUT_JITCONFIG"))
            .findFirst()
            .orElseThrow();
    assertThat(jit.getValue()).isNull();
    assertThat(jit.getValueFrom().getSecretKeyRef().getName()).isEqualTo(name);
    var secret = bed.kube.secrets().inNamespace(NS).withName(name).get();
    assertThat(secret.getMetadata().getOwnerReferences().get(0).getKind()).isEqualTo("Pod");
    assertThat(secret.getMetadata().getOwnerReferences().get(0).getUid())
        .isEqualTo(pod.getMetadata().getUid());
    assertThat(
            new String(
                java.util.Base64.getDecoder()
                    .decode(secret.getData().get(jit.getValueFrom().getSecretKeyRef().getKey()))))
        .isEqualTo(ProvisionerBed.JIT);

    runToTheEnd(pod, 501);
    // No JIT config in any log, Pod or pool status.
    assertThat(bed.logText()).doesNotContain(ProvisionerBed.JIT);
    assertThat(bed.poolResource(POOL).toString()).doesNotContain(ProvisionerBed.JIT);
  }

  static Stream<Arguments> failures() {
    BiConsumer<ProvisionerBed, Pod> timeout =
        (bed, pod) -> bed.clock.advance(Duration.ofSeconds(31));
    return Stream.of(
        Arguments.of(
            "image_pull",
            (BiConsumer<ProvisionerBed, Pod>) (b, p) -> b.waiting(p, "ImagePullBackOff")),
        Arguments.of(
            "image_pull", (BiConsumer<ProvisionerBed, Pod>) (b, p) -> b.waiting(p, "ErrImagePull")),
        Arguments.of(
            "create_container_config",
            (BiConsumer<ProvisionerBed, Pod>) (b, p) -> b.waiting(p, "CreateContainerConfigError")),
        Arguments.of(
            "exited_before_job", (BiConsumer<ProvisionerBed, Pod>) (b, p) -> b.terminated(p, 1)),
        Arguments.of(
            "runner_outdated", (BiConsumer<ProvisionerBed, Pod>) (b, p) -> b.terminated(p, 7)),
        Arguments.of("start_timeout", timeout),
        Arguments.of(
            "unschedulable",
            (BiConsumer<ProvisionerBed, Pod>)
                (b, p) -> {
                  b.unschedulable(p);
                  b.clock.advance(Duration.ofSeconds(31));
                }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("failures")
  void a_failed_pod_releases_its_claim_is_cleaned_up_and_the_job_runs_on_the_next_pod(
      String reason, BiConsumer<ProvisionerBed, Pod> kubelet) throws Exception {
    start();
    bed.event("queued", 601, "acme", ACME, null, "linux");
    Pod first = awaitOnePod();
    long claim = ProvisionerBed.claimOf(first);
    String name = first.getMetadata().getName();
    bed.stubRegistration("acme", POOL, claim);
    await().atMost(Duration.ofSeconds(10)).until(() -> bed.state(claim).equals("launching"));

    kubelet.accept(bed, first);

    await().atMost(Duration.ofSeconds(20)).until(() -> bed.state(claim).equals("failed:" + reason));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                bed.pods(POOL).size() == 1
                    && !bed.pods(POOL).get(0).getMetadata().getName().equals(name));
    assertThat(bed.kube.pods().inNamespace(NS).withName(name).get()).isNull();
    assertThat(bed.kube.secrets().inNamespace(NS).withName(name).get()).isNull();
    await().atMost(Duration.ofSeconds(10)).until(() -> bed.registrationDeletes("acme", claim) == 1);
    assertThat(
            bed.svc.metric(
                "runway_runner_launch_failures_total{pool=\"linux\",reason=\"" + reason + "\"}"))
        .isEqualTo(1);

    Pod second = bed.pods(POOL).get(0);
    assertThat(bed.jobOf(ProvisionerBed.claimOf(second))).isEqualTo(601);
    runToTheEnd(second, 601);
    assertThat(bed.svc.count("select count(*) from claims where job_id = 601")).isEqualTo(2);
  }
}
