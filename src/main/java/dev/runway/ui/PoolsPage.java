package dev.runway.ui;

import dev.runway.jobs.JobLoad;
import dev.runway.pools.Pool;
import dev.runway.pools.PoolSnapshot;
import dev.runway.pools.PoolView;
import dev.runway.runners.RunnerMetrics;
import dev.runway.runners.RunnerReads;
import io.javalin.http.Context;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The pools page: each pool's queue, runners and verdict (idle, starved, saturated, Degraded). */
final class PoolsPage extends Page {
  PoolsPage(OperatorUi.Sources src, Templates templates) {
    super(src, templates);
  }

  void pools(Context ctx, UiSessions.Session s) throws SQLException {
    Views.Frame frame = frame(s, "Pools", "pools");
    Instant now = src.clock().instant();
    Map<String, JobLoad.PoolLoad> load;
    Map<String, Map<String, Long>> runners;
    Map<String, List<RunnerReads.LaunchFailure>> failures;
    try (Connection c = src.ds().getConnection()) {
      load = JobLoad.byPool(c);
      runners = RunnerMetrics.liveRunners(c);
      failures = RunnerReads.launchFailures(c, now.minus(MeterHistory.WINDOW));
    }
    PoolView view = src.pools().current();
    List<Pool> pools = view.fold(PoolSnapshot::pools, reason -> List.of());
    String state =
        view.fold(
            snap -> "answered " + Views.age(snap.age(src.clock())) + " ago",
            reason -> "unavailable: " + reason);
    Map<String, String> degraded = src.degradedPools().degraded();
    List<Views.PoolRow> rows = new ArrayList<>();
    for (Pool p : pools) {
      JobLoad.PoolLoad l = load.getOrDefault(p.name(), JobLoad.PoolLoad.NONE);
      rows.add(
          new Views.PoolRow(
              p.name(),
              p.labels(),
              p.maxRunners() == null ? "no cap" : String.valueOf(p.maxRunners()),
              l.queued(),
              ageSince(l.oldestQueued(), now),
              l.claimed(),
              l.inProgress(),
              runners(runners.getOrDefault(p.name(), Map.of())),
              failures.getOrDefault(p.name(), List.of()).stream()
                  .map(
                      f ->
                          f.reason()
                              + ": "
                              + f.count()
                              + ", last "
                              + ageSince(f.last(), now)
                              + " ago")
                  .toList(),
              src.ledger().configProblems().containsKey(p.name())
                  ? "configuration error"
                  : verdict(p, l, now, degraded.get(p.name())),
              degraded.get(p.name())));
    }
    List<Views.RepoRow> waiting;
    try (Connection c = src.ds().getConnection()) {
      waiting = repoRows(c).stream().filter(r -> r.queued() > 0).toList();
    }
    ctx.html(
        templates.render(
            "pools.jte", new Views.PoolsPage(frame, src.pools().describe(), state, rows, waiting)));
  }

  static final String RUNNER_FAILS_TO_START = "runner fails to start";

  /**
   * Starved: jobs have waited over a minute while the pool has room, so no runner is claiming.
   * Saturated: jobs wait and the pool is at its cap.
   */
  static String verdict(Pool p, JobLoad.PoolLoad l, Instant now) {
    return verdict(p, l, now, null);
  }

  /**
   * As above, but a pool that is Degraded with jobs waiting is "runner fails to start", not
   * "starved": runners are claiming, and each one dies before it takes a job.
   */
  static String verdict(Pool p, JobLoad.PoolLoad l, Instant now, String degraded) {
    if (degraded != null && l.queued() > 0) {
      return RUNNER_FAILS_TO_START;
    }
    long busy = l.claimed() + l.inProgress();
    if (l.queued() > 0 && p.maxRunners() != null && busy >= p.maxRunners()) {
      return "saturated";
    }
    if (l.queued() > 0
        && l.oldestQueued() != null
        && Duration.between(l.oldestQueued(), now).compareTo(Duration.ofMinutes(1)) > 0) {
      return "starved";
    }
    return busy > 0 || l.queued() > 0 ? "busy" : "idle";
  }

  /**
   * Live runners by state, in lifecycle order: claimed (registered), launching, running, and idle
   * (warm runners waiting for a job) when the pool has any.
   */
  static String runners(Map<String, Long> byState) {
    List<String> parts = new ArrayList<>();
    for (String state : List.of("claimed", "launching", "running")) {
      parts.add(byState.getOrDefault(state, 0L) + " " + state);
    }
    if (byState.getOrDefault("idle", 0L) > 0) {
      parts.add(byState.get("idle") + " idle");
    }
    return String.join(", ", parts);
  }
}
