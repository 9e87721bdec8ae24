package dev.runway.provisioner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runway.claims.RunnerLoss;
import dev.runway.claims.RunnerState;
import dev.runway.claims.WarmOutcome;
import dev.runway.provisioner.ProvisionAction.CameUp;
import dev.runway.provisioner.ProvisionAction.Candidate;
import dev.runway.provisioner.ProvisionAction.DeletePod;
import dev.runway.provisioner.ProvisionAction.FailLaunch;
import dev.runway.provisioner.ProvisionAction.Launch;
import dev.runway.provisioner.ProvisionAction.RecordLoss;
import dev.runway.provisioner.ProvisionAction.ReleaseLost;
import dev.runway.provisioner.ProvisionAction.Report;
import dev.runway.provisioner.ProvisionAction.RetireBudget;
import dev.runway.provisioner.ProvisionAction.ScaleDown;
import dev.runway.provisioner.ProvisionAction.SetDegraded;
import dev.runway.provisioner.ProvisionAction.StopEnded;
import dev.runway.provisioner.ProvisionAction.WriteStatus;
import dev.runway.provisioner.ProvisionAction.WriteValidity;
import dev.runway.provisioner.ProvisionSnapshot.PoolEntry;
import dev.runway.provisioner.ProvisionSnapshot.RunnerPod;
import dev.runway.runners.ClaimEvent;
import dev.runway.runners.ClaimEvent.FailureReason;
import dev.runway.runners.LiveRunner;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The provisioner's decisions, from plain values: no API server, no database, no clock. */
class ProvisionPlannerTest {
  static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
  static final int PER_CYCLE = 20;
  static final long CYCLE = 7;

  final ProvisionPlanner planner = new ProvisionPlanner(PER_CYCLE);
  final GenericKubernetesResource resource = resource("linux");
  final ProvisionedPool linux = pool("linux", 10, 0);

  // --- launches

  @Test
  void a_healthy_pool_tries_a_full_launch_bound_and_writes_its_status() {
    ProvisionSnapshot s = snapshot(List.of(entry(linux)), List.of(), List.of());

    assertThat(pools(s, leader()))
        .containsExactly(
            new WriteStatus(resource, counts(0, 0, 0), PoolHealth.State.HEALTHY, 5, List.of()),
            new SetDegraded(Map.of("linux", Optional.empty())),
            new Launch(linux, PER_CYCLE, true, false, CYCLE));
  }

  @Test
  void a_degraded_pool_launches_nothing_in_its_backoff_and_one_pod_after_it() {
    PoolHealth.State degraded =
        new PoolHealth.State(5, FailureReason.IMAGE_PULL, "pull", NOW.plusSeconds(10));
    ProvisionSnapshot s = snapshot(List.of(entry(linux)), List.of(), List.of());
    ProvisionSnapshot.Leader leader = leader(Map.of("linux", degraded), Set.of(), Set.of());

    assertThat(pools(s, leader))
        .containsExactly(
            new WriteStatus(resource, counts(0, 0, 0), degraded, 5, List.of()),
            new SetDegraded(
                Map.of("linux", Optional.of("5 launch failures in a row, the last image_pull"))),
            new Launch(linux, 0, true, false, CYCLE));

    ProvisionSnapshot later =
        snapshot(List.of(entry(linux)), List.of(), List.of(), NOW.plusSeconds(10), true);
    assertThat(pools(later, leader)).last().isEqualTo(new Launch(linux, 1, true, false, CYCLE));
  }

  @Test
  void a_pool_whose_last_claim_found_nothing_claims_again_only_when_signalled() {
    ProvisionSnapshot s = snapshot(List.of(entry(linux)), List.of(), List.of());

    assertThat(pools(s, leader(Map.of(), Set.of(), Set.of("linux"))))
        .last()
        .isEqualTo(new Launch(linux, PER_CYCLE, false, false, CYCLE));
    assertThat(pools(s, leader(Map.of(), Set.of("linux"), Set.of("linux"))))
        .last()
        .isEqualTo(new Launch(linux, PER_CYCLE, true, false, CYCLE));
  }

  @Test
  void a_pool_held_after_github_did_not_answer_does_not_claim_even_when_signalled() {
    ProvisionSnapshot s = snapshot(List.of(entry(linux)), List.of(), List.of());
    var held =
        new ProvisionSnapshot.Leader(
            Map.of(), Set.of("linux"), Set.of("linux"), Set.of(), Set.of(), Map.of(), CYCLE);

    assertThat(pools(s, held)).last().isEqualTo(new Launch(linux, PER_CYCLE, false, false, CYCLE));
  }

  @Test
  void without_the_pod_watch_nothing_is_launched_and_no_claim_is_released() {
    LiveRunner claimed = claim(1, "linux", RunnerState.CLAIMED, false, false, false);
    ProvisionSnapshot s = snapshot(List.of(entry(linux)), List.of(), List.of(claimed), NOW, false);

    assertThat(planner.pods(s).actions()).isEmpty();
    assertThat(pools(s, leader()))
        .containsExactly(
            new WriteStatus(resource, counts(0, 0, 0), PoolHealth.State.HEALTHY, 5, List.of()),
            new SetDegraded(Map.of("linux", Optional.empty())));
  }

  @Test
  void a_pool_below_its_min_idle_starts_warm_runners_and_one_at_it_does_not() {
    ProvisionedPool warmPool = pool("linux", 10, 2);
    LiveRunner idle = claim(1, "linux", RunnerState.RUNNING, false, true, false);
    ProvisionSnapshot below =
        snapshot(List.of(entry(warmPool)), List.of(up(1, "linux")), List.of(idle));
    var note = new WarmOutcome.NotNow(WarmOutcome.Why.NO_RECENT_ACCOUNT, "no account lately");
    var leader =
        new ProvisionSnapshot.Leader(
            Map.of(), Set.of(), Set.of(), Set.of(), Set.of(), Map.of("linux", note), CYCLE);

    assertThat(pools(below, leader))
        .containsExactly(
            new WriteStatus(
                resource,
                counts(1, 0, 0),
                PoolHealth.State.HEALTHY,
                5,
                List.of(
                    new PoolStatusWriter.Condition(
                        "Warm",
                        false,
                        "NoRecentAccount",
                        "1 of 2 warm runner(s): no account lately"))),
            new SetDegraded(Map.of("linux", Optional.empty())),
            new Launch(warmPool, PER_CYCLE, true, true, CYCLE));

    LiveRunner second = claim(2, "linux", RunnerState.RUNNING, false, true, false);
    ProvisionSnapshot at =
        snapshot(
            List.of(entry(warmPool)),
            List.of(up(1, "linux"), up(2, "linux")),
            List.of(idle, second));
    List<ProvisionAction> plan = pools(at, leader);
    assertThat(((WriteStatus) plan.get(0)).conditions())
        .containsExactly(
            new PoolStatusWriter.Condition(
                "Warm", true, "MinIdleReached", "2 warm runner(s) for minIdle 2"));
    assertThat(plan).last().isEqualTo(new Launch(warmPool, PER_CYCLE, true, false, CYCLE));
  }

  @Test
  void a_warm_attempt_that_started_nothing_waits_unless_a_signal_names_the_pool() {
    ProvisionedPool warmPool = pool("linux", 10, 1);
    ProvisionSnapshot s = snapshot(List.of(entry(warmPool)), List.of(), List.of());
    var held =
        new ProvisionSnapshot.Leader(
            Map.of(), Set.of(), Set.of(), Set.of(), Set.of("linux"), Map.of(), CYCLE);
    var heldButSignalled =
        new ProvisionSnapshot.Leader(
            Map.of(), Set.of("linux"), Set.of(), Set.of(), Set.of("linux"), Map.of(), CYCLE);

    assertThat(pools(s, held))
        .last()
        .isEqualTo(new Launch(warmPool, PER_CYCLE, true, false, CYCLE));
    assertThat(pools(s, heldButSignalled))
        .last()
        .isEqualTo(new Launch(warmPool, PER_CYCLE, true, true, CYCLE));
  }

  @Test
  void a_pool_runway_does_not_provision_gets_only_its_valid_condition() {
    GenericKubernetesResource agents = resource("agents");
    var invalid = new PoolStatusWriter.Condition("Valid", false, "InvalidSpec", "bad");
    ProvisionSnapshot s =
        snapshot(
            List.of(
                entry(linux),
                new PoolEntry("agents", agents, Optional.empty(), Optional.of(invalid))),
            List.of(),
            List.of());

    assertThat(pools(s, leader()))
        .containsExactly(
            new WriteStatus(resource, counts(0, 0, 0), PoolHealth.State.HEALTHY, 5, List.of()),
            new SetDegraded(Map.of("linux", Optional.empty())),
            new WriteValidity(agents, invalid),
            new Launch(linux, PER_CYCLE, true, false, CYCLE));
  }

  // --- Pods and claims

  @Test
  void a_pod_whose_claim_ended_is_deleted_at_once_when_its_runner_is_not_up() {
    ProvisionSnapshot s =
        snapshot(List.of(entry(linux)), List.of(pod(1, "linux", pending(false))), List.of());

    assertThat(planner.pods(s).actions())
        .containsExactly(new DeletePod("runway-linux-1", "its claim ended"));
  }

  @Test
  void a_pod_whose_claim_ended_with_its_runner_up_asks_github_first_but_not_every_cycle() {
    ProvisionSnapshot s = snapshot(List.of(entry(linux)), List.of(up(1, "linux")), List.of());

    assertThat(planner.pods(s).actions()).containsExactly(new StopEnded("runway-linux-1", 1));
    assertThat(planner.pods(kept(s, Set.of(1L))).actions()).isEmpty();
  }

  @Test
  void a_pod_kubernetes_is_deleting_is_left_alone() {
    RunnerPod deleting =
        new RunnerPod("runway-linux-1", 1, "linux", true, new RunnerPods.Up(), Optional.empty());
    ProvisionSnapshot s = snapshot(List.of(entry(linux)), List.of(deleting), List.of());

    assertThat(planner.pods(s).actions()).isEmpty();
  }

  @Test
  void a_pod_of_a_deleted_pool_is_deleted_and_its_unbound_claim_stopped() {
    LiveRunner unbound = claim(1, "gone", RunnerState.RUNNING, false, false, false);
    LiveRunner bound = claim(2, "gone", RunnerState.RUNNING, true, false, true);
    ProvisionSnapshot s =
        snapshot(
            List.of(entry(linux)), List.of(up(1, "gone"), up(2, "gone")), List.of(unbound, bound));

    assertThat(planner.pods(s).actions())
        .containsExactly(
            new Report(1, new ClaimEvent.LaunchFailed(FailureReason.STOPPED)),
            new DeletePod("runway-gone-1", "its RunnerPool was deleted"),
            new DeletePod("runway-gone-2", "its RunnerPool was deleted"));
  }

  @Test
  void a_pod_of_a_pool_without_template_is_left_to_end() {
    PoolEntry agents =
        new PoolEntry("agents", resource("agents"), Optional.empty(), Optional.empty());
    LiveRunner claim = claim(1, "agents", RunnerState.LAUNCHING, false, false, false);
    ProvisionSnapshot s = snapshot(List.of(agents), List.of(up(1, "agents")), List.of(claim));

    assertThat(planner.pods(s).actions()).isEmpty();
  }

  @Test
  void an_up_runner_is_reported_started_once_and_clears_the_pools_failures() {
    LiveRunner launching = claim(1, "linux", RunnerState.LAUNCHING, false, false, false);
    LiveRunner running = claim(2, "linux", RunnerState.RUNNING, false, false, false);
    LiveRunner busy = claim(3, "linux", RunnerState.RUNNING, true, false, true);
    ProvisionSnapshot s =
        snapshot(
            List.of(entry(linux)),
            List.of(up(1, "linux"), up(2, "linux"), up(3, "linux")),
            List.of(launching, running, busy));

    ProvisionPlanner.PodPlan plan = planner.pods(s);

    assertThat(plan.actions())
        .containsExactly(
            new Report(1, new ClaimEvent.Started()),
            new CameUp(linux),
            new CameUp(linux),
            new CameUp(linux));
    assertThat(plan.counts()).containsExactly(Map.entry("linux", counts(2, 0, 1)));
  }

  @Test
  void an_exited_runner_is_reported_with_its_reason_and_a_bound_ones_loss_recorded() {
    LiveRunner outdated = claim(1, "linux", RunnerState.RUNNING, false, false, false);
    LiveRunner evicted = claim(2, "linux", RunnerState.RUNNING, true, false, true);
    ProvisionSnapshot s =
        snapshot(
            List.of(entry(linux)),
            List.of(
                pod(1, "linux", new RunnerPods.Finished(7)),
                new RunnerPod(
                    "runway-linux-2",
                    2,
                    "linux",
                    false,
                    new RunnerPods.Finished(137),
                    Optional.of(RunnerLoss.EVICTED))),
            List.of(outdated, evicted));

    assertThat(planner.pods(s).actions())
        .containsExactly(
            new ProvisionAction.Exited(
                "runway-linux-1",
                linux,
                1,
                new ClaimEvent.Exited(7, false, false, null),
                FailureReason.RUNNER_OUTDATED,
                "runner exited with code 7 before any job"),
            new RecordLoss(2, RunnerLoss.EVICTED),
            new ProvisionAction.Exited(
                "runway-linux-2",
                linux,
                2,
                new ClaimEvent.Exited(137, false, false, null),
                FailureReason.EXITED_BEFORE_JOB,
                "runner exited with code 137 before any job"));
  }

  @Test
  void a_broken_pod_fails_its_launch() {
    LiveRunner claim = claim(1, "linux", RunnerState.LAUNCHING, false, false, false);
    ProvisionSnapshot s =
        snapshot(
            List.of(entry(linux)),
            List.of(pod(1, "linux", new RunnerPods.Broken(FailureReason.IMAGE_PULL, "no image"))),
            List.of(claim));

    assertThat(planner.pods(s).actions())
        .containsExactly(
            new FailLaunch("runway-linux-1", linux, 1, FailureReason.IMAGE_PULL, "no image"));
  }

  @Test
  void a_pending_pod_within_its_start_timeout_is_launching() {
    LiveRunner claim =
        claim(1, "linux", RunnerState.LAUNCHING, false, false, false, NOW.minusSeconds(299));
    ProvisionSnapshot s =
        snapshot(List.of(entry(linux)), List.of(pod(1, "linux", pending(true))), List.of(claim));

    assertThat(ProvisionPlanner.overdue(s)).isEmpty();
    ProvisionPlanner.PodPlan plan = planner.pods(s);
    assertThat(plan.actions()).isEmpty();
    assertThat(plan.counts()).containsExactly(Map.entry("linux", counts(0, 1, 0)));
  }

  @Test
  void a_pod_past_its_start_timeout_fails_as_its_latest_read_says() {
    LiveRunner claim =
        claim(1, "linux", RunnerState.LAUNCHING, false, false, false, NOW.minusSeconds(300));
    ProvisionSnapshot s =
        snapshot(List.of(entry(linux)), List.of(pod(1, "linux", pending(false))), List.of(claim));

    assertThat(ProvisionPlanner.overdue(s)).containsExactly("runway-linux-1");
    assertThat(planner.pods(s.withReread(Map.of("runway-linux-1", pending(true)))).actions())
        .containsExactly(
            new FailLaunch(
                "runway-linux-1",
                linux,
                1,
                FailureReason.UNSCHEDULABLE,
                "Pod not started after PT5M"));
    // Not read again (the API server did not answer): the cached verdict decides.
    assertThat(planner.pods(s).actions())
        .containsExactly(
            new FailLaunch(
                "runway-linux-1",
                linux,
                1,
                FailureReason.START_TIMEOUT,
                "Pod not started after PT5M"));
    ProvisionPlanner.PodPlan started =
        planner.pods(s.withReread(Map.of("runway-linux-1", new RunnerPods.Up())));
    assertThat(started.actions()).isEmpty();
    assertThat(started.counts()).containsExactly(Map.entry("linux", counts(0, 1, 0)));
  }

  @Test
  void a_bound_pending_pod_never_times_out() {
    LiveRunner claim =
        claim(1, "linux", RunnerState.RUNNING, true, false, true, NOW.minus(Duration.ofHours(1)));
    ProvisionSnapshot s =
        snapshot(List.of(entry(linux)), List.of(pod(1, "linux", pending(false))), List.of(claim));

    assertThat(ProvisionPlanner.overdue(s)).isEmpty();
    assertThat(planner.pods(s).actions()).isEmpty();
  }

  @Test
  void a_live_claim_without_a_pod_is_released_unless_this_leader_just_created_it() {
    LiveRunner claim = claim(1, "linux", RunnerState.LAUNCHING, false, false, false);
    ProvisionSnapshot s = snapshot(List.of(entry(linux)), List.of(), List.of(claim));

    assertThat(planner.pods(s).actions()).containsExactly(new ReleaseLost("linux", 1));
    assertThat(planner.pods(created(s, Map.of(1L, NOW.minusSeconds(59)))).actions()).isEmpty();
    assertThat(planner.pods(created(s, Map.of(1L, NOW.minusSeconds(60)))).actions())
        .containsExactly(new ReleaseLost("linux", 1));
  }

  @Test
  void a_bound_claim_whose_pod_vanished_records_its_runner_lost_and_keeps_its_job() {
    LiveRunner bound = claim(1, "linux", RunnerState.RUNNING, true, false, true);
    ProvisionSnapshot s = snapshot(List.of(entry(linux)), List.of(), List.of(bound));

    assertThat(planner.pods(s).actions())
        .containsExactly(new RecordLoss(1, RunnerLoss.POD_DELETED));
  }

  // --- scale-down

  @Test
  void surplus_idle_warm_runners_over_min_idle_are_retired_youngest_first() {
    ProvisionedPool warmPool = pool("linux", 10, 1);
    List<LiveRunner> live = new ArrayList<>();
    for (long id = 1; id <= 3; id++) {
      live.add(claim(id, "linux", RunnerState.RUNNING, false, true, false));
    }
    ProvisionSnapshot s =
        snapshot(
            List.of(entry(warmPool)),
            List.of(up(1, "linux"), up(2, "linux"), up(3, "linux")),
            live);

    assertThat(planner.pods(s).actions())
        .containsExactly(
            new CameUp(warmPool),
            new CameUp(warmPool),
            new CameUp(warmPool),
            new ScaleDown(
                List.of(
                    new Candidate("runway-linux-3", live.get(2)),
                    new Candidate("runway-linux-2", live.get(1)),
                    new Candidate("runway-linux-1", live.get(0))),
                new RetireBudget("linux", 0, 2)));
  }

  @Test
  void a_pool_over_max_runners_loses_idle_runners_warm_first_never_one_with_a_job() {
    ProvisionedPool capped = pool("linux", 1, 0);
    LiveRunner busy = claim(1, "linux", RunnerState.RUNNING, true, false, true);
    LiveRunner idleJob = claim(2, "linux", RunnerState.RUNNING, false, false, true);
    LiveRunner idleWarm = claim(3, "linux", RunnerState.RUNNING, false, true, false);
    LiveRunner handed = claim(4, "linux", RunnerState.RUNNING, false, true, true);
    LiveRunner askedLately = claim(5, "linux", RunnerState.RUNNING, false, false, true);
    ProvisionSnapshot s =
        kept(
            snapshot(
                List.of(entry(capped)),
                List.of(
                    up(1, "linux"), up(2, "linux"), up(3, "linux"), up(4, "linux"), up(5, "linux")),
                List.of(busy, idleJob, idleWarm, handed, askedLately)),
            Set.of(5L));

    assertThat(planner.pods(s).actions())
        .filteredOn(ScaleDown.class::isInstance)
        .containsExactly(
            new ScaleDown(
                List.of(
                    new Candidate("runway-linux-3", idleWarm),
                    new Candidate("runway-linux-2", idleJob)),
                new RetireBudget("linux", 4, 1)));
  }

  @Test
  void a_pool_within_its_bounds_retires_nothing() {
    ProvisionedPool warmPool = pool("linux", 2, 1);
    LiveRunner idle = claim(1, "linux", RunnerState.RUNNING, false, true, false);
    LiveRunner job = claim(2, "linux", RunnerState.RUNNING, false, false, true);
    ProvisionSnapshot s =
        snapshot(
            List.of(entry(warmPool)), List.of(up(1, "linux"), up(2, "linux")), List.of(idle, job));

    assertThat(planner.pods(s).actions()).noneMatch(ScaleDown.class::isInstance);
  }

  @Test
  void the_retire_budget_spends_warm_surplus_on_warm_runners_and_the_rest_on_any_idle_one() {
    LiveRunner warm = claim(1, "linux", RunnerState.RUNNING, false, true, false);
    LiveRunner job = claim(2, "linux", RunnerState.RUNNING, false, false, true);
    RetireBudget warmOnly = new RetireBudget("linux", 0, 1);

    assertThat(warmOnly.why(warm)).contains("pool linux has more idle runners than its minIdle");
    assertThat(warmOnly.why(job)).isEmpty();
    assertThat(warmOnly.retired(warm).why(warm)).isEmpty();

    RetireBudget overMax = new RetireBudget("linux", 1, 0);
    assertThat(overMax.why(job)).contains("pool linux is above its maxRunners");
    assertThat(overMax.retired(job).why(warm)).isEmpty();
  }

  // --- helpers

  private List<ProvisionAction> pools(ProvisionSnapshot s, ProvisionSnapshot.Leader leader) {
    return planner.pools(s, planner.pods(s).counts(), leader);
  }

  static ProvisionSnapshot.Leader leader() {
    return leader(Map.of(), Set.of(), Set.of());
  }

  static ProvisionSnapshot.Leader leader(
      Map<String, PoolHealth.State> health, Set<String> signalled, Set<String> foundNothing) {
    return new ProvisionSnapshot.Leader(
        health, signalled, Set.of(), foundNothing, Set.of(), Map.of(), CYCLE);
  }

  static ProvisionSnapshot snapshot(
      List<PoolEntry> pools, List<RunnerPod> pods, List<LiveRunner> live) {
    return snapshot(pools, pods, live, NOW, true);
  }

  static ProvisionSnapshot snapshot(
      List<PoolEntry> pools,
      List<RunnerPod> pods,
      List<LiveRunner> live,
      Instant now,
      boolean apiUp) {
    Map<Long, LiveRunner> byId = new LinkedHashMap<>();
    live.forEach(r -> byId.put(r.claimId(), r));
    return new ProvisionSnapshot(now, apiUp, pools, pods, byId, Map.of(), Map.of(), Set.of());
  }

  static ProvisionSnapshot kept(ProvisionSnapshot s, Set<Long> recentlyKept) {
    return new ProvisionSnapshot(
        s.now(),
        s.apiUp(),
        s.pools(),
        s.pods(),
        s.live(),
        s.reread(),
        s.createdThisTerm(),
        recentlyKept);
  }

  static ProvisionSnapshot created(ProvisionSnapshot s, Map<Long, Instant> created) {
    return new ProvisionSnapshot(
        s.now(), s.apiUp(), s.pools(), s.pods(), s.live(), s.reread(), created, s.recentlyKept());
  }

  PoolEntry entry(ProvisionedPool pool) {
    return new PoolEntry(pool.name(), resource, Optional.of(pool), Optional.empty());
  }

  static ProvisionedPool pool(String name, Integer maxRunners, int minIdle) {
    return new ProvisionedPool(
        name, "uid-" + name, null, maxRunners, minIdle, Duration.ofMinutes(5), 5);
  }

  static GenericKubernetesResource resource(String name) {
    return new GenericKubernetesResourceBuilder()
        .withApiVersion("runway.dev/v1alpha1")
        .withKind("RunnerPool")
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .build();
  }

  static RunnerPod up(long claimId, String pool) {
    return pod(claimId, pool, new RunnerPods.Up());
  }

  static RunnerPod pod(long claimId, String pool, RunnerPods.Verdict verdict) {
    return new RunnerPod(
        "runway-" + pool + "-" + claimId, claimId, pool, false, verdict, Optional.empty());
  }

  static RunnerPods.Pending pending(boolean unschedulable) {
    return new RunnerPods.Pending(unschedulable);
  }

  static LiveRunner claim(
      long id, String pool, RunnerState state, boolean bound, boolean warm, boolean holdsJob) {
    return claim(id, pool, state, bound, warm, holdsJob, NOW);
  }

  static LiveRunner claim(
      long id,
      String pool,
      RunnerState state,
      boolean bound,
      boolean warm,
      boolean holdsJob,
      Instant changed) {
    return new LiveRunner(id, pool, state, bound, changed, warm, holdsJob);
  }

  static PoolStatusWriter.Counts counts(int idle, int launching, int running) {
    return new PoolStatusWriter.Counts(idle, launching, running);
  }
}
