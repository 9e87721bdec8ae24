package dev.runway.provisioner;

import dev.runway.claims.RunnerLoss;
import dev.runway.claims.RunnerState;
import dev.runway.provisioner.ProvisionAction.Candidate;
import dev.runway.provisioner.ProvisionSnapshot.PoolEntry;
import dev.runway.provisioner.ProvisionSnapshot.RunnerPod;
import dev.runway.runners.ClaimEvent;
import dev.runway.runners.LiveRunner;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Decides a provisioning cycle from a {@link ProvisionSnapshot}: no Kubernetes client, no database,
 * no clock but the snapshot's, so every decision can be tested with plain values.
 *
 * <p>A cycle is planned in two parts because the second reads what the first came to: {@link #pods}
 * matches each Pod to its claim (delete, report, release, scale down), and once those ran, {@link
 * #pools} writes each pool's status and launches, from the health the reports moved (a launch
 * failure only counts when its transition applied, which only the call can tell).
 *
 * <p>A Pod whose runner has a job (an {@code in_progress} named it) is deleted only when it ended,
 * or when its pool was deleted (Kubernetes' garbage collector would delete it anyway).
 */
final class ProvisionPlanner {
  /** How long a Pod this leader created may be missing from the informer's cache. */
  static final Duration INFORMER_LAG = Duration.ofMinutes(1);

  private final int launchesPerCycle;

  /** The Pods' part of a cycle, and the pools' runners by what their Pods say. */
  record PodPlan(List<ProvisionAction> actions, Map<String, PoolStatusWriter.Counts> counts) {}

  ProvisionPlanner(int launchesPerCycle) {
    this.launchesPerCycle = launchesPerCycle;
  }

  /**
   * The Pods whose cached status alone cannot fail them: Pending past their pool's start timeout.
   * The cache may lag behind the kubelet just then, and the reason (unschedulable or not) should be
   * the Pod's latest, so these are read once more into {@link ProvisionSnapshot#reread}.
   */
  static List<String> overdue(ProvisionSnapshot s) {
    Map<String, ProvisionedPool> provisioned = provisioned(s);
    return s.pods().stream()
        .filter(p -> overdue(p, s.live().get(p.claimId()), provisioned.get(p.pool()), s.now()))
        .map(RunnerPod::name)
        .toList();
  }

  private static boolean overdue(
      RunnerPod pod, LiveRunner claim, ProvisionedPool pool, Instant now) {
    if (pod.deleting()
        || claim == null
        || pool == null
        || claim.bound()
        || !(pod.verdict() instanceof RunnerPods.Pending)) {
      return false;
    }
    Instant since = claim.stateChangedAt() == null ? now : claim.stateChangedAt();
    return !since.plus(pool.startTimeout()).isAfter(now);
  }

  /**
   * Matches each Pod to its live claim by label; then releases live unbound claims without a Pod,
   * and removes idle runners over {@code maxRunners} or {@code minIdle}.
   */
  PodPlan pods(ProvisionSnapshot s) {
    Map<String, ProvisionedPool> provisioned = provisioned(s);
    Set<String> existing = s.pools().stream().map(PoolEntry::name).collect(Collectors.toSet());
    Map<String, int[]> tallies = new LinkedHashMap<>();
    provisioned.keySet().forEach(p -> tallies.put(p, new int[3]));
    List<ProvisionAction> out = new ArrayList<>();
    Set<Long> withPod = new HashSet<>();
    List<RunnerPod> idle = new ArrayList<>();
    for (RunnerPod pod : s.pods()) {
      withPod.add(pod.claimId());
      if (pod.deleting()) {
        continue;
      }
      LiveRunner claim = s.live().get(pod.claimId());
      if (claim == null) {
        ended(pod, s, out);
      } else if (!existing.contains(pod.pool())) {
        if (!claim.bound()) {
          out.add(stopped(claim));
        }
        out.add(new ProvisionAction.DeletePod(pod.name(), "its RunnerPool was deleted"));
      } else if (provisioned.containsKey(pod.pool())) {
        // A pool whose template was removed is skipped: no new runners, but these may end.
        ProvisionedPool pool = provisioned.get(pod.pool());
        judge(pod, pool, claim, s, tallies.get(pool.name()), idle, out);
      }
    }
    for (LiveRunner claim : s.live().values()) {
      if (!withPod.contains(claim.claimId())) {
        withoutPod(claim, provisioned.get(claim.pool()), s, out);
      }
    }
    scaleDown(provisioned, idle, s, out);
    Map<String, PoolStatusWriter.Counts> counts = new LinkedHashMap<>();
    tallies.forEach((p, t) -> counts.put(p, new PoolStatusWriter.Counts(t[0], t[1], t[2])));
    return new PodPlan(List.copyOf(out), counts);
  }

  private static ProvisionAction stopped(LiveRunner claim) {
    return new ProvisionAction.Report(
        claim.claimId(), new ClaimEvent.LaunchFailed(ClaimEvent.FailureReason.STOPPED));
  }

  /**
   * A Pod whose claim ended. A runner that is up may still run a job Runway did not see yet, so its
   * Pod goes through GitHub first; one that is not up (pending, exited) is deleted at once.
   */
  private static void ended(RunnerPod pod, ProvisionSnapshot s, List<ProvisionAction> out) {
    if (!(pod.verdict() instanceof RunnerPods.Up)) {
      out.add(new ProvisionAction.DeletePod(pod.name(), "its claim ended"));
    } else if (!s.recentlyKept().contains(pod.claimId())) {
      // Its in_progress is probably on its way; GitHub is not asked every cycle.
      out.add(new ProvisionAction.StopEnded(pod.name(), pod.claimId()));
    }
  }

  /** What a live claim's Pod says, and what to do about it; {@code tally}: idle, launching, up. */
  private static void judge(
      RunnerPod pod,
      ProvisionedPool pool,
      LiveRunner claim,
      ProvisionSnapshot s,
      int[] tally,
      List<RunnerPod> idle,
      List<ProvisionAction> out) {
    RunnerPods.Verdict v = pod.verdict();
    if (v instanceof RunnerPods.Finished f) {
      exited(pod, pool, claim, f.exitCode(), out);
    } else if (v instanceof RunnerPods.Broken b) {
      out.add(
          new ProvisionAction.FailLaunch(
              pod.name(), pool, claim.claimId(), b.reason(), b.detail()));
    } else if (v instanceof RunnerPods.Up) {
      if (claim.bound()) {
        tally[2]++;
      } else {
        tally[0]++;
        idle.add(pod);
      }
      if (!claim.bound() && claim.state() != RunnerState.RUNNING) {
        // The runner is up: running. A warm one waits for work; a job claim's runner may take its
        // job any moment, and from now on its lease no longer ends it (LeaseReaper).
        out.add(new ProvisionAction.Report(claim.claimId(), new ClaimEvent.Started()));
      }
      out.add(new ProvisionAction.CameUp(pool));
    } else if (v instanceof RunnerPods.Pending) {
      if (!overdue(pod, claim, pool, s.now())
          || !(s.reread().getOrDefault(pod.name(), v) instanceof RunnerPods.Pending latest)) {
        tally[1]++;
        return;
      }
      ClaimEvent.FailureReason reason =
          latest.unschedulable()
              ? ClaimEvent.FailureReason.UNSCHEDULABLE
              : ClaimEvent.FailureReason.START_TIMEOUT;
      out.add(
          new ProvisionAction.FailLaunch(
              pod.name(),
              pool,
              claim.claimId(),
              reason,
              "Pod not started after " + pool.startTimeout()));
    }
  }

  private static void exited(
      RunnerPod pod,
      ProvisionedPool pool,
      LiveRunner claim,
      int exitCode,
      List<ProvisionAction> out) {
    if (claim.bound()) {
      // The job may fail for it: a rerun needs to know the runner did not exit by itself.
      pod.loss().ifPresent(loss -> out.add(new ProvisionAction.RecordLoss(claim.claimId(), loss)));
    }
    // A just-in-time runner exits 0 only after its one job; any other code before an in_progress
    // bound the claim is a runner that never ran one (7: outdated).
    ClaimEvent.FailureReason reason =
        exitCode == ClaimEvent.Exited.OUTDATED_EXIT_CODE
            ? ClaimEvent.FailureReason.RUNNER_OUTDATED
            : ClaimEvent.FailureReason.EXITED_BEFORE_JOB;
    out.add(
        new ProvisionAction.Exited(
            pod.name(),
            pool,
            claim.claimId(),
            new ClaimEvent.Exited(exitCode, exitCode == 0, false, null),
            reason,
            "runner exited with code " + exitCode + " before any job"));
  }

  /**
   * A live claim of a provisioned pool with no Pod: released when it is not bound and this leader
   * did not just create its Pod (the informer may not have seen it yet). A bound one ran its job on
   * a Pod someone deleted; the job's {@code completed} ends it.
   */
  private static void withoutPod(
      LiveRunner claim, ProvisionedPool pool, ProvisionSnapshot s, List<ProvisionAction> out) {
    // Every claim of a provisioned pool is this provisioner's: one reported running had a Pod,
    // and without it has nothing (the Pod was deleted or evicted before any in_progress).
    if (pool == null || !s.apiUp()) {
      return;
    }
    if (claim.bound()) {
      // Its runner had a job and its Pod is gone: a rerun may follow the job's completed.
      out.add(new ProvisionAction.RecordLoss(claim.claimId(), RunnerLoss.POD_DELETED));
      return;
    }
    Instant created = s.createdThisTerm().get(claim.claimId());
    if (created == null || !created.plus(INFORMER_LAG).isAfter(s.now())) {
      out.add(new ProvisionAction.ReleaseLost(pool.name(), claim.claimId()));
    }
  }

  /**
   * A pool over its {@code maxRunners} (lowered by its owner), or with more idle warm runners than
   * its {@code minIdle}, loses idle runners only, youngest first: surplus warm ones first, then
   * (for {@code maxRunners}) any idle one. A warm runner handed a job is about to take it, and one
   * GitHub was just asked about waits: neither is a candidate.
   */
  private static void scaleDown(
      Map<String, ProvisionedPool> provisioned,
      List<RunnerPod> idle,
      ProvisionSnapshot s,
      List<ProvisionAction> out) {
    Map<String, Long> livePerPool =
        s.live().values().stream()
            .collect(Collectors.groupingBy(LiveRunner::pool, Collectors.counting()));
    Map<String, List<RunnerPod>> idlePerPool =
        idle.stream()
            .collect(
                Collectors.groupingBy(RunnerPod::pool, LinkedHashMap::new, Collectors.toList()));
    idlePerPool.forEach(
        (name, pods) -> {
          ProvisionedPool pool = provisioned.get(name);
          long overMax =
              pool.maxRunners() == null
                  ? 0
                  : livePerPool.getOrDefault(name, 0L) - pool.maxRunners();
          long overMinIdle = idleWarm(s, name) - pool.minIdle();
          var budget =
              new ProvisionAction.RetireBudget(
                  name, Math.max(overMax, 0), Math.max(overMinIdle, 0));
          List<Candidate> candidates =
              pods.stream()
                  .map(p -> new Candidate(p.name(), s.live().get(p.claimId())))
                  .filter(c -> !(c.claim().warm() && !c.claim().idleWarm()))
                  .filter(c -> !s.recentlyKept().contains(c.claim().claimId()))
                  .sorted(
                      Comparator.comparing((Candidate c) -> !c.claim().warm())
                          .thenComparing(
                              Comparator.comparingLong((Candidate c) -> c.claim().claimId())
                                  .reversed()))
                  .toList();
          if ((budget.surplus() > 0 || budget.warmSurplus() > 0) && !candidates.isEmpty()) {
            out.add(new ProvisionAction.ScaleDown(candidates, budget));
          }
        });
  }

  /**
   * Each provisioned pool's status and launches, then the {@code Valid} condition of the pools
   * Runway does not provision. {@code counts} are the Pods' part's; {@code leader} is read after
   * that part ran.
   */
  List<ProvisionAction> pools(
      ProvisionSnapshot s,
      Map<String, PoolStatusWriter.Counts> counts,
      ProvisionSnapshot.Leader leader) {
    List<ProvisionAction> out = new ArrayList<>();
    Map<String, Optional<String>> degraded = new LinkedHashMap<>();
    for (PoolEntry e : s.pools()) {
      e.provisioned()
          .ifPresent(
              pool -> {
                PoolHealth.State h = leader.health(pool.name());
                out.add(status(e, pool, counts.get(pool.name()), h, s, leader));
                degraded.put(pool.name(), degradedWhy(pool, h));
              });
    }
    out.add(new ProvisionAction.SetDegraded(degraded));
    for (PoolEntry e : s.pools()) {
      if (e.provisioned().isEmpty()) {
        e.validity().ifPresent(c -> out.add(new ProvisionAction.WriteValidity(e.latest(), c)));
      }
    }
    if (s.apiUp()) {
      s.pools().stream()
          .flatMap(e -> e.provisioned().stream())
          .forEach(pool -> out.add(launch(pool, s, leader)));
    }
    return List.copyOf(out);
  }

  private static ProvisionAction status(
      PoolEntry e,
      ProvisionedPool pool,
      PoolStatusWriter.Counts counts,
      PoolHealth.State h,
      ProvisionSnapshot s,
      ProvisionSnapshot.Leader leader) {
    List<PoolStatusWriter.Condition> conditions =
        Stream.of(
                PoolStatusWriter.warm(
                    pool, idleWarm(s, pool.name()), leader.warmNotes().get(pool.name())),
                e.validity())
            .flatMap(Optional::stream)
            .toList();
    return new ProvisionAction.WriteStatus(
        e.latest(), counts, h, pool.maxLaunchFailures(), conditions);
  }

  private static Optional<String> degradedWhy(ProvisionedPool pool, PoolHealth.State h) {
    if (!h.degraded(pool.maxLaunchFailures())) {
      return Optional.empty();
    }
    return Optional.of(
        h.failuresInARow() + " launch failures in a row, the last " + h.lastReason().label());
  }

  /**
   * A pool launches up to its health's allowance. A pool whose last attempt found nothing is not
   * asked again until a {@code claimable} signal names it (a job was queued, released or completed)
   * or 10 s passed (a lost signal, or room freed by another pool's job under the account cap): an
   * idle pool costs no claim transaction per cycle. One held after GitHub or the database did not
   * answer waits whatever the signals. Warm runners get what the jobs leave, while the pool has
   * fewer idle ones than its {@code minIdle}; the transaction decides the rest (the caps, jobs
   * first, the account).
   */
  private ProvisionAction launch(
      ProvisionedPool pool, ProvisionSnapshot s, ProvisionSnapshot.Leader leader) {
    String name = pool.name();
    boolean signalled = leader.signalled().contains(name);
    int allowed =
        leader.health(name).launchesAllowed(pool.maxLaunchFailures(), launchesPerCycle, s.now());
    boolean jobs =
        !leader.held().contains(name) && (signalled || !leader.foundNothing().contains(name));
    boolean warm =
        pool.minIdle() > 0
            && idleWarm(s, name) < pool.minIdle()
            && (signalled || !leader.warmHeld().contains(name));
    return new ProvisionAction.Launch(pool, allowed, jobs, warm, leader.cycle());
  }

  private static long idleWarm(ProvisionSnapshot s, String pool) {
    return s.live().values().stream().filter(r -> r.pool().equals(pool) && r.idleWarm()).count();
  }

  private static Map<String, ProvisionedPool> provisioned(ProvisionSnapshot s) {
    Map<String, ProvisionedPool> provisioned = new LinkedHashMap<>();
    s.pools().forEach(e -> e.provisioned().ifPresent(p -> provisioned.put(e.name(), p)));
    return provisioned;
  }
}
