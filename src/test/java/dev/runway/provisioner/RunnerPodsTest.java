package dev.runway.provisioner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.runway.claims.RunnerLoss;
import dev.runway.runners.ClaimEvent.FailureReason;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunnerPodsTest {

  static ProvisionedPool example() throws Exception {
    try (InputStream in =
        Files.newInputStream(Path.of("deploy/examples/runnerpool-kubernetes.yaml"))) {
      GenericKubernetesResource r = Serialization.unmarshal(in, GenericKubernetesResource.class);
      r.getMetadata().setUid("uid-1");
      return ProvisionedPool.of(r).orElseThrow();
    }
  }

  @Test
  void the_example_pool_is_provisioned_with_the_defaults() throws Exception {
    ProvisionedPool p = example();

    assertThat(p.name()).isEqualTo("linux-x64");
    assertThat(p.maxRunners()).isEqualTo(20);
    assertThat(p.minIdle()).isZero();
    assertThat(p.startTimeout()).isEqualTo(Duration.ofMinutes(5));
    assertThat(p.maxLaunchFailures()).isEqualTo(5);
  }

  @Test
  void a_pool_without_template_is_not_provisioned_and_a_bad_template_is_refused() {
    assertThat(ProvisionedPool.of(pool(Map.of("labels", List.of("a"))))).isEmpty();
    assertThatThrownBy(
            () ->
                ProvisionedPool.of(
                    pool(
                        Map.of(
                            "labels",
                            List.of("a"),
                            "template",
                            Map.of(
                                "spec",
                                Map.of(
                                    "containers",
                                    List.of(Map.of("name", "main", "image", "x"))))))))
        .hasMessageContaining("container named \"runner\"");
    assertThatThrownBy(
            () ->
                ProvisionedPool.of(
                    pool(
                        Map.of(
                            "labels",
                            List.of("a"),
                            "startTimeout",
                            "soon",
                            "template",
                            Map.of(
                                "spec",
                                Map.of(
                                    "containers",
                                    List.of(Map.of("name", "runner", "image", "x"))))))))
        .hasMessageContaining("startTimeout");
  }

  static GenericKubernetesResource pool(Map<String, Object> spec) {
    return new GenericKubernetesResourceBuilder()
        .withNewMetadata()
        .withName("p")
        .endMetadata()
        .withAdditionalProperties(Map.of("spec", spec))
        .build();
  }

  @Test
  void the_pod_never_restarts_takes_the_jit_config_from_its_secret_and_is_owned_by_the_pool()
      throws Exception {
    ProvisionedPool pool = example();

    Pod pod = RunnerPods.pod(pool, 42, "runway-linux-x64-42", 7);

    assertThat(pod.getSpec().getRestartPolicy()).isEqualTo("Never");
    assertThat(pod.getMetadata().getLabels())
        .containsEntry("runway.dev/pool", "linux-x64")
        .containsEntry("runway.dev/claim", "42")
        .containsEntry("app.kubernetes.io/name", "github-runner");
    assertThat(pod.getMetadata().getOwnerReferences().get(0).getUid()).isEqualTo("uid-1");
    var env = pod.getSpec().getContainers().get(0).getEnv();
    assertThat(env)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getName()).isEqualTo("ACTIONS_RUNNER_INPUT_JITCONFIG");
              assertThat(e.getValue()).isNull();
              assertThat(e.getValueFrom().getSecretKeyRef().getName())
                  .isEqualTo("runway-linux-x64-42");
            });
    // The cached template is not changed by building a Pod from it.
    assertThat(pool.template().getSpec().getRestartPolicy()).isNull();
    assertThat(pool.template().getSpec().getContainers().get(0).getEnv()).isNullOrEmpty();
  }

  @Test
  void the_pod_status_says_what_the_runner_did() {
    assertThat(RunnerPods.verdict(pod(null))).isEqualTo(new RunnerPods.Pending(false));
    assertThat(
            RunnerPods.verdict(
                pod(
                    new PodStatusBuilder()
                        .withPhase("Pending")
                        .withConditions(
                            new PodConditionBuilder()
                                .withType("PodScheduled")
                                .withStatus("False")
                                .withReason("Unschedulable")
                                .build())
                        .build())))
        .isEqualTo(new RunnerPods.Pending(true));
    assertThat(
            RunnerPods.verdict(
                pod(
                    container(
                        "Running",
                        new ContainerStateBuilder().withNewRunning().endRunning().build()))))
        .isEqualTo(new RunnerPods.Up());
    assertThat(
            RunnerPods.verdict(
                pod(
                    container(
                        "Failed",
                        new ContainerStateBuilder()
                            .withNewTerminated()
                            .withExitCode(7)
                            .endTerminated()
                            .build()))))
        .isEqualTo(new RunnerPods.Finished(7));
    assertThat(RunnerPods.verdict(pod(new PodStatusBuilder().withPhase("Succeeded").build())))
        .isEqualTo(new RunnerPods.Finished(0));
    assertThat(waiting("ErrImagePull")).isEqualTo(FailureReason.IMAGE_PULL);
    assertThat(waiting("ImagePullBackOff")).isEqualTo(FailureReason.IMAGE_PULL);
    assertThat(waiting("CreateContainerConfigError"))
        .isEqualTo(FailureReason.CREATE_CONTAINER_CONFIG);
    // ContainerCreating is an ordinary wait, judged by startTimeout only.
    assertThat(
            RunnerPods.verdict(
                pod(
                    container(
                        "Pending",
                        new ContainerStateBuilder()
                            .withNewWaiting()
                            .withReason("ContainerCreating")
                            .endWaiting()
                            .build()))))
        .isEqualTo(new RunnerPods.Pending(false));
  }

  @Test
  void a_runner_that_exits_by_itself_is_not_lost_one_the_kernel_or_the_cluster_ended_is() {
    assertThat(RunnerPods.lossOf(pod(terminated(0, "Completed")))).isEmpty();
    assertThat(RunnerPods.lossOf(pod(terminated(1, "Error")))).isEmpty();
    assertThat(RunnerPods.lossOf(pod(terminated(128, "Error")))).isEmpty();
    assertThat(RunnerPods.lossOf(pod(terminated(137, "OOMKilled"))))
        .contains(RunnerLoss.OOM_KILLED);
    assertThat(RunnerPods.lossOf(pod(terminated(143, "Error")))).contains(RunnerLoss.SIGNAL);
    var evicted = new PodStatusBuilder().withPhase("Failed").withReason("Evicted").build();
    assertThat(RunnerPods.lossOf(pod(evicted))).contains(RunnerLoss.EVICTED);
    var nodeLost = new PodStatusBuilder().withPhase("Failed").withReason("NodeLost").build();
    assertThat(RunnerPods.lossOf(pod(nodeLost))).contains(RunnerLoss.NODE_LOST);
    var disrupted = terminated(137, "Error");
    disrupted.setConditions(
        List.of(new PodConditionBuilder().withType("DisruptionTarget").withStatus("True").build()));
    assertThat(RunnerPods.lossOf(pod(disrupted))).contains(RunnerLoss.EVICTED);
  }

  private static io.fabric8.kubernetes.api.model.PodStatus terminated(int code, String reason) {
    return container(
        code == 0 ? "Succeeded" : "Failed",
        new ContainerStateBuilder()
            .withNewTerminated()
            .withExitCode(code)
            .withReason(reason)
            .endTerminated()
            .build());
  }

  private static FailureReason waiting(String reason) {
    return ((RunnerPods.Broken)
            RunnerPods.verdict(
                pod(
                    container(
                        "Pending",
                        new ContainerStateBuilder()
                            .withNewWaiting()
                            .withReason(reason)
                            .endWaiting()
                            .build()))))
        .reason();
  }

  private static io.fabric8.kubernetes.api.model.PodStatus container(
      String phase, io.fabric8.kubernetes.api.model.ContainerState state) {
    return new PodStatusBuilder()
        .withPhase(phase)
        .withContainerStatuses(
            new ContainerStatusBuilder().withName("runner").withState(state).build())
        .build();
  }

  private static Pod pod(io.fabric8.kubernetes.api.model.PodStatus status) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("p")
        .endMetadata()
        .withStatus(status)
        .build();
  }
}
