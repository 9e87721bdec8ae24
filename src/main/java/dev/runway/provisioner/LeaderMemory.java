package dev.runway.provisioner;

import dev.runway.claims.WarmOutcome;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * What the provisioning leader remembers between cycles, in its memory only: the executor writes it
 * from what the calls came to, and each cycle's planner reads a copy. Confined to the provisioning
 * thread. Times that only bound a wait are {@link System#nanoTime}, so a clock that jumps neither
 * holds a pool forever nor asks GitHub every cycle.
 */
final class LeaderMemory {
  /** How long a pool, or a runner GitHub called busy, waits before it is asked again. */
  static final Duration RECHECK = Duration.ofSeconds(10);

  /** Claims whose Pod this leader created, and when: until the informer shows the Pod. */
  final Map<Long, Instant> createdThisTerm = new HashMap<>();

  final Map<String, PoolHealth> health = new HashMap<>();

  /** When a claim attempt of the pool last found nothing. */
  final Map<String, Long> emptySince = new HashMap<>();

  /** Until when the pool makes no claim attempt, signals or not. */
  final Map<String, Long> holdUntil = new HashMap<>();

  /** Why the pool's last warm attempt started nothing; absent after one started a runner. */
  final Map<String, WarmOutcome.NotNow> warmNote = new HashMap<>();

  /** Until when the pool makes no warm attempt unless a signal names it. */
  final Map<String, Long> warmHoldUntil = new HashMap<>();

  /** Claims whose runner a scale-down or a claim-ended Pod kept, and when: logged once. */
  final Map<Long, Long> keptBusy = new HashMap<>();

  /** Claims whose runner loss this leader recorded. */
  final Set<Long> lostReported = new HashSet<>();

  /** A new term, this leader's or another's: the pools' health and its own Pods start over. */
  void newTerm() {
    createdThisTerm.clear();
    health.clear();
  }

  /** Forgets what this cycle's Pods and live claims made stale. */
  void seen(Set<Long> withPod, Set<Long> live) {
    createdThisTerm.keySet().removeAll(withPod);
    keptBusy.keySet().retainAll(withPod);
    lostReported.retainAll(live);
  }

  PoolHealth health(String pool) {
    return health.computeIfAbsent(pool, p -> new PoolHealth());
  }

  /** Claims whose runner GitHub was asked about less than {@link #RECHECK} ago. */
  Set<Long> recentlyKept() {
    long ticks = System.nanoTime();
    return keptBusy.entrySet().stream()
        .filter(e -> ticks - e.getValue() < RECHECK.toNanos())
        .map(Map.Entry::getKey)
        .collect(Collectors.toUnmodifiableSet());
  }

  /** What the launches decide from, as of now. */
  ProvisionSnapshot.Leader leader(Set<String> signalled, long cycle) {
    long ticks = System.nanoTime();
    Map<String, PoolHealth.State> states = new HashMap<>();
    health.forEach((pool, h) -> states.put(pool, h.state()));
    return new ProvisionSnapshot.Leader(
        Map.copyOf(states),
        Set.copyOf(signalled),
        keys(holdUntil, until -> ticks - until < 0),
        keys(emptySince, since -> ticks - since < RECHECK.toNanos()),
        keys(warmHoldUntil, until -> ticks - until < 0),
        Map.copyOf(warmNote),
        cycle);
  }

  private static Set<String> keys(Map<String, Long> times, Predicate<Long> holds) {
    return times.entrySet().stream()
        .filter(e -> holds.test(e.getValue()))
        .map(Map.Entry::getKey)
        .collect(Collectors.toUnmodifiableSet());
  }
}
