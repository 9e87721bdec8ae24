package dev.runway.provisioner;

import dev.runway.claims.Claims;
import dev.runway.claims.WarmClaims;
import dev.runway.platform.config.RunwayConfig;
import dev.runway.platform.db.LeaderLock;
import dev.runway.platform.db.Signals;
import dev.runway.pools.DegradedPools;
import dev.runway.pools.KubernetesPoolSource;
import dev.runway.pools.PodTemplatePolicy;
import dev.runway.runners.LiveRunner;
import dev.runway.runners.RunnerRegistrations;
import dev.runway.runners.RunnerStates;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one Pod per claimed job for {@code RunnerPool}s with a {@code template}.
 *
 * <p>Every replica keeps an informer on the labelled Pods; one replica at a time (the holder of
 * {@link LeaderLock}) acts, in cycles on one thread: every {@code interval}, and sooner when a Pod
 * changes or a job becomes claimable. A cycle is snapshot, plan, execute: it reads only caches and
 * one query of live claims into a {@link ProvisionSnapshot}, {@link ProvisionPlanner} decides, and
 * {@link ProvisionExecutor} makes the calls:
 *
 * <ol>
 *   <li>matches each Pod to its claim by label: a Pod whose claim ended is deleted; a Pod that
 *       cannot or did not start (image, config, start timeout, exit before a job, exit code 7) is
 *       reported to {@link RunnerStates} (which releases the claim at once, deletes the GitHub
 *       registration and counts {@code runway_runner_launch_failures_total}), then deleted;
 *   <li>releases claims of provisioned pools in {@code claimed} or {@code launching} that have no
 *       Pod (a leader died between claim and Pod, or someone deleted the Pod): adoption after a
 *       restart or hand-over is this same matching, so nothing is launched twice;
 *   <li>removes idle runners above {@code minIdle} or {@code maxRunners}, asking GitHub first
 *       whether each is busy;
 *   <li>writes each pool's status when it changed;
 *   <li>while the API server is reachable, claims through {@link Claims} (the API's transaction,
 *       under the account and pool caps) and creates a Pod and its Secret per claim, at most {@code
 *       launchesPerCycle} per pool; with what that bound leaves, tops the pool up to its {@code
 *       minIdle} idle warm runners through {@link WarmClaims} (claims with no job, whose Pods wait
 *       for any job of their account).
 * </ol>
 */
public final class Provisioner implements AutoCloseable, DegradedPools {
  private static final Logger log = LoggerFactory.getLogger(Provisioner.class);

  private final KubernetesClient client;
  private final String namespace;
  private final KubernetesPoolSource poolSource;
  private final RunnerStates states;
  private final Clock clock;
  private final RunwayConfig.Provisioner settings;
  private final LeaderLock leader;
  private final LeaderLoop loop;
  private final DegradedGauges degradedGauges;
  private final ProvisionPlanner planner;
  private final ProvisionExecutor executor;

  // Confined to the provisioning thread.
  private final LeaderMemory memory = new LeaderMemory();
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
    this.states = states;
    this.clock = clock;
    this.settings = settings;
    this.leader = new LeaderLock(ds);
    this.degradedGauges = new DegradedGauges(registry);
    this.planner = new ProvisionPlanner(settings.launchesPerCycle());
    this.executor =
        new ProvisionExecutor(
            client,
            namespace,
            claims,
            warm,
            states,
            registrations,
            clock,
            degradedGauges,
            new PodTemplatePolicy(settings.podPolicy()),
            memory);
    this.loop = new LeaderLoop("runway-provisioner", "provisioning", this::cycle);
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
    loop.start(signals, settings.interval(), settings.interval());
    log.info(
        "provisioning RunnerPools with a template in namespace {}: at most {} launches per pool"
            + " per cycle, a cycle at least every {}",
        namespace,
        settings.launchesPerCycle(),
        settings.interval());
  }

  /** Asks for a cycle soon; many asks while one is pending make one cycle. */
  void trigger() {
    loop.trigger();
  }

  private void cycle() {
    boolean lead = leader.lead();
    if (lead != leading) {
      leading = lead;
      memory.newTerm();
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
    Optional<ProvisionSnapshot> snapshot = snapshot(informer, entries.get());
    if (snapshot.isEmpty()) {
      return;
    }
    ProvisionSnapshot s = reread(snapshot.get());
    ProvisionPlanner.PodPlan podPlan = planner.pods(s);
    executor.run(podPlan.actions(), s.now());
    executor.run(planner.pools(s, podPlan.counts(), memory.leader(signalled(s), cycle)), s.now());
  }

  /** The caches as plain values and the live claims; empty while the database does not answer. */
  private Optional<ProvisionSnapshot> snapshot(
      SharedIndexInformer<Pod> informer, List<KubernetesPoolSource.Entry> entries) {
    List<ProvisionSnapshot.PoolEntry> pools = entries.stream().map(this::entry).toList();
    List<ProvisionSnapshot.RunnerPod> ours =
        informer.getStore().list().stream()
            .filter(p -> RunnerPods.claimOf(p).isPresent())
            .map(Provisioner::runnerPod)
            .toList();
    Set<String> poolsToRead = new HashSet<>();
    pools.forEach(e -> e.provisioned().ifPresent(p -> poolsToRead.add(e.name())));
    ours.forEach(p -> poolsToRead.add(p.pool()));
    Map<Long, LiveRunner> live = new LinkedHashMap<>();
    try {
      states.liveIn(poolsToRead).forEach(r -> live.put(r.claimId(), r));
    } catch (SQLException e) {
      log.warn("provisioning paused: database: {}", e.getMessage());
      return Optional.empty();
    }
    boolean apiUp = informer.isWatching();
    Instant now = clock.instant();
    memory.seen(
        ours.stream().map(ProvisionSnapshot.RunnerPod::claimId).collect(Collectors.toSet()),
        live.keySet());
    return Optional.of(
        new ProvisionSnapshot(
            now,
            apiUp,
            pools,
            ours,
            Collections.unmodifiableMap(live),
            Map.of(),
            Map.copyOf(memory.createdThisTerm),
            memory.recentlyKept()));
  }

  private ProvisionSnapshot.PoolEntry entry(KubernetesPoolSource.Entry e) {
    // The latest version, to write status against; pools are provisioned from the one that serves.
    return new ProvisionSnapshot.PoolEntry(
        e.name(),
        e.latest(),
        e.served() == null ? Optional.empty() : provisioned(e.served()),
        PoolStatusWriter.validity(e.latest(), e.problem(), e.served() != null));
  }

  private static ProvisionSnapshot.RunnerPod runnerPod(Pod pod) {
    return new ProvisionSnapshot.RunnerPod(
        pod.getMetadata().getName(),
        RunnerPods.claimOf(pod).orElseThrow(),
        RunnerPods.poolOf(pod),
        pod.getMetadata().getDeletionTimestamp() != null,
        RunnerPods.verdict(pod),
        RunnerPods.lossOf(pod));
  }

  /**
   * One GET per Pod past its start timeout before giving up on it: the cache may lag behind the
   * kubelet just then, and the reason (unschedulable or not) should be the Pod's latest.
   */
  private ProvisionSnapshot reread(ProvisionSnapshot s) {
    Map<String, RunnerPods.Verdict> verdicts = new HashMap<>();
    for (String name : ProvisionPlanner.overdue(s)) {
      latest(name).ifPresent(p -> verdicts.put(name, RunnerPods.verdict(p)));
    }
    return s.withReread(verdicts);
  }

  /** The Pod as the API server has it now; empty when that cannot be read. */
  private Optional<Pod> latest(String name) {
    try {
      return Optional.ofNullable(client.pods().inNamespace(namespace).withName(name).get());
    } catch (KubernetesClientException e) {
      return Optional.empty();
    }
  }

  /**
   * The provisioned pools a {@code claimable} signal named since their last launch, taken now: a
   * signal that comes later asks for the next cycle. Only a cycle that launches takes them.
   */
  private Set<String> signalled(ProvisionSnapshot s) {
    boolean all = loop.takeAll();
    Set<String> named = new HashSet<>();
    if (s.apiUp()) {
      for (ProvisionSnapshot.PoolEntry e : s.pools()) {
        if (e.provisioned().isPresent() && (loop.take(e.name()) || all)) {
          named.add(e.name());
        }
      }
    }
    return named;
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

  @Override
  public Map<String, String> degraded() {
    return degradedGauges.degraded();
  }

  @Override
  public void close() {
    loop.close();
    SharedIndexInformer<Pod> informer = pods;
    if (informer != null) {
      informer.close();
    }
    leader.close();
  }
}
