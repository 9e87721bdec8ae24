package dev.runway.pools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runway.platform.config.PodPolicy;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class PodTemplatePolicyTest {

  private static final PodTemplatePolicy RESTRICTED = new PodTemplatePolicy(PodPolicy.RESTRICTED);
  private static final PodTemplatePolicy BASELINE = new PodTemplatePolicy(PodPolicy.BASELINE);
  private static final PodTemplatePolicy UNRESTRICTED =
      new PodTemplatePolicy(PodPolicy.UNRESTRICTED);

  /** The shipped example's template: non-root runner, nothing else asked for. */
  private static PodTemplateSpec good() {
    return Serialization.unmarshal(
        """
        metadata:
          labels: {app.kubernetes.io/name: github-runner}
        spec:
          securityContext:
            runAsNonRoot: true
            runAsUser: 1001
          containers:
            - name: runner
              image: ghcr.io/actions/actions-runner:latest
              command: ["/home/runner/run.sh"]
              env:
                - {name: RUNNER_LOG, value: debug}
          volumes:
            - name: work
              emptyDir: {}
        """,
        PodTemplateSpec.class);
  }

  private static PodTemplateSpec with(Consumer<PodSpec> change) {
    PodTemplateSpec t = good();
    change.accept(t.getSpec());
    return t;
  }

  private static PodTemplateSpec yaml(String spec) {
    return Serialization.unmarshal(spec, PodTemplateSpec.class);
  }

  @Test
  void the_shipped_template_passes_restricted_with_the_defaults_runway_sets() {
    assertThat(RESTRICTED.check(good())).isEmpty();
    assertThat(BASELINE.check(good())).isEmpty();

    PodSpec pod = RESTRICTED.withDefaults(good().getSpec());
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    var runner = pod.getContainers().get(0).getSecurityContext();
    assertThat(runner.getAllowPrivilegeEscalation()).isFalse();
    assertThat(runner.getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(good().getSpec().getSecurityContext().getSeccompProfile())
        .as("the template itself is not changed")
        .isNull();
  }

  @Test
  void a_template_without_a_runner_container_is_refused_at_every_level() {
    PodTemplateSpec t = with(s -> s.getContainers().get(0).setName("main"));
    for (PodTemplatePolicy p : List.of(RESTRICTED, BASELINE, UNRESTRICTED)) {
      assertThat(p.check(t)).containsExactly("template must have a container named \"runner\"");
    }
  }

  @Test
  void restricted_requires_run_as_non_root_which_runway_does_not_default() {
    PodTemplateSpec t = with(s -> s.setSecurityContext(null));
    assertThat(RESTRICTED.check(t))
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .contains("must run as non-root");
    assertThat(BASELINE.check(t)).isEmpty();
  }

  @Test
  void privileged_is_refused_at_baseline_and_restricted() {
    PodTemplateSpec t =
        with(
            s ->
                s.getContainers()
                    .get(0)
                    .setSecurityContext(
                        new io.fabric8.kubernetes.api.model.SecurityContextBuilder()
                            .withPrivileged(true)
                            .build()));
    assertThat(BASELINE.check(t))
        .containsExactly("container \"runner\" is privileged: not allowed");
    assertThat(RESTRICTED.check(t)).contains("container \"runner\" is privileged: not allowed");
    assertThat(UNRESTRICTED.check(t)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"hostNetwork", "hostPID", "hostIPC"})
  void host_namespaces_are_refused(String field) {
    PodTemplateSpec t =
        with(
            s -> {
              switch (field) {
                case "hostNetwork" -> s.setHostNetwork(true);
                case "hostPID" -> s.setHostPID(true);
                default -> s.setHostIPC(true);
              }
            });
    assertThat(BASELINE.check(t)).containsExactly(field + " is not allowed");
    assertThat(RESTRICTED.check(t)).containsExactly(field + " is not allowed");
    assertThat(UNRESTRICTED.check(t)).isEmpty();
  }

  @Test
  void a_host_path_volume_is_refused() {
    PodTemplateSpec t =
        yaml(
            """
            spec:
              securityContext: {runAsNonRoot: true, runAsUser: 1001}
              containers: [{name: runner, image: r}]
              volumes:
                - name: docker
                  hostPath: {path: /var/run/docker.sock}
            """);
    assertThat(BASELINE.check(t)).containsExactly("volume \"docker\" is a hostPath: not allowed");
    assertThat(RESTRICTED.check(t)).containsExactly("volume \"docker\" is a hostPath: not allowed");
  }

  @ParameterizedTest
  @EnumSource(
      value = PodPolicy.class,
      names = {"BASELINE", "RESTRICTED"})
  void another_service_account_or_a_mounted_token_is_refused(PodPolicy level) {
    PodTemplatePolicy policy = new PodTemplatePolicy(level);
    assertThat(policy.check(with(s -> s.setServiceAccountName("runway"))))
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .startsWith("serviceAccountName \"runway\" is not allowed");
    assertThat(policy.check(with(s -> s.setServiceAccountName("default")))).isEmpty();
    assertThat(policy.check(with(s -> s.setAutomountServiceAccountToken(true))))
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .startsWith("automountServiceAccountToken: true is not allowed");
    assertThat(UNRESTRICTED.check(with(s -> s.setServiceAccountName("runway")))).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(
      value = PodPolicy.class,
      names = {"BASELINE", "RESTRICTED"})
  void secrets_other_than_the_claims_own_are_refused(PodPolicy level) {
    PodTemplateSpec t =
        yaml(
            """
            spec:
              securityContext: {runAsNonRoot: true, runAsUser: 1001}
              containers:
                - name: runner
                  image: r
                  env:
                    - name: APP_KEY
                      valueFrom: {secretKeyRef: {name: runway-github-app, key: private-key}}
                  envFrom:
                    - secretRef: {name: runway-webhook}
              volumes:
                - name: key
                  secret: {secretName: runway-github-app}
                - name: mixed
                  projected:
                    sources:
                      - secret: {name: runway-db}
            """);
    assertThat(new PodTemplatePolicy(level).check(t))
        .hasSize(4)
        .anySatisfy(
            p -> assertThat(p).contains("volume \"key\" mounts Secret \"runway-github-app\""))
        .anySatisfy(p -> assertThat(p).contains("volume \"mixed\" projects Secret \"runway-db\""))
        .anySatisfy(p -> assertThat(p).contains("env APP_KEY reads Secret \"runway-github-app\""))
        .anySatisfy(p -> assertThat(p).contains("envFrom reads Secret \"runway-webhook\""));
    assertThat(UNRESTRICTED.check(t)).isEmpty();
  }

  @Test
  void baseline_refuses_added_capabilities_beyond_its_list_and_restricted_beyond_net_bind() {
    PodTemplateSpec t =
        yaml(
            """
            spec:
              securityContext: {runAsNonRoot: true, runAsUser: 1001}
              containers:
                - name: runner
                  image: r
                  securityContext:
                    capabilities: {add: [SYS_ADMIN, CHOWN]}
            """);
    assertThat(BASELINE.check(t))
        .containsExactly("container \"runner\" adds capabilities [SYS_ADMIN]: not allowed");

    PodTemplateSpec chown =
        yaml(
            """
            spec:
              securityContext: {runAsNonRoot: true, runAsUser: 1001}
              containers:
                - name: runner
                  image: r
                  securityContext:
                    capabilities: {add: [CHOWN]}
            """);
    assertThat(BASELINE.check(chown)).isEmpty();
    assertThat(RESTRICTED.check(chown))
        .containsExactly(
            "container \"runner\" may add only NET_BIND_SERVICE at restricted, adds [CHOWN]");
  }

  @Test
  void restricted_refuses_what_baseline_allows() {
    PodTemplateSpec t =
        yaml(
            """
            spec:
              securityContext: {runAsNonRoot: true, runAsUser: 1001}
              initContainers:
                - name: setup
                  image: r
                  securityContext:
                    allowPrivilegeEscalation: true
                    runAsUser: 0
                    seccompProfile: {type: Unconfined}
              containers:
                - name: runner
                  image: r
                  securityContext:
                    capabilities: {drop: [NET_RAW]}
              volumes:
                - name: nfs
                  nfs: {server: nfs.example, path: /export}
            """);
    assertThat(RESTRICTED.check(t))
        .contains(
            "container \"setup\" must set allowPrivilegeEscalation: false",
            "container \"setup\" runAsUser 0 (root) is not allowed at restricted",
            "container \"setup\" must have seccompProfile RuntimeDefault or Localhost",
            "container \"runner\" must drop ALL capabilities",
            "volume \"nfs\" of type [nfs] is not allowed at restricted");
    assertThat(BASELINE.check(t))
        .containsExactly("container \"setup\" seccompProfile Unconfined is not allowed");
  }

  @Test
  void baseline_refuses_host_ports_unsafe_sysctls_and_unconfined_profiles() {
    PodTemplateSpec t =
        yaml(
            """
            metadata:
              annotations:
                container.apparmor.security.beta.kubernetes.io/runner: unconfined
            spec:
              securityContext:
                sysctls: [{name: kernel.msgmax, value: "65536"}]
                seLinuxOptions: {type: spc_t}
              containers:
                - name: runner
                  image: r
                  ports: [{containerPort: 80, hostPort: 80}]
                  securityContext: {procMount: Unmasked}
            """);
    assertThat(BASELINE.check(t))
        .containsExactlyInAnyOrder(
            "sysctl kernel.msgmax is not allowed",
            "the Pod SELinux type spc_t is not allowed",
            "AppArmor profile unconfined of"
                + " container.apparmor.security.beta.kubernetes.io/runner is not allowed",
            "container \"runner\" hostPort 80 is not allowed",
            "container \"runner\" procMount Unmasked is not allowed");
  }

  @Test
  void reads_a_raw_template_as_a_runner_pool_holds_it() {
    assertThat(RESTRICTED.check((Object) Map.of("spec", Map.of("hostNetwork", "yes-please"))))
        .containsExactly("template is not a PodTemplateSpec");
    assertThat(
            RESTRICTED.check(
                (Object)
                    Map.of(
                        "spec",
                        Map.of(
                            "securityContext",
                            Map.of("runAsNonRoot", true),
                            "containers",
                            List.of(Map.of("name", "runner", "image", "r"))))))
        .isEmpty();
  }
}
