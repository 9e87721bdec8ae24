// Over 400 lines, not for a good reason: its planning and its Kubernetes calls are still one class.
// The split into a pure planner (sealed actions) and an executor is open (docs/architecture.md).
package dev.runway.provisioner;

import dev.runway.claims.ClaimOutcome;
import dev.runway.claims.Claims;
import dev.runway.claims.PoolWakeups;
import dev.runway.claims.RunnerLoss;
import dev.runway.claims.RunnerState;
import dev.runway.claims.WarmClaims;
import dev.runway.claims.WarmOutcome;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.db.LeaderLock;
import dev.runway.platform.db.Signals;
import dev.runway.pools.DegradedPools;
import dev.runway.pools.KubernetesPoolSource;
import dev.runway.pools.PodTemplatePolicy;
import dev.runway.runners.ClaimEvent;
import dev.runway.runners.LiveRunner;
import dev.runway.runners.RunnerRegistrations;
import dev.runway.runners.RunnerStates;
import dev.runway.runners.Transition;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one Pod per claimed job for {@code RunnerPool}s with a {@code template}.
 *
 * <p>Every replica keeps an informer on the labelled Pods; one replica at a time (the holder of
 * {@link LeaderLock}) acts, in cycles on one thread: every {@code interval}, and sooner when a Pod
 * changes or a job becomes claimable. A cycle reads only caches and one query of live claims, then:
 *
 * <ol>
 *   <li>matches each Pod to its claim by label: a Pod whose claim ended is deleted; a Pod that
 *       cannot or did not start (image, config, start timeout, exit before a job, exit code 7) is
 *       reported to {@link RunnerStates} (which releases the claim at once, deletes the GitHub
 *       registration and counts {@code runway_runner_launch_failures_total}), then deleted;
 *   <li>releases claims of provisioned pools in {@code claimed} or {@code launching} that have no
 *       Pod (a leader died between claim and Pod, or someone deleted the Pod): adoption after a
 *       restart or hand-over is this same matching, so nothing is launched twice;
 *   <li>writes each pool's status when it changed;
 *   <li>while the API server is reachable, claims through {@link Claims} (the API's transaction,
 *       under the account and pool caps) and creates a Pod and its Secret per claim, at most {@code
 *       launchesPerCycle} per pool;
 *   <li>with what that bound leaves, tops the pool up to its {@code minIdle} idle warm runners
 *       through {@link WarmClaims} (claims with no job, whose Pods wait for any job of their
 *       account), and before that removes idle runners above {@code minIdle} or {@code maxRunners},
 *       asking GitHub first whether each is busy.
 * </ol>
 *
 * A Pod whose runner has a job (an {@code in_progress} named it) is deleted only when it ended, or
 * when its pool was deleted (Kubernetes' garbage collector would delete it anyway).
 */
public final class Provisioner implements AutoCloseable, DegradedPools {
  private static final Logger log = LoggerFactory.getLogger(Provisioner.class);
  private static final Duration RECHECK = Duration.ofSeconds(10);

  private final KubernetesClient client;
  private final String namespace;
  private final KubernetesPoolSource poolSource;
  private final Claims claims;
  private final WarmClaims warm;
  private final RunnerStates states;
  private final RunnerRegistrations registrations;
  private final Clock clock;
  private final RunwayConfig.Provisioner settings;
  private final LeaderLock leader;
  private final ScheduledExecutorService thread;
  private final AtomicBoolean pending = new AtomicBoolean();
  private final PoolStatusWriter statusWriter;
  private final DegradedGauges degradedGauges;
  private final PodTemplatePolicy podPolicy;

  /** Pools with a {@code claimable} signal since their last claim attempt. */
  private final Set<String> signalled = ConcurrentHashMap.newKeySet();

  private volatile boolean signalledAll = true;

  // Confined to the provisioning thread.
  /** When a claim attempt of the pool last found nothing (System.nanoTime). */
  private final Map<String, Long> emptySince = new HashMap<>();

  /** Until when the pool makes no claim attempt, signals or not (System.nanoTime). */
  private final Map<String, Long> holdUntil = new HashMap<>();

  private final Map<String, PoolHealth> health = new HashMap<>();

  /** Why the pool's last warm attempt started nothing; absent after one started a runner. */
  private final Map<String, WarmOutcome.NotNow> warmNote = new HashMap<>();

  /** Until when the pool makes no warm attempt unless a signal names it (System.nanoTime). */
  private final Map<String, Long> warmHoldUntil = new HashMap<>();

  /**
   * Claims whose runner a scale-down kept because GitHub said it is busy (or did not answer), and
   * when (System.nanoTime): asked again only after {@link #RECHECK}, logged once.
   */
  private final Map<Long, Long> keptBusy = new HashMap<>();

  private final Map<Long, Instant> createdThisTerm = new HashMap<>();

  /** Claims whose runner loss this leader recorded. */
  private final Set<Long> lostReported = new HashSet<>();

  private final Set<String> invalidLogged = new HashSet<>();
  private long cycle;
  private boolean leading;

  private volatile SharedIndexInformer<Pod> pods;

  public Provisioner(
      KubernetesPoolSource poolSource,
      Claims claims,
      WarmClaims warm,
      RunnerStates states,
      RunnerRegistrations registrations,
      DataSource ds,
      Clock clock,
      RunwayConfig.Provisioner settings,
      MeterRegistry registry) {
    this.client = poolSource.client();
    this.namespace = poolSource.namespace();
    this.poolSource = poolSource;
    this.claims = claims;
    this.warm = warm;
    this.states = states;
    this.registrations = registrations;
    this.clock = clock;
    this.settings = settings;
    this.leader = new LeaderLock(ds);
    this.statusWriter = new PoolStatusWriter(client, namespace, clock);
    this.degradedGauges = new DegradedGauges(registry);
    this.podPolicy = new PodTemplatePolicy(settings.podPolicy());
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "runway-provisioner");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts the Pod informer (without waiting for it) and the cycles. */
  public void start(Signals signals) {
    SharedIndexInformer<Pod> informer =
        client.pods().inNamespace(namespace).withLabel(RunnerPods.POOL_LABEL).runnableInformer(0);
    // Retry forever: a provisioner that gives up on the API server never launches again.
    informer.exceptionHandler((wasStarted, error) -> true);
    informer.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(Pod pod) {
            trigger();
          }

          @Override
          public void onUpdate(Pod old, Pod pod) {
            trigger();
          }

          @Override
          public void onDelete(Pod pod, boolean finalStateUnknown) {
            trigger();
          }
        });
    pods = informer;
    informer.start();
    signals.subscribe(
        PoolWakeups.TOPIC,
        key -> {
          if (Signals.ANY.equals(key)) {
            signalledAll = true;
          } else {
            signalled.add(key);
          }
          trigger();
        });
    long every = settings.interval().toNanos();
    thread.scheduleWithFixedDelay(this::cycleSafely, every, every, TimeUnit.NANOSECONDS);
    log.info(
        "provisioning RunnerPools with a template in namespace {}: at most {} launches per pool"
            + " per cycle, a cycle at least every {}",
        namespace,
        settings.launchesPerCycle(),
        settings.interval());
  }

  /** Asks for a cycle soon; many asks while one is pending make one cycle. */
  void trigger() {
    if (pending.compareAndSet(false, true)) {
      try {
        thread.execute(
            () -> {
              pending.set(false);
              cycleSafely();
            });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // Stopping.
      }
    }
  }

  private void cycleSafely() {
    try {
      cycle();
    } catch (RuntimeException e) {
      // The next cycle starts from the caches again; a failed one must not end the schedule.
      log.warn("provisioning cycle failed: {}", e.toString());
    }
  }

  private void cycle() {
    boolean lead = leader.lead();
    if (lead != leading) {
      leading = lead;
      createdThisTerm.clear();
      health.clear();
      if (!lead) {
        degradedGauges.clear();
      }
    }
    SharedIndexInformer<Pod> informer = pods;
    if (!lead || informer == null || !informer.hasSynced()) {
      return;
    }
    Optional<List<KubernetesPoolSource.Entry>> entries = poolSource.entries();
    if (entries.isEmpty()) {
      return;
    }
    cycle++;
    Set<String> existing = new HashSet<>();
    Map<String, ProvisionedPool> provisioned = new HashMap<>();
    // The latest version, to write status against; pools are provisioned from the one that serves.
    Map<String, GenericKubernetesResource> byName = new HashMap<>();
    Map<String, Optional<PoolStatusWriter.Condition>> validity = new HashMap<>();
    for (KubernetesPoolSource.Entry e : entries.get()) {
      String name = e.name();
      existing.add(name);
      byName.put(name, e.latest());
      validity.put(name, PoolStatusWriter.validity(e.latest(), e.problem(), e.served() != null));
      if (e.served() != null) {
        provisioned(e.served()).ifPresent(p -> provisioned.put(name, p));
      }
    }
    List<Pod> ours =
        informer.getStore().list().stream()
            .filter(p -> RunnerPods.claimOf(p).isPresent())
            .collect(Collectors.toList());
    Set<String> poolsToRead = new HashSet<>(provisioned.keySet());
    ours.forEach(p -> poolsToRead.add(RunnerPods.poolOf(p)));
    Map<Long, LiveRunner> live;
    try {
      live =
          states.liveIn(poolsToRead).stream()
              .collect(Collectors.toMap(LiveRunner::claimId, Function.identity()));
    } catch (SQLException e) {
      log.warn("provisioning paused: database: {}", e.getMessage());
      return;
    }
    boolean apiUp = informer.isWatching();
    Instant now = clock.instant();
    Map<String, PoolStatusWriter.Counts> counts = new HashMap<>();
    provisioned.keySet().forEach(p -> counts.put(p, new PoolStatusWriter.Counts()));
    Set<Long> withPod = new HashSet<>();
    List<Pod> idle = new ArrayList<>();
    for (Pod pod : ours) {
      long claimId = RunnerPods.claimOf(pod).orElseThrow();
      withPod.add(claimId);
      createdThisTerm.remove(claimId);
      if (pod.getMetadata().getDeletionTimestamp() != null) {
        continue;
      }
      String poolName = RunnerPods.poolOf(pod);
      LiveRunner claim = live.get(claimId);
      ProvisionedPool pool = provisioned.get(poolName);
      if (claim == null) {
        stopEnded(pod, claimId);
        continue;
      }
      if (!existing.contains(poolName)) {
        if (!claim.bound()) {
          report(claimId, new ClaimEvent.LaunchFailed(ClaimEvent.FailureReason.STOPPED));
        }
        delete(pod, "its RunnerPool was deleted");
        continue;
      }
      if (pool == null) {
        // The template was removed: Runway no longer starts runners here, but lets these end.
        continue;
      }
      judge(pod, pool, claim, now, counts.get(poolName), idle);
    }
    for (LiveRunner claim : live.values()) {
      if (!withPod.contains(claim.claimId())) {
        withoutPod(claim, provisioned.get(claim.pool()), apiUp, now);
      }
    }
    scaleDown(provisioned, idle, live, withPod);
    Map<String, Optional<String>> degraded = new HashMap<>();
    for (ProvisionedPool pool : provisioned.values()) {
      PoolHealth h = health(pool.name());
      statusWriter.write(
          byName.get(pool.name()),
          counts.get(pool.name()),
          h,
          pool.maxLaunchFailures(),
          Stream.of(warmCondition(pool, idleWarm(live, pool.name())), validity.get(pool.name()))
              .flatMap(Optional::stream)
              .toList());
      degraded.put(
          pool.name(),
          h.degraded(pool.maxLaunchFailures())
              ? Optional.of(
                  h.failuresInARow()
                      + " launch failures in a row, the last "
                      + h.lastReason().label())
              : Optional.empty());
    }
    degradedGauges.set(degraded);
    validity.forEach(
        (name, valid) -> {
          if (!provisioned.containsKey(name)) {
            valid.ifPresent(c -> statusWriter.writeValidity(byName.get(name), c));
          }
        });
    boolean all = signalledAll;
    signalledAll = false;
    if (apiUp) {
      for (ProvisionedPool pool : provisioned.values()) {
        boolean signalledNow = signalled.remove(pool.name()) || all;
        PoolHealth h = health(pool.name());
        int allowed = h.launchesAllowed(pool.maxLaunchFailures(), settings.launchesPerCycle(), now);
        int launched = launch(pool, now, signalledNow, allowed);
        // Jobs first: warm runners get what this cycle's bound leaves.
        launchWarm(pool, now, signalledNow, allowed - launched, idleWarm(live, pool.name()));
      }
    }
  }

  private static long idleWarm(Map<Long, LiveRunner> live, String pool) {
    return live.values().stream().filter(r -> r.pool().equals(pool) && r.idleWarm()).count();
  }

  /**
   * Starts warm runners until the pool has {@code minIdle} idle ones, within {@code allowed}. The
   * transaction decides (the caps, jobs first, the account); the count from this cycle's read only
   * saves a transaction when the pool has enough. After an attempt that started nothing, the pool
   * waits {@link #RECHECK} or a signal before the next.
   */
  private void launchWarm(
      ProvisionedPool pool, Instant now, boolean signalledNow, int allowed, long idleNow) {
    if (pool.minIdle() == 0) {
      warmNote.remove(pool.name());
      return;
    }
    if (idleNow >= pool.minIdle() || allowed <= 0) {
      return;
    }
    long ticks = System.nanoTime();
    Long held = warmHoldUntil.get(pool.name());
    if (!signalledNow && held != null && ticks - held < 0) {
      return;
    }
    for (int i = 0; i < allowed; i++) {
      WarmOutcome outcome = warm.start(pool.name(), pool.minIdle());
      if (outcome instanceof WarmOutcome.Started started) {
        warmNote.remove(pool.name());
        warmHoldUntil.remove(pool.name());
        health(pool.name()).probed(pool.maxLaunchFailures(), now);
        if (!start(
            pool,
            started.claimId(),
            started.runnerName(),
            started.encodedJitConfig(),
            "a warm runner for " + started.account())) {
          return;
        }
      } else if (outcome instanceof WarmOutcome.NotNow not) {
        if (not.why() != WarmOutcome.Why.ENOUGH) {
          if (!not.equals(warmNote.put(pool.name(), not))) {
            log.info("pool {}: no warm runner now: {}", pool.name(), not.detail());
          }
          warmHoldUntil.put(pool.name(), ticks + RECHECK.toNanos());
        }
        return;
      }
    }
  }

  /** The {@code Warm} condition of a pool with a {@code minIdle}; empty without one. */
  private Optional<PoolStatusWriter.Condition> warmCondition(ProvisionedPool pool, long idleNow) {
    if (pool.minIdle() == 0) {
      return Optional.empty();
    }
    if (idleNow >= pool.minIdle()) {
      return Optional.of(
          new PoolStatusWriter.Condition(
              "Warm",
              true,
              "MinIdleReached",
              idleNow + " warm runner(s) for minIdle " + pool.minIdle()));
    }
    WarmOutcome.NotNow note = warmNote.get(pool.name());
    if (note == null || note.why() == WarmOutcome.Why.ENOUGH) {
      return Optional.of(
          new PoolStatusWriter.Condition(
              "Warm",
              false,
              "Starting",
              idleNow + " of " + pool.minIdle() + " warm runner(s); starting more"));
    }
    return Optional.of(
        new PoolStatusWriter.Condition(
            "Warm",
            false,
            PoolStatusWriter.camel(note.why().name().toLowerCase(Locale.ROOT)),
            idleNow + " of " + pool.minIdle() + " warm runner(s): " + note.detail()));
  }

  private Optional<ProvisionedPool> provisioned(GenericKubernetesResource r) {
    String key = r.getMetadata().getName() + "@" + r.getMetadata().getResourceVersion();
    try {
      return ProvisionedPool.of(r);
    } catch (IllegalArgumentException e) {
      if (invalidLogged.add(key)) {
        log.warn("not provisioning: {}", e.getMessage());
      }
      return Optional.empty();
    }
  }

  /** What a live claim's Pod says, and what to do about it. */
  private void judge(
      Pod pod,
      ProvisionedPool pool,
      LiveRunner claim,
      Instant now,
      PoolStatusWriter.Counts counts,
      List<Pod> idle) {
    RunnerPods.Verdict v = RunnerPods.verdict(pod);
    if (v instanceof RunnerPods.Finished f) {
      if (claim.bound()) {
        // The job may fail for it: a rerun needs to know the runner did not exit by itself.
        RunnerPods.lossOf(pod).ifPresent(loss -> lost(claim.claimId(), loss));
      }
      // A just-in-time runner exits 0 only after its one job; any other code before an
      // in_progress bound the claim is a runner that never ran one (7: outdated).
      Transition t =
          report(
              claim.claimId(), new ClaimEvent.Exited(f.exitCode(), f.exitCode() == 0, false, null));
      if (t != null && t.state() == RunnerState.FAILED && t.kind() == Transition.Kind.APPLIED) {
        ClaimEvent.FailureReason reason =
            f.exitCode() == ClaimEvent.Exited.OUTDATED_EXIT_CODE
                ? ClaimEvent.FailureReason.RUNNER_OUTDATED
                : ClaimEvent.FailureReason.EXITED_BEFORE_JOB;
        failed(pool, reason, "runner exited with code " + f.exitCode() + " before any job", now);
      }
      delete(pod, "its runner exited");
    } else if (v instanceof RunnerPods.Broken b) {
      fail(pod, pool, claim, b.reason(), b.detail(), now);
    } else if (v instanceof RunnerPods.Up) {
      if (claim.bound()) {
        counts.running++;
      } else {
        counts.idle++;
        idle.add(pod);
      }
      if (!claim.bound() && claim.state() != RunnerState.RUNNING) {
        // The runner is up: running. A warm one waits for work; a job claim's runner may take its
        // job any moment, and from now on its lease no longer ends it (LeaseReaper).
        report(claim.claimId(), new ClaimEvent.Started());
      }
      if (health(pool.name()).success(pool.maxLaunchFailures())) {
        log.info("pool {}: a runner came up; no longer degraded", pool.name());
      }
    } else if (v instanceof RunnerPods.Pending) {
      Instant since = claim.stateChangedAt() == null ? now : claim.stateChangedAt();
      if (claim.bound() || since.plus(pool.startTimeout()).isAfter(now)) {
        counts.launching++;
        return;
      }
      // One GET before giving up on a Pod: the cache may lag behind the kubelet just then, and
      // the reason (unschedulable or not) should be the Pod's latest.
      RunnerPods.Verdict latest = latest(pod).map(RunnerPods::verdict).orElse(v);
      if (latest instanceof RunnerPods.Pending p) {
        ClaimEvent.FailureReason reason =
            p.unschedulable()
                ? ClaimEvent.FailureReason.UNSCHEDULABLE
                : ClaimEvent.FailureReason.START_TIMEOUT;
        fail(pod, pool, claim, reason, "Pod not started after " + pool.startTimeout(), now);
      } else {
        counts.launching++;
      }
    }
  }

  /** The Pod as the API server has it now; empty when that cannot be read. */
  private Optional<Pod> latest(Pod pod) {
    try {
      return Optional.ofNullable(
          client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).get());
    } catch (KubernetesClientException e) {
      return Optional.empty();
    }
  }

  private void fail(
      Pod pod,
      ProvisionedPool pool,
      LiveRunner claim,
      ClaimEvent.FailureReason reason,
      String detail,
      Instant now) {
    Transition t = report(claim.claimId(), new ClaimEvent.LaunchFailed(reason));
    if (t != null && t.kind() == Transition.Kind.APPLIED && t.state() == RunnerState.FAILED) {
      failed(pool, reason, detail, now);
      log.warn(
          "pool {}: Pod {} failed ({}): {}",
          pool.name(),
          pod.getMetadata().getName(),
          reason.label(),
          detail);
    }
    if (t != null) {
      delete(pod, reason.label());
    }
  }

  private void failed(
      ProvisionedPool pool, ClaimEvent.FailureReason reason, String detail, Instant now) {
    PoolHealth h = health(pool.name());
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

  /**
   * A live claim of a provisioned pool with no Pod: released when it is not bound and this leader
   * did not just create its Pod (the informer may not have seen it yet). A bound one ran its job on
   * a Pod someone deleted; the job's {@code completed} ends it.
   */
  private void withoutPod(LiveRunner claim, ProvisionedPool pool, boolean apiUp, Instant now) {
    // Every claim of a provisioned pool is this provisioner's: one reported running had a Pod,
    // and without it has nothing (the Pod was deleted or evicted before any in_progress).
    if (pool != null && apiUp && claim.bound()) {
      // Its runner had a job and its Pod is gone: the job's completed ends the claim, and a
      // rerun may follow.
      lost(claim.claimId(), RunnerLoss.POD_DELETED);
      return;
    }
    if (pool == null || !apiUp || claim.bound()) {
      return;
    }
    Instant created = createdThisTerm.get(claim.claimId());
    if (created != null && created.plus(Duration.ofMinutes(1)).isAfter(now)) {
      return;
    }
    createdThisTerm.remove(claim.claimId());
    log.info(
        "pool {}: claim {} has no Pod (its launcher stopped, or the Pod was deleted); releasing"
            + " it",
        pool.name(),
        claim.claimId());
    report(claim.claimId(), new ClaimEvent.LaunchFailed(ClaimEvent.FailureReason.POD_LOST));
  }

  /**
   * A pool over its {@code maxRunners} (lowered by its owner), or with more idle warm runners than
   * its {@code minIdle}, loses idle runners only, youngest first: surplus warm ones first, then
   * (for {@code maxRunners}) any idle one. A runner that has a job is never touched; see {@link
   * #retire}.
   */
  private void scaleDown(
      Map<String, ProvisionedPool> provisioned,
      List<Pod> idle,
      Map<Long, LiveRunner> live,
      Set<Long> withPod) {
    keptBusy.keySet().retainAll(withPod);
    lostReported.retainAll(live.keySet());
    Map<String, Long> livePerPool =
        live.values().stream()
            .collect(Collectors.groupingBy(LiveRunner::pool, Collectors.counting()));
    Map<String, Long> idleWarmPerPool =
        live.values().stream()
            .filter(LiveRunner::idleWarm)
            .collect(Collectors.groupingBy(LiveRunner::pool, Collectors.counting()));
    Map<String, List<Pod>> idlePerPool =
        idle.stream().collect(Collectors.groupingBy(RunnerPods::poolOf));
    for (var e : idlePerPool.entrySet()) {
      ProvisionedPool pool = provisioned.get(e.getKey());
      if (pool == null) {
        continue;
      }
      long overMax =
          pool.maxRunners() == null
              ? 0
              : livePerPool.getOrDefault(pool.name(), 0L) - pool.maxRunners();
      long overMinIdle = idleWarmPerPool.getOrDefault(pool.name(), 0L) - pool.minIdle();
      List<Pod> candidates = new ArrayList<>(e.getValue());
      // Idle warm runners first, youngest first within each kind.
      candidates.sort(
          Comparator.comparing((Pod p) -> !live.get(RunnerPods.claimOf(p).orElseThrow()).warm())
              .thenComparing(
                  Comparator.comparingLong((Pod p) -> RunnerPods.claimOf(p).orElseThrow())
                      .reversed()));
      long surplus = Math.max(overMax, 0);
      long warmSurplus = Math.max(overMinIdle, 0);
      for (Pod pod : candidates) {
        LiveRunner claim = live.get(RunnerPods.claimOf(pod).orElseThrow());
        boolean warmOne = claim.idleWarm() && warmSurplus > 0;
        if (surplus <= 0 && !warmOne) {
          continue;
        }
        if (claim.warm() && !claim.idleWarm()) {
          // Handed a job: its runner is about to take it.
          continue;
        }
        String why =
            warmOne
                ? "pool " + pool.name() + " has more idle runners than its minIdle"
                : "pool " + pool.name() + " is above its maxRunners";
        if (retire(pod, claim, why)) {
          surplus--;
          if (claim.idleWarm()) {
            warmSurplus--;
          }
        }
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
  private boolean retire(Pod pod, LiveRunner claim, String why) {
    long claimId = claim.claimId();
    if (recentlyKept(claimId)) {
      return false;
    }
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
    keptBusy.remove(claimId);
    delete(pod, why);
    return true;
  }

  /**
   * A Pod whose claim ended (the job completed, the claim was released or retired). A runner that
   * is up may still run a job Runway did not see yet, so such a Pod is deleted only after GitHub
   * says its runner is not busy: its registration is deleted first (GitHub refuses a busy one),
   * then the Pod. A Pod whose runner is not up (pending, exited) is deleted at once.
   */
  private void stopEnded(Pod pod, long claimId) {
    if (RunnerPods.verdict(pod) instanceof RunnerPods.Up) {
      if (recentlyKept(claimId)) {
        return;
      }
      RunnerRegistrations.Deletion d = registrations.deleteQuietly(claimId);
      if (d == RunnerRegistrations.Deletion.BUSY
          || d == RunnerRegistrations.Deletion.NOT_POSSIBLE) {
        kept(pod, claimId, "its claim ended", d == RunnerRegistrations.Deletion.BUSY);
        return;
      }
      keptBusy.remove(claimId);
    }
    delete(pod, "its claim ended");
  }

  /** Whether GitHub was asked about this claim's runner less than {@link #RECHECK} ago. */
  private boolean recentlyKept(long claimId) {
    Long kept = keptBusy.get(claimId);
    // Its in_progress is probably on its way; GitHub is not asked every cycle.
    return kept != null && System.nanoTime() - kept < RECHECK.toNanos();
  }

  private void kept(Pod pod, long claimId, String why, boolean busy) {
    if (keptBusy.put(claimId, System.nanoTime()) == null) {
      log.info(
          "Pod {} kept: {}, but GitHub says its runner is {}",
          pod.getMetadata().getName(),
          why,
          busy ? "busy" : "in an unknown state");
    }
  }

  /**
   * Claims and starts up to the pool's allowance. A pool whose last attempt found nothing is not
   * asked again until a {@code claimable} signal names it (a job was queued, released or completed)
   * or {@link #RECHECK} passed (a lost signal, or room freed by another pool's job under the
   * account cap): an idle pool costs no claim transaction per cycle.
   */
  private int launch(ProvisionedPool pool, Instant now, boolean signalledNow, int allowed) {
    long ticks = System.nanoTime();
    Long held = holdUntil.get(pool.name());
    if (held != null && ticks - held < 0) {
      return 0;
    }
    Long empty = emptySince.get(pool.name());
    if (!signalledNow && empty != null && ticks - empty < RECHECK.toNanos()) {
      return 0;
    }
    PoolHealth h = health(pool.name());
    int[] launched = {0};
    for (int i = 0; i < allowed; i++) {
      boolean more =
          claims
              .claim(pool.name())
              .accept(
                  new ClaimOutcome.Visitor<Boolean>() {
                    @Override
                    public Boolean claimed(ClaimOutcome.Claimed claimed) {
                      emptySince.remove(pool.name());
                      h.probed(pool.maxLaunchFailures(), now);
                      launched[0]++;
                      return start(
                          pool,
                          claimed.claimId(),
                          claimed.runnerName(),
                          claimed.encodedJitConfig(),
                          "job "
                              + claimed.job().jobId()
                              + "/"
                              + claimed.job().runAttempt()
                              + " of "
                              + claimed.job().repository());
                    }

                    @Override
                    public Boolean nothing(ClaimOutcome.Nothing nothing) {
                      emptySince.put(pool.name(), System.nanoTime());
                      return false;
                    }

                    @Override
                    public Boolean unknownPool(ClaimOutcome.UnknownPool unknown) {
                      return hold(pool);
                    }

                    @Override
                    public Boolean unavailable(ClaimOutcome.Unavailable unavailable) {
                      return hold(pool);
                    }

                    @Override
                    public Boolean gitHubFailed(ClaimOutcome.GitHubFailed failed) {
                      return hold(pool);
                    }

                    @Override
                    public Boolean deadlineExceeded(ClaimOutcome.DeadlineExceeded exceeded) {
                      return hold(pool);
                    }

                    @Override
                    public Boolean configError(ClaimOutcome.ConfigError error) {
                      return hold(pool);
                    }
                  });
      if (!more) {
        return launched[0];
      }
    }
    return launched[0];
  }

  /** GitHub or the database did not answer: no attempt for a while, whatever the signals. */
  private boolean hold(ProvisionedPool pool) {
    holdUntil.put(pool.name(), System.nanoTime() + RECHECK.toNanos());
    return false;
  }

  /**
   * Creates the claim's Secret, then its Pod, then makes the Pod the Secret's owner; on failure,
   * releases the claim. The Secret comes first so that the Pod never starts without its JIT config
   * (a Pod created first can be scheduled and fail on a missing Secret). Until the owner is set,
   * the Secret belongs to the RunnerPool, so even a crash in between leaves nothing that outlives
   * the pool; a Pod that is not created takes its Secret with it.
   */
  private boolean start(
      ProvisionedPool pool, long claimId, String name, String encodedJitConfig, String forWhat) {
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
      report(claimId, new ClaimEvent.LaunchFailed(ClaimEvent.FailureReason.LAUNCH_ERROR));
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
      report(claimId, new ClaimEvent.LaunchFailed(ClaimEvent.FailureReason.LAUNCH_ERROR));
      deleteSecret(name);
      return false;
    }
    createdThisTerm.put(claimId, clock.instant());
    try {
      // A JSON patch replaces the owner list: one request; with the created Secret as its item,
      // the client does not read it back (Runway's Role has no secrets get).
      client
          .secrets()
          .inNamespace(namespace)
          .resource(secret)
          .patch(
              io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                  io.fabric8.kubernetes.client.dsl.base.PatchType.JSON),
              RunnerPods.ownerPatch(created));
    } catch (KubernetesClientException e) {
      // The pool still owns it, and delete() removes it with the Pod.
      log.warn(
          "pool {}: Secret {} not handed to its Pod now (HTTP {})", pool.name(), name, e.getCode());
    }
    report(claimId, new ClaimEvent.Launching());
    log.info("pool {}: Pod {} created for {}", pool.name(), name, forWhat);
    return true;
  }

  private void deleteSecret(String name) {
    try {
      client.secrets().inNamespace(namespace).withName(name).delete();
    } catch (KubernetesClientException e) {
      log.warn("Secret {} not deleted now ({}); its RunnerPool owns it", name, e.getCode());
    }
  }

  /** Records a runner loss once per claim (the database keeps the first one anyway). */
  private void lost(long claimId, RunnerLoss loss) {
    if (!lostReported.add(claimId)) {
      return;
    }
    try {
      states.runnerLost(claimId, loss, true);
    } catch (SQLException e) {
      lostReported.remove(claimId);
      log.warn("claim {}: runner loss not recorded now: {}", claimId, e.getMessage());
    }
  }

  /** Records a claim event; null when the database did not answer (the next cycle retries). */
  private Transition report(long claimId, ClaimEvent event) {
    try {
      return states.record(claimId, event);
    } catch (SQLException e) {
      log.warn("claim {}: {} not recorded now: {}", claimId, event.target(), e.getMessage());
      return null;
    }
  }

  /** Deletes the Pod and its Secret; the Secret's owner references cover a failed delete. */
  private void delete(Pod pod, String why) {
    String name = pod.getMetadata().getName();
    try {
      client.pods().inNamespace(namespace).withName(name).delete();
      client.secrets().inNamespace(namespace).withName(name).delete();
      log.info("Pod {} deleted: {}", name, why);
    } catch (KubernetesClientException e) {
      log.warn("Pod {} not deleted now ({}); next cycle retries", name, e.getCode());
    }
  }

  @Override
  public Map<String, String> degraded() {
    return degradedGauges.degraded();
  }

  private PoolHealth health(String pool) {
    return health.computeIfAbsent(pool, p -> new PoolHealth());
  }

  @Override
  public void close() {
    thread.shutdownNow();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    SharedIndexInformer<Pod> informer = pods;
    if (informer != null) {
      informer.close();
    }
    leader.close();
  }
}
