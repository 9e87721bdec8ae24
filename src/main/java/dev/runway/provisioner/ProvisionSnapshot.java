package dev.runway.provisioner;

import dev.runway.claims.RunnerLoss;
import dev.runway.claims.WarmOutcome;
import dev.runway.runners.LiveRunner;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What one provisioning cycle decides from: the informers' caches as plain values, the live claims
 * of their pools, and what this leader remembers. Taken once per cycle, so that every decision of
 * the cycle sees the same world.
 *
 * @param apiUp whether the Pod informer's watch is open: without it nothing is launched or released
 *     for a missing Pod (the cache may just be behind)
 * @param pools every RunnerPool in the cache, in the source's order
 * @param pods the Pods that carry a pool and a claim label
 * @param live the live claims of the provisioned pools and of the Pods' pools, by claim id
 * @param reread the verdicts of Pods past their start timeout as the API server had them just now
 *     ({@link ProvisionPlanner#overdue}); a Pod missing here could not be read
 * @param createdThisTerm claims whose Pod this leader created and the informer has not shown yet
 * @param recentlyKept claims whose runner GitHub said was busy (or did not answer) less than 10 s
 *     ago: not asked again yet
 */
record ProvisionSnapshot(
    Instant now,
    boolean apiUp,
    List<PoolEntry> pools,
    List<RunnerPod> pods,
    Map<Long, LiveRunner> live,
    Map<String, RunnerPods.Verdict> reread,
    Map<Long, Instant> createdThisTerm,
    Set<Long> recentlyKept) {

  /**
   * One RunnerPool.
   *
   * @param latest its latest version, which its status is written against
   * @param provisioned what Runway provisions from the version that serves; empty for a pool whose
   *     runners agents start, or that is invalid
   * @param validity its {@code Valid} condition, when it has one to write
   */
  record PoolEntry(
      String name,
      GenericKubernetesResource latest,
      Optional<ProvisionedPool> provisioned,
      Optional<PoolStatusWriter.Condition> validity) {}

  /**
   * One of Runway's Pods.
   *
   * @param deleting whether Kubernetes is deleting it already
   * @param loss how its runner was lost, when its status says it did not exit by itself
   */
  record RunnerPod(
      String name,
      long claimId,
      String pool,
      boolean deleting,
      RunnerPods.Verdict verdict,
      Optional<RunnerLoss> loss) {}

  /**
   * What the launches of a cycle decide from besides the snapshot, read after the Pods' actions
   * ran: those moved the pools' health.
   *
   * @param health by pool; a pool missing here never failed
   * @param signalled pools a {@code claimable} signal named since their last launch
   * @param held pools whose last claim attempt found GitHub or the database unavailable, for 10 s
   * @param foundNothing pools whose last claim attempt, less than 10 s ago, found nothing to claim
   * @param warmHeld pools whose last warm attempt started nothing, less than 10 s ago
   * @param warmNotes why each pool's last warm attempt started nothing
   * @param cycle the leader's cycle number, marked on the Pods it creates
   */
  record Leader(
      Map<String, PoolHealth.State> health,
      Set<String> signalled,
      Set<String> held,
      Set<String> foundNothing,
      Set<String> warmHeld,
      Map<String, WarmOutcome.NotNow> warmNotes,
      long cycle) {

    PoolHealth.State health(String pool) {
      return health.getOrDefault(pool, PoolHealth.State.HEALTHY);
    }
  }

  ProvisionSnapshot withReread(Map<String, RunnerPods.Verdict> verdicts) {
    return new ProvisionSnapshot(
        now, apiUp, pools, pods, live, Map.copyOf(verdicts), createdThisTerm, recentlyKept);
  }
}
