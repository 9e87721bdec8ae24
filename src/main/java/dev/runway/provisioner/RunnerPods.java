package dev.runway.provisioner;

import dev.runway.claims.RunnerLoss;
import dev.runway.platform.config.PodPolicy;
import dev.runway.pools.PodTemplatePolicy;
import dev.runway.runners.ClaimEvent;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The Kubernetes objects of one claim's runner, and what its Pod's status says about it.
 *
 * <p>Both objects are named after the runner ({@code runway-<pool>-<claim id>}) and labelled with
 * the pool and the claim, which is how the Pod informer and an adopting leader find them. The JIT
 * config is only ever in the Secret; the Pod refers to it by name, so it is in no Pod spec, event
 * or log.
 */
final class RunnerPods {
  static final String POOL_LABEL = "runway.dev/pool";
  static final String CLAIM_LABEL = "runway.dev/claim";

  /** Which provisioning cycle of its leader created the Pod: shows the launch bound at work. */
  static final String CYCLE_ANNOTATION = "runway.dev/launch-cycle";

  static final String CONTAINER = "runner";
  static final String JIT_ENV = "ACTIONS_RUNNER_INPUT_JITCONFIG";
  static final String SECRET_KEY = "jitconfig";

  private static final Set<String> IMAGE_PULL = Set.of("ImagePullBackOff", "ErrImagePull");
  private static final String CONFIG_ERROR = "CreateContainerConfigError";

  private RunnerPods() {}

  /** The Pod for a claim under the default policy, {@code restricted}. */
  static Pod pod(ProvisionedPool pool, long claimId, String name, long cycle) {
    return pod(pool, claimId, name, cycle, new PodTemplatePolicy(PodPolicy.RESTRICTED));
  }

  /**
   * The Pod for a claim: the pool's template, with the defaults {@code policy} sets where the
   * template leaves them unset (the same defaults the policy judged the template with), and what
   * Runway needs on top.
   */
  static Pod pod(
      ProvisionedPool pool, long claimId, String name, long cycle, PodTemplatePolicy policy) {
    // A deep copy: the template belongs to the informer's cached RunnerPool.
    PodSpec spec =
        policy.withDefaults(
            pool.template().getSpec() == null ? new PodSpec() : pool.template().getSpec());
    spec.setRestartPolicy("Never");
    List<Container> containers = new ArrayList<>();
    for (Container c : spec.getContainers()) {
      if (CONTAINER.equals(c.getName())) {
        List<EnvVar> env = new ArrayList<>();
        if (c.getEnv() != null) {
          c.getEnv().stream().filter(e -> !JIT_ENV.equals(e.getName())).forEach(env::add);
        }
        env.add(
            new EnvVarBuilder()
                .withName(JIT_ENV)
                .withNewValueFrom()
                .withNewSecretKeyRef()
                .withName(name)
                .withKey(SECRET_KEY)
                .withOptional(false)
                .endSecretKeyRef()
                .endValueFrom()
                .build());
        c.setEnv(env);
      }
      containers.add(c);
    }
    spec.setContainers(containers);
    ObjectMeta templateMeta = pool.template().getMetadata();
    Map<String, String> labels = new HashMap<>();
    Map<String, String> annotations = new HashMap<>();
    if (templateMeta != null) {
      Optional.ofNullable(templateMeta.getLabels()).ifPresent(labels::putAll);
      Optional.ofNullable(templateMeta.getAnnotations()).ifPresent(annotations::putAll);
    }
    labels.putAll(labels(pool.name(), claimId));
    annotations.put(CYCLE_ANNOTATION, Long.toString(cycle));
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withLabels(labels)
        .withAnnotations(annotations)
        .withOwnerReferences(poolOwner(pool))
        .endMetadata()
        .withSpec(spec)
        .build();
  }

  /**
   * The Secret holding the claim's JIT config, created before its Pod and owned by the RunnerPool
   * until {@link #ownedBy} hands it to the Pod.
   */
  static Secret secret(ProvisionedPool pool, long claimId, String name, String encodedJitConfig) {
    return new SecretBuilder()
        .withNewMetadata()
        .withName(name)
        .withLabels(labels(pool.name(), claimId))
        .withOwnerReferences(poolOwner(pool))
        .endMetadata()
        .withType("Opaque")
        .withData(
            Map.of(
                SECRET_KEY,
                Base64.getEncoder()
                    .encodeToString(encodedJitConfig.getBytes(StandardCharsets.UTF_8))))
        .build();
  }

  /**
   * A JSON patch (RFC 6902) that makes the Secret owned by its Pod (deleted with it) and no longer
   * by the pool: the owner list is replaced, since a Secret also owned by the pool would outlive
   * its Pod. Names and uids are Kubernetes-generated, so they need no JSON escaping beyond quotes.
   */
  static String ownerPatch(Pod pod) {
    return "[{\"op\":\"replace\",\"path\":\"/metadata/ownerReferences\",\"value\":"
        + "[{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"name\":\""
        + pod.getMetadata().getName()
        + "\",\"uid\":\""
        + pod.getMetadata().getUid()
        + "\"}]}]";
  }

  private static OwnerReference poolOwner(ProvisionedPool pool) {
    return new OwnerReferenceBuilder()
        .withApiVersion("runway.dev/v1alpha1")
        .withKind("RunnerPool")
        .withName(pool.name())
        .withUid(pool.uid())
        .withController(true)
        .build();
  }

  static Map<String, String> labels(String pool, long claimId) {
    return Map.of(POOL_LABEL, pool, CLAIM_LABEL, Long.toString(claimId));
  }

  /** The claim id a Runway Pod carries, empty for a Pod that is not one of ours. */
  static Optional<Long> claimOf(Pod pod) {
    Map<String, String> labels = pod.getMetadata().getLabels();
    String v = labels == null ? null : labels.get(CLAIM_LABEL);
    if (v == null || labels.get(POOL_LABEL) == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(Long.parseLong(v));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  static String poolOf(Pod pod) {
    return pod.getMetadata().getLabels().get(POOL_LABEL);
  }

  /** What a Pod's status says about its runner. */
  sealed interface Verdict {}

  /** Not started yet; whether the scheduler said it cannot place it. */
  record Pending(boolean unschedulable) implements Verdict {}

  /** The runner container runs: the runner is up (idle until it takes a job). */
  record Up() implements Verdict {}

  /** The runner container ended with {@code exitCode}. */
  record Finished(int exitCode) implements Verdict {}

  /** The runner cannot start and will not by waiting. */
  record Broken(ClaimEvent.FailureReason reason, String detail) implements Verdict {}

  static Verdict verdict(Pod pod) {
    var status = pod.getStatus();
    String phase = status == null ? null : status.getPhase();
    Optional<ContainerStatus> runner =
        status == null || status.getContainerStatuses() == null
            ? Optional.empty()
            : status.getContainerStatuses().stream()
                .filter(s -> CONTAINER.equals(s.getName()))
                .findFirst();
    if (runner.isPresent() && runner.get().getState() != null) {
      ContainerStateTerminated done = runner.get().getState().getTerminated();
      if (done != null) {
        return new Finished(done.getExitCode() == null ? -1 : done.getExitCode());
      }
      ContainerStateWaiting waiting = runner.get().getState().getWaiting();
      if (waiting != null && IMAGE_PULL.contains(waiting.getReason())) {
        return new Broken(ClaimEvent.FailureReason.IMAGE_PULL, describe(waiting));
      }
      if (waiting != null && CONFIG_ERROR.equals(waiting.getReason())) {
        return new Broken(ClaimEvent.FailureReason.CREATE_CONTAINER_CONFIG, describe(waiting));
      }
    }
    if ("Succeeded".equals(phase)) {
      return new Finished(0);
    }
    if ("Failed".equals(phase)) {
      return new Finished(-1);
    }
    if ("Running".equals(phase)
        && runner.isPresent()
        && runner.get().getState() != null
        && runner.get().getState().getRunning() != null) {
      return new Up();
    }
    boolean unschedulable =
        status != null
            && status.getConditions() != null
            && status.getConditions().stream().anyMatch(RunnerPods::unschedulable);
    return new Pending(unschedulable);
  }

  /**
   * Whether a finished Pod's runner was lost rather than exiting by itself: evicted, OOM-killed,
   * its node lost, or killed by a signal (exit code above 128). Read from the Pod's status reason,
   * its {@code DisruptionTarget} condition and the runner container's termination.
   */
  static Optional<RunnerLoss> lossOf(Pod pod) {
    var status = pod.getStatus();
    if (status == null) {
      return Optional.empty();
    }
    if ("Evicted".equals(status.getReason())) {
      return Optional.of(RunnerLoss.EVICTED);
    }
    if ("NodeLost".equals(status.getReason())) {
      return Optional.of(RunnerLoss.NODE_LOST);
    }
    if (status.getContainerStatuses() != null) {
      for (ContainerStatus s : status.getContainerStatuses()) {
        ContainerStateTerminated t =
            CONTAINER.equals(s.getName()) && s.getState() != null
                ? s.getState().getTerminated()
                : null;
        if (t != null && "OOMKilled".equals(t.getReason())) {
          return Optional.of(RunnerLoss.OOM_KILLED);
        }
        if (t != null && RunnerLoss.bySignal(t.getExitCode())) {
          return Optional.of(disrupted(status) ? RunnerLoss.EVICTED : RunnerLoss.SIGNAL);
        }
      }
    }
    return disrupted(status) ? Optional.of(RunnerLoss.EVICTED) : Optional.empty();
  }

  /** Kubernetes marks a Pod it is about to evict or preempt with a DisruptionTarget condition. */
  private static boolean disrupted(io.fabric8.kubernetes.api.model.PodStatus status) {
    return status.getConditions() != null
        && status.getConditions().stream()
            .anyMatch(c -> "DisruptionTarget".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static boolean unschedulable(PodCondition c) {
    return "PodScheduled".equals(c.getType())
        && "False".equals(c.getStatus())
        && "Unschedulable".equals(c.getReason());
  }

  private static String describe(ContainerStateWaiting w) {
    return w.getMessage() == null ? w.getReason() : w.getReason() + ": " + w.getMessage();
  }
}
