// Over 400 lines because it is one cycle on one thread (judge rows against claims, release lost
// claims, launch, sync) whose steps share the cycle's confined state; the provider calls themselves
// are in InstanceCreator, InstanceDeleter and InstanceSync, and its loop is the provisioner's
// LeaderLoop.
package dev.runway.providers;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runway.claims.ClaimOutcome;
import dev.runway.claims.Claims;
import dev.runway.claims.RunnerState;
import dev.runway.claims.WarmClaims;
import dev.runway.claims.WarmOutcome;
import dev.runway.platform.db.LeaderLock;
import dev.runway.platform.db.Signals;
import dev.runway.pools.DegradedPools;
import dev.runway.pools.Pool;
import dev.runway.pools.PoolSource;
import dev.runway.provisioner.DegradedGauges;
import dev.runway.provisioner.LeaderLoop;
import dev.runway.provisioner.PoolHealth;
import dev.runway.runners.ClaimEvent;
import dev.runway.runners.LiveRunner;
import dev.runway.runners.RunnerStates;
import dev.runway.runners.Transition;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts one machine per claim for pools with a {@code provider}, through their GARM external
 * provider executables, on the per-claim state machine the Pods use. One replica at a time acts
 * (the holder of the provider pools' {@link LeaderLock}), in cycles on one thread: every {@code
 * interval}, and sooner when a job becomes claimable or an instance reports on its bootstrap.
 *
 * <p>A cycle reads the pools, the {@code provider_instances} rows and the live claims, then:
 *
 * <ol>
 *   <li>judges each row against its claim: a claim that ended (its job completed, or it was
 *       released) → {@code DeleteInstance}; an instance whose bootstrap said {@code failed}, or
 *       that did not say its runner is installed within {@code bootstrapTimeout} while its claim
 *       has no job → {@link ClaimEvent.LaunchFailed} (which releases the claim, deletes the
 *       registration at GitHub and counts {@code runway_runner_launch_failures_total}) and {@code
 *       DeleteInstance}; a row left in {@code creating} by a leader that stopped mid-call → the
 *       same, by name;
 *   <li>releases live claims of provider pools that have no row ({@code instance_lost});
 *   <li>claims through {@link Claims} (the caps, {@code maxRunners} included, are the claim
 *       transaction's) and, for each claim, writes its row (a fresh instance token, hashed) and
 *       runs {@code CreateInstance}: at most {@code launchesPerCycle} per pool, one per backoff
 *       while the pool is Degraded; then tops the pool up to its {@code minIdle} warm instances;
 *   <li>every {@code syncInterval}, runs {@code ListInstances} per pool: an instance of the pool
 *       that has no row is an orphan and is deleted; a row whose instance vanished is released.
 * </ol>
 *
 * A restart or hand-over adopts what the rows say: nothing is created for a claim that has a row,
 * so no instance is started twice. Provider calls run on a pool of threads of their own; the cycle
 * waits for them (each is bounded by its {@code callTimeout}) and then records what they came to on
 * its own thread, so the pools' health is confined to it.
 */
public final class ProviderLauncher implements AutoCloseable, DegradedPools {
  private static final Logger log = LoggerFactory.getLogger(ProviderLauncher.class);
  private static final Duration RECHECK = Duration.ofSeconds(10);

  /** How long a new instance may be missing from ListInstances before it counts as vanished. */
  static final Duration LIST_LAG = InstanceSync.LIST_LAG;

  /** The launcher's settings. */
  public record Settings(
      URI publicUrl, Duration interval, int launchesPerCycle, Duration syncInterval) {}

  private final DataSource ds;
  private final PoolSource pools;
  private final Claims claims;
  private final WarmClaims warm;
  private final RunnerStates states;
  private final Clock clock;
  private final Settings settings;
  private final ObjectMapper json;
  private final LeaderLock leader;
  private final InstanceRepository repo = new InstanceRepository();
  private final DegradedGauges degradedGauges;
  private final LeaderLoop loop;
  private final ExecutorService calls;
  private final ExecutorService readers;
  private final Executables executables;
  private final InstanceDeleter deleter;
  private final InstanceSync sync;
  private final InstanceCreator creator;

  // Confined to the launcher's thread.
  private final Map<String, PoolHealth> health = new HashMap<>();
  private final Map<String, Long> emptySince = new HashMap<>();
  private final Map<String, Long> holdUntil = new HashMap<>();
  private final Map<String, Long> lastSync = new HashMap<>();
  private boolean leading;
  private boolean publicUrlLogged;
  private long idleCheckedAt;

  public ProviderLauncher(
      DataSource ds,
      PoolSource pools,
      Claims claims,
      WarmClaims warm,
      RunnerStates states,
      dev.runway.platform.github.GitHubClient github,
      URI githubApiUrl,
      Clock clock,
      Settings settings,
      ObjectMapper json,
      MeterRegistry registry) {
    this.ds = ds;
    this.pools = pools;
    this.claims = claims;
    this.warm = warm;
    this.states = states;
    this.clock = clock;
    this.settings = settings;
    this.json = json;
    this.leader = new LeaderLock(ds, LeaderLock.PROVIDERS, "provider pools");
    this.degradedGauges = new DegradedGauges(registry);
    this.loop = new LeaderLoop("runway-providers-1", "provider", this::cycle);
    this.calls = Executors.newFixedThreadPool(8, daemon("provider-call"));
    this.readers = Executors.newCachedThreadPool(daemon("provider-output"));
    this.executables = new Executables(readers);
    this.deleter = new InstanceDeleter(ds, repo, executables, clock);
    this.sync = new InstanceSync(ds, repo, executables, json);
    this.creator =
        new InstanceCreator(
            ds,
            repo,
            executables,
            new RunnerTools(ds, github),
            webUrl(githubApiUrl),
            settings.publicUrl(),
            json);
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** The GitHub web address a bootstrap's {@code repo_url} starts with. */
  static String webUrl(URI api) {
    String s = api.toString().replaceAll("/+$", "");
    if (s.equals("https://api.github.com")) {
      return "https://github.com";
    }
    return s.endsWith("/api/v3") ? s.substring(0, s.length() - "/api/v3".length()) : s;
  }

  /** The routes the instances call, served through {@code bulkhead}. */
  public dev.runway.platform.http.HttpRoutes instanceApi(
      dev.runway.platform.http.JsonResponses out, dev.runway.platform.http.Bulkhead bulkhead) {
    return new InstanceApi(ds, clock, out, bulkhead, this::trigger);
  }

  /** Starts the cycles; claimable signals start one sooner. */
  public void start(Signals signals) {
    loop.start(signals, Duration.ZERO, settings.interval());
    log.info(
        "launching provider pools' instances: at most {} per pool per cycle, a cycle at least"
            + " every {}, ListInstances every {}; instances call {}",
        settings.launchesPerCycle(),
        settings.interval(),
        settings.syncInterval(),
        settings.publicUrl());
  }

  /** Asks for a cycle soon; many asks while one is pending make one cycle. */
  void trigger() {
    loop.trigger();
  }

  private void cycle() {
    Optional<Map<String, Pool>> current =
        pools
            .current()
            .fold(
                s ->
                    Optional.of(
                        s.pools().stream()
                            .filter(p -> p.provider() != null)
                            .collect(
                                Collectors.toMap(
                                    Pool::name,
                                    Function.identity(),
                                    (a, b) -> a,
                                    LinkedHashMap::new))),
                reason -> Optional.empty());
    if (current.isEmpty()) {
      // Unknown is not empty: with no answer from the pool source, nothing is deleted.
      return;
    }
    if (current.get().isEmpty()) {
      // Without provider pools only leftover rows (of a pool since removed) need this loop: looked
      // for once per sync interval, without holding the leader lock's connection in between.
      long ticks = System.nanoTime();
      if (idleCheckedAt != 0 && ticks - idleCheckedAt < settings.syncInterval().toNanos()) {
        return;
      }
      idleCheckedAt = ticks;
    }
    boolean lead = leader.lead();
    if (lead != leading) {
      leading = lead;
      health.clear();
      lastSync.clear();
      if (!lead) {
        degradedGauges.clear();
      }
    }
    if (!lead) {
      return;
    }
    Map<String, Pool> providerPools = current.get();
    if (settings.publicUrl() == null && !providerPools.isEmpty()) {
      if (!publicUrlLogged) {
        publicUrlLogged = true;
        log.error(
            "provider pools {} are not launched: RUNWAY_PUBLIC_URL is unset, and their instances"
                + " need it to reach Runway; set it and restart",
            providerPools.keySet());
      }
      return;
    }
    providerPools.forEach((name, p) -> executables.remember(name, p.provider()));
    List<InstanceRepository.Row> rows;
    Map<Long, LiveRunner> live;
    try {
      try (Connection c = ds.getConnection()) {
        if (!executables.knowsController()) {
          executables.controllerId(repo.controllerId(c));
        }
        rows = repo.list(c);
      }
      Set<String> poolNames = new HashSet<>(providerPools.keySet());
      rows.forEach(r -> poolNames.add(r.pool()));
      live =
          states.liveIn(poolNames).stream()
              .collect(Collectors.toMap(LiveRunner::claimId, Function.identity()));
    } catch (SQLException e) {
      log.warn("provider pools paused: database: {}", e.getMessage());
      return;
    }
    if (providerPools.isEmpty() && rows.isEmpty()) {
      leader.close();
      leading = false;
      degradedGauges.clear();
      return;
    }
    Instant now = clock.instant();
    judgeAll(rows, live, providerPools, now);
    publishHealth(providerPools);
    // Machines, not only claims, stay within maxRunners: an ended claim's instance counts until
    // its DeleteInstance succeeded.
    Map<String, Long> machines;
    try (Connection c = ds.getConnection()) {
      machines =
          repo.list(c).stream()
              .collect(Collectors.groupingBy(InstanceRepository.Row::pool, Collectors.counting()));
    } catch (SQLException e) {
      log.warn("provider pools paused: database: {}", e.getMessage());
      return;
    }
    create(launches(providerPools, live, machines, now), now);
    sync(providerPools, now);
  }

  /** Each row against its claim, then the live claims without a row; runs the deletions due. */
  private void judgeAll(
      List<InstanceRepository.Row> rows,
      Map<Long, LiveRunner> live,
      Map<String, Pool> providerPools,
      Instant now) {
    Set<Long> withRow = new HashSet<>();
    List<Runnable> deletions = new ArrayList<>();
    for (InstanceRepository.Row row : rows) {
      withRow.add(row.claimId());
      judge(row, live.get(row.claimId()), providerPools.get(row.pool()), now, deletions);
    }
    for (LiveRunner claim : live.values()) {
      if (providerPools.containsKey(claim.pool())
          && !withRow.contains(claim.claimId())
          && !claim.bound()) {
        log.info(
            "pool {}: claim {} has no instance (a leader stopped between claim and row); releasing"
                + " it",
            claim.pool(),
            claim.claimId());
        states.recordOrNull(
            claim.claimId(), new ClaimEvent.LaunchFailed(ClaimEvent.FailureReason.INSTANCE_LOST));
      }
    }
    runAll(deletions);
  }

  /** {@code runway_pool_degraded} and the UI's view, from this leader's failures in a row. */
  private void publishHealth(Map<String, Pool> providerPools) {
    Map<String, Optional<String>> degraded = new HashMap<>();
    for (Pool pool : providerPools.values()) {
      PoolHealth h = health(pool.name());
      degraded.put(
          pool.name(),
          h.degraded(pool.provider().maxLaunchFailures())
              ? Optional.of(
                  h.failuresInARow()
                      + " launch failures in a row, the last "
                      + h.lastReason().label())
              : Optional.empty());
    }
    degradedGauges.set(degraded);
  }

  /**
   * Claims (jobs first, then warm runners for {@code minIdle}) within each pool's allowance: the
   * per-cycle bound, one per backoff while Degraded, and the room {@code maxRunners} leaves.
   */
  private List<InstanceCreator.Launch> launches(
      Map<String, Pool> providerPools,
      Map<Long, LiveRunner> live,
      Map<String, Long> machines,
      Instant now) {
    boolean all = loop.takeAll();
    List<InstanceCreator.Launch> launches = new ArrayList<>();
    for (Pool pool : providerPools.values()) {
      boolean signalledNow = loop.take(pool.name()) || all;
      PoolHealth h = health(pool.name());
      int allowed =
          h.launchesAllowed(pool.provider().maxLaunchFailures(), settings.launchesPerCycle(), now);
      if (pool.maxRunners() != null) {
        allowed =
            (int)
                Math.min(
                    allowed,
                    Math.max(0, pool.maxRunners() - machines.getOrDefault(pool.name(), 0L)));
      }
      if (allowed == 0 && signalledNow) {
        // Full now: the signal stays for the cycle after a deletion makes room.
        loop.keep(pool.name());
      }
      int claimed = claim(pool, now, signalledNow, allowed, launches);
      long idleWarm =
          live.values().stream().filter(r -> r.pool().equals(pool.name()) && r.idleWarm()).count();
      warm(pool, now, allowed - claimed, idleWarm, launches);
    }
    return launches;
  }

  // ---- judging rows ----

  private void judge(
      InstanceRepository.Row row,
      LiveRunner claim,
      Pool pool,
      Instant now,
      List<Runnable> deletions) {
    if (InstanceRepository.DELETING.equals(row.phase())) {
      deletions.add(() -> deleter.delete(row, "its deletion is due"));
      return;
    }
    if (claim == null) {
      deletions.add(() -> deleter.delete(row, "its claim ended"));
      return;
    }
    if (pool == null) {
      if (!claim.bound()) {
        states.recordOrNull(
            row.claimId(), new ClaimEvent.LaunchFailed(ClaimEvent.FailureReason.STOPPED));
        deletions.add(() -> deleter.delete(row, "its pool is no longer a provider pool"));
      }
      return;
    }
    if (InstanceRepository.CREATING.equals(row.phase()) && !"idle".equals(row.bootStatus())) {
      // A leader stopped between CreateInstance and its answer (an instance whose runner already
      // said it is installed is adopted as it is, and deleted by name when its claim ends).
      fail(
          row,
          pool,
          ClaimEvent.FailureReason.PROVIDER_ERROR,
          "CreateInstance did not answer before the previous leader stopped",
          now,
          deletions);
    } else if ("failed".equals(row.bootStatus()) && !claim.bound()) {
      fail(
          row,
          pool,
          ClaimEvent.FailureReason.BOOTSTRAP_FAILED,
          "the bootstrap script reported failed",
          now,
          deletions);
    } else if (!claim.bound()
        && !"idle".equals(row.bootStatus())
        && now.isAfter(row.bootDeadline())) {
      fail(
          row,
          pool,
          ClaimEvent.FailureReason.BOOTSTRAP_TIMEOUT,
          "runner not installed within " + pool.provider().bootstrapTimeout(),
          now,
          deletions);
    } else if ("idle".equals(row.bootStatus())) {
      if (claim.state() != RunnerState.RUNNING && !claim.state().terminal()) {
        states.recordOrNull(row.claimId(), new ClaimEvent.Started());
      }
      if (health(pool.name()).success(pool.provider().maxLaunchFailures())) {
        log.info("pool {}: a runner came up; no longer degraded", pool.name());
      }
    }
  }

  private void fail(
      InstanceRepository.Row row,
      Pool pool,
      ClaimEvent.FailureReason reason,
      String detail,
      Instant now,
      List<Runnable> deletions) {
    Transition t = states.recordOrNull(row.claimId(), new ClaimEvent.LaunchFailed(reason));
    if (t == null) {
      return;
    }
    if (t.kind() == Transition.Kind.APPLIED && t.state() == RunnerState.FAILED) {
      failed(pool, reason, detail, now);
      log.warn(
          "pool {}: instance {} failed ({}): {}", pool.name(), row.name(), reason.label(), detail);
    }
    deletions.add(() -> deleter.delete(row, reason.label()));
  }

  private void failed(Pool pool, ClaimEvent.FailureReason reason, String detail, Instant now) {
    PoolHealth h = health(pool.name());
    if (h.failure(reason, detail, pool.provider().maxLaunchFailures(), now)) {
      log.error(
          "pool {} is Degraded: {} launch failures in a row, the last {} ({}); launching one"
              + " instance per backoff until a runner comes up",
          pool.name(),
          h.failuresInARow(),
          reason.label(),
          detail);
    }
  }

  // ---- launching ----

  private int claim(
      Pool pool, Instant now, boolean signalledNow, int allowed, List<InstanceCreator.Launch> out) {
    long ticks = System.nanoTime();
    Long held = holdUntil.get(pool.name());
    if (held != null && ticks - held < 0) {
      return 0;
    }
    Long empty = emptySince.get(pool.name());
    if (!signalledNow && empty != null && ticks - empty < RECHECK.toNanos()) {
      return 0;
    }
    int launched = 0;
    for (int i = 0; i < allowed; i++) {
      ClaimOutcome outcome = claims.claim(pool.name());
      if (outcome instanceof ClaimOutcome.Claimed c) {
        emptySince.remove(pool.name());
        health(pool.name()).probed(pool.provider().maxLaunchFailures(), now);
        launched++;
        out.add(
            new InstanceCreator.Launch(
                pool,
                c.claimId(),
                c.runnerName(),
                c.encodedJitConfig(),
                "job "
                    + c.job().jobId()
                    + "/"
                    + c.job().runAttempt()
                    + " of "
                    + c.job().repository()));
      } else if (outcome instanceof ClaimOutcome.Nothing) {
        emptySince.put(pool.name(), System.nanoTime());
        return launched;
      } else {
        // GitHub or the database did not answer, or the pool is unknown: wait a while.
        holdUntil.put(pool.name(), System.nanoTime() + RECHECK.toNanos());
        return launched;
      }
    }
    return launched;
  }

  private void warm(
      Pool pool, Instant now, int allowed, long idleNow, List<InstanceCreator.Launch> out) {
    int minIdle = pool.provider().minIdle();
    for (long idle = idleNow; idle < minIdle && allowed > 0; idle++, allowed--) {
      WarmOutcome outcome = warm.start(pool.name(), minIdle);
      if (outcome instanceof WarmOutcome.Started s) {
        health(pool.name()).probed(pool.provider().maxLaunchFailures(), now);
        out.add(
            new InstanceCreator.Launch(
                pool,
                s.claimId(),
                s.runnerName(),
                s.encodedJitConfig(),
                "a warm runner for " + s.account()));
      } else {
        return;
      }
    }
  }

  /** Writes each launch's row, runs the CreateInstance calls at once, then records each result. */
  private void create(List<InstanceCreator.Launch> launches, Instant now) {
    List<CompletableFuture<InstanceCreator.Created>> running = new ArrayList<>();
    for (InstanceCreator.Launch l : launches) {
      Optional<InstanceCreator.Prepared> p = creator.prepare(l, now);
      if (p.isEmpty()) {
        states.recordOrNull(
            l.claimId(), new ClaimEvent.LaunchFailed(ClaimEvent.FailureReason.LAUNCH_ERROR));
        continue;
      }
      states.recordOrNull(l.claimId(), new ClaimEvent.Launching());
      running.add(CompletableFuture.supplyAsync(() -> creator.call(l, p.get()), calls));
    }
    for (CompletableFuture<InstanceCreator.Created> f : running) {
      InstanceCreator.Created c = f.join();
      record(c, clock.instant());
    }
  }

  private void record(InstanceCreator.Created c, Instant now) {
    if (calls.isShutdown()) {
      // Stopping: a call cut short is no launch failure. Its row stays in creating, and the next
      // leader deletes what it may have left.
      return;
    }
    InstanceCreator.Launch l = c.launch();
    Pool pool = l.pool();
    InstanceRepository.Row row =
        new InstanceRepository.Row(
            l.claimId(), pool.name(), l.name(), null, InstanceRepository.CREATING, null, now, now);
    if (c.instance() == null || c.instance().faulty()) {
      ClaimEvent.FailureReason reason =
          c.instance() == null
              ? ClaimEvent.FailureReason.PROVIDER_ERROR
              : ClaimEvent.FailureReason.PROVIDER_FAULT;
      String detail =
          c.instance() == null
              ? c.problem()
              : "status " + c.instance().status() + ": " + oneLine(c.instance().providerFault());
      List<Runnable> deletions = new ArrayList<>();
      if (c.instance() != null) {
        row =
            new InstanceRepository.Row(
                l.claimId(),
                pool.name(),
                l.name(),
                c.instance().id(),
                InstanceRepository.CREATED,
                null,
                now,
                now);
      }
      fail(row, pool, reason, "CreateInstance for " + l.forWhat() + ": " + detail, now, deletions);
      runAll(deletions);
      return;
    }
    try (Connection conn = ds.getConnection()) {
      repo.created(conn, l.claimId(), c.instance().id(), now);
    } catch (SQLException e) {
      // The row stays in creating: the next cycle treats it as a call that never answered.
      log.warn("instance {}: not recorded as created: {}", l.name(), e.getMessage());
      return;
    }
    // The machine exists: as with a Pod whose container runs, the claim's lease no longer ends it;
    // its bootstrap timeout does.
    states.recordOrNull(l.claimId(), new ClaimEvent.Started());
    log.info(
        "pool {}: instance {} created ({}) for {}",
        pool.name(),
        l.name(),
        c.instance().id(),
        l.forWhat());
  }

  // ---- ListInstances ----

  private void sync(Map<String, Pool> providerPools, Instant now) {
    long ticks = System.nanoTime();
    List<CompletableFuture<List<InstanceRepository.Row>>> running = new ArrayList<>();
    for (Pool pool : providerPools.values()) {
      Long last = lastSync.get(pool.name());
      if (last != null && ticks - last < settings.syncInterval().toNanos()) {
        continue;
      }
      lastSync.put(pool.name(), ticks);
      running.add(CompletableFuture.supplyAsync(() -> sync.sync(pool, now), calls));
    }
    for (CompletableFuture<List<InstanceRepository.Row>> f : running) {
      for (InstanceRepository.Row row : f.join()) {
        vanished(row);
      }
    }
  }

  /** A created instance the provider no longer lists: its claim is released unless it has a job. */
  private void vanished(InstanceRepository.Row row) {
    Transition t =
        states.recordOrNull(
            row.claimId(), new ClaimEvent.LaunchFailed(ClaimEvent.FailureReason.INSTANCE_LOST));
    if (t == null) {
      return;
    }
    if (t.kind() == Transition.Kind.REFUSED) {
      // Its runner has a job: the job's completed ends the claim, and the delete finds nothing.
      return;
    }
    log.warn(
        "pool {}: instance {} is no longer listed by its provider; its claim is released",
        row.pool(),
        row.name());
    try (Connection c = ds.getConnection()) {
      repo.remove(c, row.claimId());
    } catch (SQLException e) {
      log.warn("instance {}: row not removed now: {}", row.name(), e.getMessage());
    }
  }

  // ---- helpers ----

  private void runAll(List<Runnable> work) {
    List<CompletableFuture<Void>> running = new ArrayList<>();
    for (Runnable r : work) {
      running.add(
          CompletableFuture.runAsync(
              () -> {
                try {
                  r.run();
                } catch (RuntimeException e) {
                  log.warn("provider call failed: {}", e.toString());
                }
              },
              calls));
    }
    running.forEach(CompletableFuture::join);
  }

  private static String oneLine(String s) {
    String line = s.replaceAll("\\s+", " ").strip();
    return line.length() > 300 ? line.substring(0, 300) : line;
  }

  private PoolHealth health(String pool) {
    return health.computeIfAbsent(pool, p -> new PoolHealth());
  }

  @Override
  public Map<String, String> degraded() {
    return degradedGauges.degraded();
  }

  @Override
  public void close() {
    loop.close();
    calls.shutdownNow();
    readers.shutdownNow();
    leader.close();
  }
}
