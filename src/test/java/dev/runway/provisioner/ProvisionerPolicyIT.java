package dev.runway.provisioner;

import static dev.runway.provisioner.ProvisionerBed.ACME;
import static dev.runway.provisioner.ProvisionerBed.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.runway.pools.KubernetesPoolSource;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RUNWAY_POD_POLICY at work on a running service: a refused template is a {@code Valid} condition
 * on the RunnerPool, and Pods keep coming from the last valid template.
 */
class ProvisionerPolicyIT {
  static final String POOL = "linux";

  @TempDir Path dir;
  ProvisionerBed bed;

  @AfterEach
  void tearDown() {
    if (bed != null) {
      bed.close();
    }
  }

  /** The provisioner writes the pool's status meanwhile: an edit that meets its write retries. */
  void editRunnerContainer(Map<String, Object> securityContext) {
    await()
        .atMost(Duration.ofSeconds(20))
        .ignoreExceptions()
        .until(
            () -> {
              tryEditRunnerContainer(securityContext);
              return true;
            });
  }

  @SuppressWarnings("unchecked")
  void tryEditRunnerContainer(Map<String, Object> securityContext) {
    bed.client()
        .genericKubernetesResources(KubernetesPoolSource.RUNNER_POOLS)
        .inNamespace(NS)
        .withName(POOL)
        .edit(
            r -> {
              Map<String, Object> spec =
                  new java.util.LinkedHashMap<>(
                      (Map<String, Object>) r.getAdditionalProperties().get("spec"));
              Map<String, Object> template =
                  new java.util.LinkedHashMap<>((Map<String, Object>) spec.get("template"));
              Map<String, Object> podSpec =
                  new java.util.LinkedHashMap<>((Map<String, Object>) template.get("spec"));
              Map<String, Object> runner =
                  new java.util.LinkedHashMap<>(
                      ((List<Map<String, Object>>) podSpec.get("containers")).get(0));
              runner.put("securityContext", securityContext);
              podSpec.put("containers", List.of(runner));
              template.put("spec", podSpec);
              spec.put("template", template);
              r.setAdditionalProperty("spec", spec);
              return r;
            });
  }

  @Test
  void a_refused_template_is_a_condition_and_pods_keep_the_last_valid_template() throws Exception {
    bed = new ProvisionerBed(dir, Map.of());
    bed.account("acme", ACME, 50);
    bed.pool(POOL, List.of("linux"), Map.of("maxRunners", 3));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> bed.svc.metric("runway_pools{source=\"kubernetes\"}") == 1);

    editRunnerContainer(Map.of("privileged", true));

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              Map<String, Object> valid = bed.condition(POOL, "Valid");
              assertThat(valid.get("status")).isEqualTo("False");
              assertThat(valid.get("reason")).isEqualTo("PodPolicy");
              assertThat((String) valid.get("message"))
                  .contains("container \"runner\" is privileged")
                  .contains("last valid version keeps serving");
            });
    assertThat(bed.svc.metric("runway_pool_invalid{pool=\"" + POOL + "\",source=\"kubernetes\"}"))
        .isEqualTo(1);

    bed.event("queued", 801, "acme", ACME, null, "linux");
    await().atMost(Duration.ofSeconds(20)).until(() -> bed.pods(POOL).size() == 1);
    Pod pod = bed.pods(POOL).get(0);
    Container runner = pod.getSpec().getContainers().get(0);
    assertThat(runner.getSecurityContext().getPrivileged())
        .as("the Pod comes from the last valid template")
        .isNotEqualTo(Boolean.TRUE);
    // The restricted defaults Runway sets where the template is silent.
    assertThat(runner.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(runner.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(pod.getSpec().getSecurityContext().getSeccompProfile().getType())
        .isEqualTo("RuntimeDefault");
    assertThat(pod.getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSpec().getAutomountServiceAccountToken()).isFalse();

    editRunnerContainer(Map.of("readOnlyRootFilesystem", true));
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              Map<String, Object> valid = bed.condition(POOL, "Valid");
              assertThat(valid.get("status")).isEqualTo("True");
              assertThat(valid.get("reason")).isEqualTo("Accepted");
            });
    assertThat(bed.svc.metric("runway_pool_invalid{pool=\"" + POOL + "\",source=\"kubernetes\"}"))
        .isZero();
  }

  @Test
  void a_pool_whose_template_was_never_valid_launches_nothing_and_its_jobs_wait() throws Exception {
    bed = new ProvisionerBed(dir, Map.of());
    bed.account("acme", ACME, 50);
    bed.pool(
        POOL,
        List.of("linux"),
        Map.of(
            "template",
            Map.of(
                "spec",
                Map.of(
                    "securityContext",
                    Map.of("runAsNonRoot", true, "runAsUser", 1001),
                    "serviceAccountName",
                    "runway",
                    "containers",
                    List.of(Map.of("name", "runner", "image", "r"))))));
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              Map<String, Object> valid = bed.condition(POOL, "Valid");
              assertThat(valid.get("status")).isEqualTo("False");
              assertThat((String) valid.get("message"))
                  .contains("serviceAccountName \"runway\" is not allowed")
                  .contains("never valid");
            });

    bed.event("queued", 802, "acme", ACME, null, "linux");
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                bed.svc.count(
                        "select count(*) from inbox where workflow_job_id = 802 and dispatch_attempts >= 2")
                    == 1);
    assertThat(bed.svc.count("select count(*) from inbox where outcome is not null")).isZero();
    assertThat(bed.pods(POOL)).isEmpty();
  }
}
