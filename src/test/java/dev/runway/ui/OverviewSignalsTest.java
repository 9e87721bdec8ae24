package dev.runway.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.runway.jobs.Job;
import dev.runway.jobs.JobLoad;
import dev.runway.platform.github.MutableClock;
import dev.runway.pools.Pool;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The overview's and the pools page's judgements: charts from meters, the banner, the verdict. */
class OverviewSignalsTest {
  final MutableClock clock = MutableClock.startingNow();
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final MeterHistory history = new MeterHistory(registry, clock);
  final AtomicLong spool = new AtomicLong();

  OverviewSignalsTest() {
    registry.gauge("runway.spool.depth", spool);
  }

  void tick(long depth) {
    spool.set(depth);
    history.sample();
    clock.advance(MeterHistory.INTERVAL);
  }

  @Test
  void counters_are_charted_as_increases_per_interval() {
    Counter accepted =
        Counter.builder("runway.webhook.requests")
            .tag("event", "workflow_job")
            .tag("result", "accepted")
            .register(registry);
    Counter ping =
        Counter.builder("runway.webhook.requests")
            .tag("event", "ping")
            .tag("result", "accepted")
            .register(registry);
    accepted.increment(5);
    tick(0);
    accepted.increment(3);
    ping.increment();
    tick(0);
    tick(0);
    MeterHistory.Series s = history.series("webhooks");
    assertThat(s.xs()).hasSize(2);
    assertThat(s.values().get("accepted")).containsExactly(4.0, 0.0);
  }

  @Test
  void queued_jobs_are_charted_per_pool_from_the_jobs_gauge() {
    AtomicLong queuedA = new AtomicLong(3);
    AtomicLong claimedA = new AtomicLong(5);
    registry.gauge(
        "runway.jobs",
        io.micrometer.core.instrument.Tags.of("pool", "a", "status", "queued"),
        queuedA);
    registry.gauge(
        "runway.jobs",
        io.micrometer.core.instrument.Tags.of("pool", "a", "status", "claimed"),
        claimedA);
    tick(0);
    queuedA.set(1);
    tick(0);
    MeterHistory.Series s = history.series("queued");
    assertThat(s.values()).containsOnlyKeys("a");
    assertThat(s.values().get("a")).containsExactly(3.0, 1.0);
  }

  @Test
  void samples_older_than_an_hour_are_dropped() {
    for (int i = 0; i < 400; i++) {
      tick(1);
    }
    assertThat(history.samples()).hasSizeLessThanOrEqualTo(361);
    assertThat(history.samples().get(0).at())
        .isAfterOrEqualTo(clock.instant().minus(MeterHistory.WINDOW).minus(MeterHistory.INTERVAL));
  }

  @Test
  void a_spool_that_holds_deliveries_for_a_minute_without_shrinking_is_stuck() {
    for (int i = 0; i < 7; i++) {
      tick(3);
    }
    assertThat(history.spoolStuck(Duration.ofMinutes(1))).isTrue();
  }

  @Test
  void a_draining_or_empty_or_young_spool_is_not_stuck() {
    tick(3);
    tick(3);
    assertThat(history.spoolStuck(Duration.ofMinutes(1))).as("too young to tell").isFalse();
    for (long d = 9; d > 2; d--) {
      tick(d);
    }
    assertThat(history.spoolStuck(Duration.ofMinutes(1))).as("draining").isFalse();
    for (int i = 0; i < 7; i++) {
      tick(0);
    }
    assertThat(history.spoolStuck(Duration.ofMinutes(1))).as("empty").isFalse();
  }

  @Test
  void a_pool_is_saturated_at_its_cap_and_starved_when_jobs_wait_with_room_left() {
    Instant now = Instant.parse("2026-11-30T01:00:00Z");
    Pool capped = new Pool("p", List.of("linux"), 2, 1);
    Instant old = now.minus(Duration.ofMinutes(5));
    assertThat(PoolsPage.verdict(capped, new JobLoad.PoolLoad(3, old, 1, 1), now))
        .isEqualTo("saturated");
    assertThat(PoolsPage.verdict(capped, new JobLoad.PoolLoad(3, old, 0, 1), now))
        .isEqualTo("starved");
    assertThat(PoolsPage.verdict(capped, new JobLoad.PoolLoad(1, now.minusSeconds(5), 0, 0), now))
        .isEqualTo("busy");
    assertThat(PoolsPage.verdict(capped, JobLoad.PoolLoad.NONE, now)).isEqualTo("idle");
  }

  @Test
  void since_takes_an_instant_or_an_age() {
    Instant now = Instant.parse("2026-11-30T01:00:00Z");
    assertThat(JobsPage.parseSince("2h", now)).isEqualTo(Instant.parse("2026-11-29T23:00:00Z"));
    assertThat(JobsPage.parseSince("2026-11-29T00:00:00Z", now))
        .isEqualTo(Instant.parse("2026-11-29T00:00:00Z"));
  }

  @Test
  void a_job_is_claimable_only_when_queued_in_a_pool_without_an_ignore_outcome() {
    Job ignored = IgnoreReasonsTest.job("no_matching_pool", null, "riscv");
    assertThat(JobsPage.claimable(ignored)).isEqualTo("no: ignored (no_matching_pool)");
    Job ready =
        new Job(
            1,
            1,
            10L,
            "acme/app",
            "acme",
            true,
            4242L,
            null,
            "build",
            "CI",
            List.of("linux"),
            "linux-x64",
            "queued",
            null,
            null,
            null,
            null,
            null,
            null,
            Instant.EPOCH,
            null,
            null,
            null,
            null,
            null,
            Instant.EPOCH,
            null,
            "webhook");
    assertThat(JobsPage.claimable(ready)).isEqualTo("yes, in pool linux-x64");
  }

  @Test
  void every_degraded_pool_gets_a_banner_and_a_healthy_one_none() {
    assertThat(Page.degradedAlerts(java.util.Map.of())).isEmpty();
    assertThat(
            Page.degradedAlerts(
                java.util.Map.of("gpu", "5 launch failures in a row, the last image_pull")))
        .singleElement()
        .asString()
        .contains("Pool gpu is Degraded", "5 launch failures in a row, the last image_pull");
  }
}
