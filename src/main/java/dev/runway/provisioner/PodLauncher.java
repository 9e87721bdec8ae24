package dev.runway.provisioner;

import dev.runway.claims.ClaimOutcome;
import dev.runway.claims.Claims;
import dev.runway.claims.WarmClaims;
import dev.runway.claims.WarmOutcome;
import dev.runway.pools.PodTemplatePolicy;
import dev.runway.runners.ClaimEvent;
import dev.runway.runners.Transition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Clock;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The launch part of {@link ProvisionExecutor}: claims (a job's, then warm ones) and, per claim,
 * its Secret and Pod. What each claim attempt came to (nothing to claim, GitHub unavailable, a warm
 * runner not due) goes into the {@link LeaderMemory}, which holds the pool's next attempts.
 */
final class PodLauncher {
  private static final Logger log = LoggerFactory.getLogger(PodLauncher.class);

  /** Records a claim event; null when the database did not answer. */
  interface Reports {
    Transition report(long claimId, ClaimEvent event);
  }

  private final KubernetesClient client;
  private final String namespace;
  private final Claims claims;
  private final WarmClaims warm;
  private final Clock clock;
  private final PodTemplatePolicy podPolicy;
  private final LeaderMemory memory;
  private final Reports reports;

  PodLauncher(
      KubernetesClient client,
      String namespace,
      Claims claims,
      WarmClaims warm,
      Clock clock,
      PodTemplatePolicy podPolicy,
      LeaderMemory memory,
      Reports reports) {
    this.client = client;
    this.namespace = namespace;
    this.claims = claims;
    this.warm = warm;
    this.clock = clock;
    this.podPolicy = podPolicy;
    this.memory = memory;
    this.reports = reports;
  }

  /** Carries out a {@link ProvisionAction.Launch}; {@code now} is the cycle's. */
  void launch(ProvisionAction.Launch l, Instant now) {
    int launched = l.jobs() ? launchJobs(l.pool(), now, l.allowed(), l.cycle()) : 0;
    if (l.pool().minIdle() == 0) {
      // A pool without minIdle has no Warm condition; one that gets it back starts afresh.
      memory.warmNote.remove(l.pool().name());
    } else if (l.warm()) {
      // Jobs first: warm runners get what this cycle's bound leaves.
      launchWarm(l.pool(), now, l.allowed() - launched, l.cycle());
    }
  }

  /** Claims and starts up to {@code allowed} job runners; stops at the first claim that fails. */
  private int launchJobs(ProvisionedPool pool, Instant now, int allowed, long cycle) {
    PoolHealth h = memory.health(pool.name());
    int launched = 0;
    for (int i = 0; i < allowed; i++) {
      ClaimOutcome outcome = claims.claim(pool.name());
      if (!(outcome instanceof ClaimOutcome.Claimed claimed)) {
        if (outcome instanceof ClaimOutcome.Nothing) {
          memory.emptySince.put(pool.name(), System.nanoTime());
        } else {
          // GitHub or the database did not answer: no attempt for a while, whatever the signals.
          memory.holdUntil.put(pool.name(), System.nanoTime() + LeaderMemory.RECHECK.toNanos());
        }
        return launched;
      }
      memory.emptySince.remove(pool.name());
      h.probed(pool.maxLaunchFailures(), now);
      launched++;
      String forWhat =
          "job "
              + claimed.job().jobId()
              + "/"
              + claimed.job().runAttempt()
              + " of "
              + claimed.job().repository();
      if (!start(
          pool,
          claimed.claimId(),
          claimed.runnerName(),
          claimed.encodedJitConfig(),
          forWhat,
          cycle)) {
        return launched;
      }
    }
    return launched;
  }

  /**
   * Starts warm runners within {@code allowed}; the transaction decides whether one is due (the
   * caps, jobs first, the account). After an attempt that started nothing, the pool waits {@link
   * LeaderMemory#RECHECK} or a signal before the next.
   */
  private void launchWarm(ProvisionedPool pool, Instant now, int allowed, long cycle) {
    for (int i = 0; i < allowed; i++) {
      WarmOutcome outcome = warm.start(pool.name(), pool.minIdle());
      if (outcome instanceof WarmOutcome.Started started) {
        memory.warmNote.remove(pool.name());
        memory.warmHoldUntil.remove(pool.name());
        memory.health(pool.name()).probed(pool.maxLaunchFailures(), now);
        if (!start(
            pool,
            started.claimId(),
            started.runnerName(),
            started.encodedJitConfig(),
            "a warm runner for " + started.account(),
            cycle)) {
          return;
        }
      } else if (outcome instanceof WarmOutcome.NotNow not) {
        if (not.why() != WarmOutcome.Why.ENOUGH) {
          if (!not.equals(memory.warmNote.put(pool.name(), not))) {
            log.info("pool {}: no warm runner now: {}", pool.name(), not.detail());
          }
          memory.warmHoldUntil.put(pool.name(), System.nanoTime() + LeaderMemory.RECHECK.toNanos());
        }
        return;
      }
    }
  }

  /**
   * Creates the claim's Secret, then its Pod, then makes the Pod the Secret's owner; on failure,
   * releases the claim. The Secret comes first so that the Pod never starts without its JIT config
   * (a Pod created first can be scheduled and fail on a missing Secret). Until the owner is set,
   * the Secret belongs to the RunnerPool, so even a crash in between leaves nothing that outlives
   * the pool; a Pod that is not created takes its Secret with it.
   */
  private boolean start(
      ProvisionedPool pool,
      long claimId,
      String name,
      String encodedJitConfig,
      String forWhat,
      long cycle) {
    Secret secret;
    try {
      secret =
          client
              .secrets()
              .inNamespace(namespace)
              .resource(RunnerPods.secret(pool, claimId, name, encodedJitConfig))
              .create();
    } catch (KubernetesClientException e) {
      // Never the exception's message: it could quote the Secret.
      log.warn(
          "pool {}: Secret {} not created (HTTP {}); releasing claim {}",
          pool.name(),
          name,
          e.getCode(),
          claimId);
      reports.report(claimId, new ClaimEvent.LaunchFailed(ClaimEvent.FailureReason.LAUNCH_ERROR));
      return false;
    }
    Pod created;
    try {
      created =
          client
              .pods()
              .inNamespace(namespace)
              .resource(RunnerPods.pod(pool, claimId, name, cycle, podPolicy))
              .create();
    } catch (KubernetesClientException e) {
      log.warn(
          "pool {}: Pod {} not created ({} {}); deleting its Secret, releasing claim {}",
          pool.name(),
          name,
          e.getCode(),
          e.getStatus() == null ? e.getClass().getSimpleName() : e.getStatus().getReason(),
          claimId);
      reports.report(claimId, new ClaimEvent.LaunchFailed(ClaimEvent.FailureReason.LAUNCH_ERROR));
      deleteSecret(name);
      return false;
    }
    memory.createdThisTerm.put(claimId, clock.instant());
    handOver(pool, name, secret, created);
    reports.report(claimId, new ClaimEvent.Launching());
    log.info("pool {}: Pod {} created for {}", pool.name(), name, forWhat);
    return true;
  }

  /** Makes the Pod the Secret's owner, so that the Secret goes with it. */
  private void handOver(ProvisionedPool pool, String name, Secret secret, Pod created) {
    try {
      // A JSON patch replaces the owner list: one request; with the created Secret as its item,
      // the client does not read it back (Runway's Role has no secrets get).
      client
          .secrets()
          .inNamespace(namespace)
          .resource(secret)
          .patch(PatchContext.of(PatchType.JSON), RunnerPods.ownerPatch(created));
    } catch (KubernetesClientException e) {
      // The pool still owns it, and delete() removes it with the Pod.
      log.warn(
          "pool {}: Secret {} not handed to its Pod now (HTTP {})", pool.name(), name, e.getCode());
    }
  }

  private void deleteSecret(String name) {
    try {
      client.secrets().inNamespace(namespace).withName(name).delete();
    } catch (KubernetesClientException e) {
      log.warn("Secret {} not deleted now ({}); its RunnerPool owns it", name, e.getCode());
    }
  }
}
