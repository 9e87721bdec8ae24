package dev.runway.provisioner;

import dev.runway.platform.config.Durations;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * A {@code RunnerPool} with a {@code template}: Runway starts its runners as Pods.
 *
 * @param uid the resource's uid, for the owner reference that makes Kubernetes delete the pool's
 *     Pods (and through them their Secrets) with the pool
 * @param maxRunners the pool's cap, null for none (the claim transaction enforces it)
 * @param startTimeout how long a Pod may stay {@code Pending} before it is a launch failure
 * @param maxLaunchFailures launch failures in a row after which the pool is {@code Degraded} and
 *     backs off
 */
record ProvisionedPool(
    String name,
    String uid,
    PodTemplateSpec template,
    Integer maxRunners,
    int minIdle,
    Duration startTimeout,
    int maxLaunchFailures) {

  static final Duration DEFAULT_START_TIMEOUT = Duration.ofMinutes(5);
  static final int DEFAULT_MAX_LAUNCH_FAILURES = 5;

  /**
   * The provisioned pool a resource describes; empty when it has no {@code template} (agents start
   * its runners) or its provisioning fields are invalid (logged by the caller once per change).
   *
   * @throws IllegalArgumentException when the template or a provisioning field is invalid
   */
  static Optional<ProvisionedPool> of(GenericKubernetesResource resource) {
    Object rawSpec = resource.getAdditionalProperties().get("spec");
    if (!(rawSpec instanceof Map<?, ?> spec) || spec.get("template") == null) {
      return Optional.empty();
    }
    String name = resource.getMetadata().getName();
    if (spec.get("provider") != null) {
      throw new IllegalArgumentException(
          "RunnerPool " + name + ": template and provider exclude each other; set one");
    }
    PodTemplateSpec template;
    try {
      template =
          Serialization.jsonMapper().convertValue(spec.get("template"), PodTemplateSpec.class);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "RunnerPool " + name + ": template is not a PodTemplateSpec");
    }
    if (template.getSpec() == null
        || template.getSpec().getContainers() == null
        || template.getSpec().getContainers().stream()
            .noneMatch(c -> RunnerPods.CONTAINER.equals(c.getName()))) {
      throw new IllegalArgumentException(
          "RunnerPool " + name + ": template must have a container named \"runner\"");
    }
    Object max = spec.get("maxRunners");
    int minIdle = intField(spec.get("minIdle"), 0, 0, name, "minIdle");
    int maxFailures =
        intField(
            spec.get("maxLaunchFailures"),
            DEFAULT_MAX_LAUNCH_FAILURES,
            1,
            name,
            "maxLaunchFailures");
    Duration startTimeout = DEFAULT_START_TIMEOUT;
    if (spec.get("startTimeout") != null) {
      try {
        startTimeout = Durations.parse(spec.get("startTimeout").toString());
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "RunnerPool " + name + ": startTimeout must be a duration such as 5m");
      }
    }
    return Optional.of(
        new ProvisionedPool(
            name,
            resource.getMetadata().getUid(),
            template,
            max instanceof Number n ? n.intValue() : null,
            minIdle,
            startTimeout,
            maxFailures));
  }

  private static int intField(Object v, int fallback, int min, String pool, String field) {
    if (v == null) {
      return fallback;
    }
    if (!(v instanceof Number n) || n.intValue() < min) {
      throw new IllegalArgumentException(
          "RunnerPool " + pool + ": " + field + " must be an integer of at least " + min);
    }
    return n.intValue();
  }
}
