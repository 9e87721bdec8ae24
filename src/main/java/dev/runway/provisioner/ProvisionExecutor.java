package dev.runway.provisioner;

import dev.runway.claims.Claims;
import dev.runway.claims.RunnerLoss;
import dev.runway.claims.RunnerState;
import dev.runway.claims.WarmClaims;
import dev.runway.pools.PodTemplatePolicy;
import dev.runway.provisioner.ProvisionAction.Candidate;
import dev.runway.runners.ClaimEvent;
import dev.runway.runners.LiveRunner;
import dev.runway.runners.RunnerRegistrations;
import dev.runway.runners.RunnerStates;
import dev.runway.runners.Transition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out a cycle's {@link ProvisionAction}s with the Kubernetes API, {@link Claims}, {@link
 * WarmClaims}, {@link RunnerStates} and GitHub's registrations, and writes what they came to into
 * the {@link LeaderMemory}. A failed call is logged and left to the next cycle, which plans from
 * the caches again; nothing here decides what to do, only how and in which order.
 */
final class ProvisionExecutor {
  private static final Logger log = LoggerFactory.getLogger(ProvisionExecutor.class);

  private final KubernetesClient client;
  private final String namespace;
  private final RunnerStates states;
  private final RunnerRegistrations registrations;
  private final PoolStatusWriter statusWriter;
  private final DegradedGauges degradedGauges;
  private final LeaderMemory memory;
  private final PodLauncher launcher;

  ProvisionExecutor(
      KubernetesClient client,
      String namespace,
      Claims claims,
      WarmClaims warm,
      RunnerStates states,
      RunnerRegistrations registrations,
      Clock clock,
      DegradedGauges degradedGauges,
      PodTemplatePolicy podPolicy,
      LeaderMemory memory) {
    this.client = client;
    this.namespace = namespace;
    this.states = states;
    this.registrations = registrations;
    this.statusWriter = new PoolStatusWriter(client, namespace, clock);
    this.degradedGauges = degradedGauges;
    this.memory = memory;
    this.launcher =
        new PodLauncher(
            client, namespace, claims, warm, clock, podPolicy, memory, states::recordOrNull);
  }

  /** Runs {@code plan} in order; {@code now} is the cycle's, the time its failures count at. */
  void run(List<ProvisionAction> plan, Instant now) {
    plan.forEach(a -> run(a, now));
  }

  private void run(ProvisionAction a, Instant now) {
    if (a instanceof ProvisionAction.DeletePod d) {
      delete(d.pod(), d.why());
    } else if (a instanceof ProvisionAction.StopEnded e) {
      stopEnded(e.pod(), e.claimId());
    } else if (a instanceof ProvisionAction.Report r) {
      states.recordOrNull(r.claimId(), r.event());
    } else if (a instanceof ProvisionAction.RecordLoss l) {
      lost(l.claimId(), l.loss());
    } else if (a instanceof ProvisionAction.Exited e) {
      exited(e, now);
    } else if (a instanceof ProvisionAction.FailLaunch f) {
      fail(f, now);
    } else if (a instanceof ProvisionAction.CameUp u) {
      cameUp(u.pool());
    } else if (a instanceof ProvisionAction.ReleaseLost r) {
      releaseLost(r.pool(), r.claimId());
    } else if (a instanceof ProvisionAction.ScaleDown s) {
      scaleDown(s);
    } else if (a instanceof ProvisionAction.WriteStatus w) {
      statusWriter.write(
          w.resource(), w.counts(), w.health(), w.maxLaunchFailures(), w.conditions());
    } else if (a instanceof ProvisionAction.WriteValidity v) {
      statusWriter.writeValidity(v.resource(), v.valid());
    } else if (a instanceof ProvisionAction.SetDegraded d) {
      degradedGauges.set(d.byPool());
    } else if (a instanceof ProvisionAction.Launch l) {
      launcher.launch(l, now);
    } else {
      throw new IllegalStateException("no executor for " + a);
    }
  }

  private void exited(ProvisionAction.Exited e, Instant now) {
    Transition t = states.recordOrNull(e.claimId(), e.event());
    if (t != null && t.state() == RunnerState.FAILED && t.kind() == Transition.Kind.APPLIED) {
      failed(e.pool(), e.reason(), e.detail(), now);
    }
    delete(e.pod(), "its runner exited");
  }

  private void fail(ProvisionAction.FailLaunch f, Instant now) {
    Transition t = states.recordOrNull(f.claimId(), new ClaimEvent.LaunchFailed(f.reason()));
    if (t != null && t.kind() == Transition.Kind.APPLIED && t.state() == RunnerState.FAILED) {
      failed(f.pool(), f.reason(), f.detail(), now);
      log.warn(
          "pool {}: Pod {} failed ({}): {}",
          f.pool().name(),
          f.pod(),
          f.reason().label(),
          f.detail());
    }
    if (t != null) {
      delete(f.pod(), f.reason().label());
    }
  }

  private void failed(
      ProvisionedPool pool, ClaimEvent.FailureReason reason, String detail, Instant now) {
    PoolHealth h = memory.health(pool.name());
    if (h.failure(reason, detail, pool.maxLaunchFailures(), now)) {
      log.error(
          "pool {} is Degraded: {} launch failures in a row, the last {} ({}); launching one Pod"
              + " per backoff until a runner comes up",
          pool.name(),
          h.failuresInARow(),
          reason.label(),
          detail);
    }
  }

  private void cameUp(ProvisionedPool pool) {
    if (memory.health(pool.name()).success(pool.maxLaunchFailures())) {
      log.info("pool {}: a runner came up; no longer degraded", pool.name());
    }
  }

  private void releaseLost(String pool, long claimId) {
    memory.createdThisTerm.remove(claimId);
    log.info(
        "pool {}: claim {} has no Pod (its launcher stopped, or the Pod was deleted); releasing"
            + " it",
        pool,
        claimId);
    states.recordOrNull(claimId, new ClaimEvent.LaunchFailed(ClaimEvent.FailureReason.POD_LOST));
  }

  private void scaleDown(ProvisionAction.ScaleDown s) {
    ProvisionAction.RetireBudget budget = s.budget();
    for (Candidate c : s.candidates()) {
      Optional<String> why = budget.why(c.claim());
      if (why.isPresent() && retire(c.pod(), c.claim(), why.get())) {
        budget = budget.retired(c.claim());
      }
    }
  }

  /**
   * Stops an idle runner, never one with a job, in an order where no step can strand a runner that
   * has one:
   *
   * <ol>
   *   <li>GitHub is asked, by the runner's id, whether it is busy: busy or unknown (GitHub did not
   *       answer), the Pod stays;
   *   <li>the conditional claim transition, which refuses if an {@code in_progress} bound the claim
   *       meanwhile: the Pod stays;
   *   <li>the registration is deleted: GitHub refuses that for a runner that took a job since step
   *       1 (422), and then the Pod stays, its claim now ended: a claim-ended Pod is deleted only
   *       once GitHub says its runner is not busy ({@link #stopEnded}), and the job's {@code
   *       in_progress} revives the claim;
   *   <li>only then the Pod.
   * </ol>
   */
  private boolean retire(String pod, LiveRunner claim, String why) {
    long claimId = claim.claimId();
    RunnerRegistrations.Registration r = registrations.lookup(claimId);
    if (r == RunnerRegistrations.Registration.BUSY
        || r == RunnerRegistrations.Registration.UNKNOWN) {
      kept(pod, claimId, why, r == RunnerRegistrations.Registration.BUSY);
      return false;
    }
    Transition t;
    try {
      t = states.retire(claimId);
    } catch (SQLException e) {
      log.warn("claim {}: not stopped now: {}", claimId, e.getMessage());
      return false;
    }
    if (t.kind() != Transition.Kind.APPLIED) {
      return false;
    }
    if (r == RunnerRegistrations.Registration.IDLE
        && registrations.deleteQuietly(claimId) == RunnerRegistrations.Deletion.BUSY) {
      kept(pod, claimId, why, true);
      return false;
    }
    memory.keptBusy.remove(claimId);
    delete(pod, why);
    return true;
  }

  /** A Pod whose claim ended and whose runner is up: its registration goes first. */
  private void stopEnded(String pod, long claimId) {
    RunnerRegistrations.Deletion d = registrations.deleteQuietly(claimId);
    if (d == RunnerRegistrations.Deletion.BUSY || d == RunnerRegistrations.Deletion.NOT_POSSIBLE) {
      kept(pod, claimId, "its claim ended", d == RunnerRegistrations.Deletion.BUSY);
      return;
    }
    memory.keptBusy.remove(claimId);
    delete(pod, "its claim ended");
  }

  private void kept(String pod, long claimId, String why, boolean busy) {
    if (memory.keptBusy.put(claimId, System.nanoTime()) == null) {
      log.info(
          "Pod {} kept: {}, but GitHub says its runner is {}",
          pod,
          why,
          busy ? "busy" : "in an unknown state");
    }
  }

  /** Records a runner loss once per claim (the database keeps the first one anyway). */
  private void lost(long claimId, RunnerLoss loss) {
    if (!memory.lostReported.add(claimId)) {
      return;
    }
    try {
      states.runnerLost(claimId, loss, true);
    } catch (SQLException e) {
      memory.lostReported.remove(claimId);
      log.warn("claim {}: runner loss not recorded now: {}", claimId, e.getMessage());
    }
  }

  /** Deletes the Pod and its Secret; the Secret's owner references cover a failed delete. */
  private void delete(String pod, String why) {
    try {
      client.pods().inNamespace(namespace).withName(pod).delete();
      client.secrets().inNamespace(namespace).withName(pod).delete();
      log.info("Pod {} deleted: {}", pod, why);
    } catch (KubernetesClientException e) {
      log.warn("Pod {} not deleted now ({}); next cycle retries", pod, e.getCode());
    }
  }
}
