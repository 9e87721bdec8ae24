package dev.runway.provisioner;

import dev.runway.claims.RunnerLoss;
import dev.runway.runners.ClaimEvent;
import dev.runway.runners.LiveRunner;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One step of a provisioning cycle, as {@link ProvisionPlanner} decided it and {@link
 * ProvisionExecutor} carries it out. An action names what to do and why; what it comes to (a
 * transition refused, a runner GitHub says is busy, a claim that found no job) is the executor's,
 * since only the call can tell.
 */
sealed interface ProvisionAction {

  /** Deletes the Pod and its Secret. */
  record DeletePod(String pod, String why) implements ProvisionAction {}

  /**
   * A Pod whose claim ended while its runner is up: its registration is deleted first (GitHub
   * refuses a busy runner's), and only then the Pod; a busy or unknown runner keeps its Pod.
   */
  record StopEnded(String pod, long claimId) implements ProvisionAction {}

  /** Records a claim event whose outcome changes nothing else in the cycle. */
  record Report(long claimId, ClaimEvent event) implements ProvisionAction {}

  /** Records, once per claim, how a runner that had a job was lost (for a rerun). */
  record RecordLoss(long claimId, RunnerLoss loss) implements ProvisionAction {}

  /**
   * The runner of a live claim exited: {@code event} is recorded, a runner that never ran a job
   * counts as the pool's launch failure ({@code reason}, {@code detail}), and the Pod is deleted.
   */
  record Exited(
      String pod,
      ProvisionedPool pool,
      long claimId,
      ClaimEvent.Exited event,
      ClaimEvent.FailureReason reason,
      String detail)
      implements ProvisionAction {}

  /**
   * A Pod that cannot or did not start: the claim's launch failed ({@code reason}), which counts
   * against the pool when it applied; the Pod is deleted once the failure is recorded.
   */
  record FailLaunch(
      String pod,
      ProvisionedPool pool,
      long claimId,
      ClaimEvent.FailureReason reason,
      String detail)
      implements ProvisionAction {}

  /** A runner of the pool is up: the pool's launches succeed. */
  record CameUp(ProvisionedPool pool) implements ProvisionAction {}

  /** Releases a live claim that has no Pod ({@code pod_lost}). */
  record ReleaseLost(String pool, long claimId) implements ProvisionAction {}

  /**
   * Stops idle runners of a pool over its {@code maxRunners} or {@code minIdle}, trying {@code
   * candidates} in order within {@code budget}; each runner GitHub says is busy or that a job bound
   * meanwhile is kept and spends nothing, so the next candidate is tried.
   */
  record ScaleDown(List<Candidate> candidates, RetireBudget budget) implements ProvisionAction {}

  /** An idle runner that scale-down may stop. */
  record Candidate(String pod, LiveRunner claim) {}

  /**
   * How many idle runners a pool loses: {@code surplus} over its {@code maxRunners} (any idle one),
   * {@code warmSurplus} idle warm ones over its {@code minIdle}.
   */
  record RetireBudget(String pool, long surplus, long warmSurplus) {
    /** Why this runner goes, or empty when the budget does not cover it. */
    Optional<String> why(LiveRunner claim) {
      boolean warmOne = claim.idleWarm() && warmSurplus > 0;
      if (surplus <= 0 && !warmOne) {
        return Optional.empty();
      }
      return Optional.of(
          warmOne
              ? "pool " + pool + " has more idle runners than its minIdle"
              : "pool " + pool + " is above its maxRunners");
    }

    /** The budget once this runner was stopped. */
    RetireBudget retired(LiveRunner claim) {
      return new RetireBudget(pool, surplus - 1, claim.idleWarm() ? warmSurplus - 1 : warmSurplus);
    }
  }

  /** Writes a provisioned pool's status, when it differs from {@code resource}'s. */
  record WriteStatus(
      GenericKubernetesResource resource,
      PoolStatusWriter.Counts counts,
      PoolHealth.State health,
      int maxLaunchFailures,
      List<PoolStatusWriter.Condition> conditions)
      implements ProvisionAction {}

  /** Writes the {@code Valid} condition of a pool Runway does not provision, on change. */
  record WriteValidity(GenericKubernetesResource resource, PoolStatusWriter.Condition valid)
      implements ProvisionAction {}

  /** Sets {@code runway_pool_degraded} to exactly these pools, each with why it is degraded. */
  record SetDegraded(Map<String, Optional<String>> byPool) implements ProvisionAction {}

  /**
   * Claims and starts up to {@code allowed} runners: jobs first when {@code jobs}, then, when
   * {@code warm}, warm runners with what the jobs left. {@code cycle} marks the Pods created.
   */
  record Launch(ProvisionedPool pool, int allowed, boolean jobs, boolean warm, long cycle)
      implements ProvisionAction {}
}
