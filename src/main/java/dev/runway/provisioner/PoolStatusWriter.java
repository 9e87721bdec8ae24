package dev.runway.provisioner;

import dev.runway.claims.WarmOutcome;
import dev.runway.pools.KubernetesPoolSource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a provisioned pool's {@code status} subresource: {@code idle}, {@code launching}, {@code
 * running}, and the conditions {@code Ready} and {@code Degraded} with their reason and the last
 * error, and for a pool with a {@code minIdle} the condition {@code Warm}: whether it has its idle
 * runners, and if not why (no recent account, caps, jobs waiting). Only when something changed, so
 * a quiet pool costs no API request, and a condition's {@code lastTransitionTime} moves only when
 * its status does.
 *
 * <p>The condition {@code Valid} says why the resource's latest version is refused (its spec, or
 * {@code RUNWAY_POD_POLICY}) and whether its last valid version still serves. It is written for
 * every pool, provisioned or not, while there is a problem, and once more when it is fixed.
 */
final class PoolStatusWriter {
  private static final Logger log = LoggerFactory.getLogger(PoolStatusWriter.class);

  /** A condition besides {@code Ready} and {@code Degraded}, such as {@code Warm}. */
  record Condition(String type, boolean on, String reason, String message) {}

  /** Runners of one pool by what their Pods and claims say. */
  record Counts(int idle, int launching, int running) {}

  static final String VALID = "Valid";

  private final KubernetesClient client;
  private final String namespace;
  private final Clock clock;

  PoolStatusWriter(KubernetesClient client, String namespace, Clock clock) {
    this.client = client;
    this.namespace = namespace;
    this.clock = clock;
  }

  void write(
      GenericKubernetesResource pool,
      Counts counts,
      PoolHealth.State health,
      int maxFailures,
      List<Condition> extra) {
    Map<String, Object> old = status(pool);
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("idle", counts.idle());
    status.put("launching", counts.launching());
    status.put("running", counts.running());
    boolean degraded = health.degraded(maxFailures);
    String reason = health.lastReason() == null ? null : camel(health.lastReason().label());
    List<Map<String, Object>> conditions = new ArrayList<>();
    conditions.add(
        condition(
            old,
            "Degraded",
            degraded,
            degraded ? reason : "LaunchesSucceed",
            degraded
                ? health.failuresInARow() + " launch failures in a row; last: " + health.lastError()
                : "fewer than " + maxFailures + " launch failures in a row"));
    conditions.add(
        condition(
            old,
            "Ready",
            !degraded,
            degraded ? "Degraded" : "Provisioning",
            degraded
                ? "launching one Pod per backoff period"
                : "launching Pods for claimable jobs"));
    extra.forEach(c -> conditions.add(condition(old, c.type(), c.on(), c.reason(), c.message())));
    status.put("conditions", conditions);
    if (sameIgnoringTimes(old, status)) {
      return;
    }
    update(pool, status);
  }

  /**
   * The {@code Valid} condition of a pool: False with the problem while its latest version is
   * refused, True once it is fixed; empty for a valid pool that never had one, so that a valid
   * pool's status is not written for it.
   */
  static Optional<Condition> validity(
      GenericKubernetesResource pool, Optional<String> problem, boolean lastValidServes) {
    if (problem.isPresent()) {
      String p = problem.get();
      return Optional.of(
          new Condition(
              VALID,
              false,
              p.contains("RUNWAY_POD_POLICY") ? "PodPolicy" : "InvalidSpec",
              p
                  + (lastValidServes
                      ? " (the last valid version keeps serving)"
                      : " (never valid: jobs that match no other pool wait for it)")));
    }
    if (previousCondition(status(pool), VALID) == null) {
      return Optional.empty();
    }
    return Optional.of(new Condition(VALID, true, "Accepted", "the latest version is valid"));
  }

  /** The {@code Warm} condition of a pool with a {@code minIdle}; empty without one. */
  static Optional<Condition> warm(ProvisionedPool pool, long idleNow, WarmOutcome.NotNow note) {
    if (pool.minIdle() == 0) {
      return Optional.empty();
    }
    if (idleNow >= pool.minIdle()) {
      return Optional.of(
          new Condition(
              "Warm",
              true,
              "MinIdleReached",
              idleNow + " warm runner(s) for minIdle " + pool.minIdle()));
    }
    if (note == null || note.why() == WarmOutcome.Why.ENOUGH) {
      return Optional.of(
          new Condition(
              "Warm",
              false,
              "Starting",
              idleNow + " of " + pool.minIdle() + " warm runner(s); starting more"));
    }
    return Optional.of(
        new Condition(
            "Warm",
            false,
            camel(note.why().name().toLowerCase(Locale.ROOT)),
            idleNow + " of " + pool.minIdle() + " warm runner(s): " + note.detail()));
  }

  /** Writes only the {@code Valid} condition of a pool Runway does not provision, on change. */
  void writeValidity(GenericKubernetesResource pool, Condition valid) {
    Map<String, Object> old = status(pool);
    Map<String, Object> prev = previousCondition(old, VALID);
    Map<String, Object> now = condition(old, VALID, valid.on(), valid.reason(), valid.message());
    if (prev != null
        && List.of("status", "reason", "message").stream()
            .allMatch(k -> Objects.equals(prev.get(k), now.get(k)))) {
      return;
    }
    Map<String, Object> status = new LinkedHashMap<>(old);
    List<Object> conditions = new ArrayList<>();
    if (old.get("conditions") instanceof List<?> list) {
      list.stream()
          .filter(c -> !(c instanceof Map<?, ?> m && VALID.equals(m.get("type"))))
          .forEach(conditions::add);
    }
    conditions.add(now);
    status.put("conditions", conditions);
    update(pool, status);
  }

  private void update(GenericKubernetesResource pool, Map<String, Object> status) {
    GenericKubernetesResource updated = client.getKubernetesSerialization().clone(pool);
    updated.getAdditionalProperties().put("status", status);
    try {
      client
          .genericKubernetesResources(KubernetesPoolSource.RUNNER_POOLS)
          .inNamespace(namespace)
          .resource(updated)
          .updateStatus();
    } catch (KubernetesClientException e) {
      // A conflict (our cached copy is older) or an outage: the next cycle writes again.
      log.debug(
          "status of RunnerPool {} not written now: {}", pool.getMetadata().getName(), e.getCode());
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> status(GenericKubernetesResource pool) {
    Object s = pool.getAdditionalProperties().get("status");
    return s instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  private Map<String, Object> condition(
      Map<String, Object> old, String type, boolean on, String reason, String message) {
    String status = on ? "True" : "False";
    String since = clock.instant().truncatedTo(ChronoUnit.SECONDS).toString();
    Map<String, Object> previous = previousCondition(old, type);
    if (previous != null && status.equals(previous.get("status"))) {
      since = String.valueOf(previous.get("lastTransitionTime"));
    }
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("type", type);
    c.put("status", status);
    c.put("reason", reason);
    c.put("message", message);
    c.put("lastTransitionTime", since);
    return c;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> previousCondition(Map<String, Object> old, String type) {
    if (!(old.get("conditions") instanceof List<?> list)) {
      return null;
    }
    for (Object o : list) {
      if (o instanceof Map<?, ?> m && type.equals(m.get("type"))) {
        return (Map<String, Object>) m;
      }
    }
    return null;
  }

  private static boolean sameIgnoringTimes(Map<String, Object> old, Map<String, Object> now) {
    for (String k : List.of("idle", "launching", "running")) {
      if (!(old.get(k) instanceof Number n) || n.intValue() != (Integer) now.get(k)) {
        return false;
      }
    }
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> conditions = (List<Map<String, Object>>) now.get("conditions");
    if (!(old.get("conditions") instanceof List<?> before) || before.size() != conditions.size()) {
      // A condition came or went (minIdle set or cleared).
      return false;
    }
    for (Map<String, Object> c : conditions) {
      Map<String, Object> prev = previousCondition(old, (String) c.get("type"));
      if (prev == null) {
        return false;
      }
      for (String k : List.of("status", "reason", "message")) {
        if (!Objects.equals(prev.get(k), c.get(k))) {
          return false;
        }
      }
    }
    return true;
  }

  /** {@code image_pull} → {@code ImagePull}: condition reasons are CamelCase. */
  static String camel(String label) {
    StringBuilder b = new StringBuilder();
    for (String part : label.split("_")) {
      if (!part.isEmpty()) {
        b.append(part.substring(0, 1).toUpperCase(Locale.ROOT)).append(part.substring(1));
      }
    }
    return b.toString();
  }
}
